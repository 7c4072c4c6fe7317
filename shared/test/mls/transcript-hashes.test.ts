import { afterAll, describe, expect, test } from 'vitest';
import { decode } from '../../src/codec/index.js';
import { decodeAuthenticatedContent } from '../../src/mls/framing.js';
import {
  confirmationTag,
  confirmedTranscriptHash,
  interimTranscriptHash,
} from '../../src/mls/transcript-hash.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface TranscriptVector {
  cipher_suite: number;
  confirmation_key: string;
  authenticated_content: string;
  interim_transcript_hash_before: string;
  confirmed_transcript_hash_after: string;
  interim_transcript_hash_after: string;
}

describe('transcript-hashes.json', () => {
  const tally = new VectorTally('transcript-hashes.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<TranscriptVector[]>('mls/transcript-hashes.json');
  test.each(vectors)('suite $cipher_suite', (v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const ac = decode(decodeAuthenticatedContent, hex(v.authenticated_content));
    expect(ac.content.contentType).toBe('commit');
    const confirmed = confirmedTranscriptHash(
      suite,
      hex(v.interim_transcript_hash_before),
      ac.wireFormat,
      ac.content,
      ac.auth.signature,
    );
    expect(toHex(confirmed)).toBe(v.confirmed_transcript_hash_after);
    expect(toHex(confirmationTag(suite, hex(v.confirmation_key), confirmed))).toBe(
      toHex(ac.auth.confirmationTag!),
    );
    expect(toHex(interimTranscriptHash(suite, confirmed, ac.auth.confirmationTag!))).toBe(
      v.interim_transcript_hash_after,
    );
    tally.pass(v.cipher_suite);
  });
});
