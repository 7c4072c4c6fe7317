import { afterAll, describe, expect, test } from 'vitest';
import { groupContext, serializeGroupContext } from '../../src/mls/group-context.js';
import { deriveEpochSecrets, externalKeyPair, mlsExporter } from '../../src/mls/key-schedule.js';
import { type PreSharedKeyId, pskSecret } from '../../src/mls/psk.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface KeyScheduleVector {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: {
    tree_hash: string;
    commit_secret: string;
    psk_secret: string;
    confirmed_transcript_hash: string;
    group_context: string;
    joiner_secret: string;
    welcome_secret: string;
    init_secret: string;
    sender_data_secret: string;
    encryption_secret: string;
    exporter_secret: string;
    epoch_authenticator: string;
    external_secret: string;
    confirmation_key: string;
    membership_key: string;
    resumption_psk: string;
    external_pub: string;
    exporter: { label: string; context: string; length: number; secret: string };
  }[];
}

describe('key-schedule.json', () => {
  const tally = new VectorTally('key-schedule.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<KeyScheduleVector[]>('mls/key-schedule.json');
  test.each(vectors)('suite $cipher_suite', (v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    let init = hex(v.initial_init_secret);
    v.epochs.forEach((e, epoch) => {
      const gc = serializeGroupContext(
        groupContext({
          cipherSuite: v.cipher_suite,
          groupId: hex(v.group_id),
          epoch: BigInt(epoch),
          treeHash: hex(e.tree_hash),
          confirmedTranscriptHash: hex(e.confirmed_transcript_hash),
          extensions: [],
        }),
      );
      expect(toHex(gc)).toBe(e.group_context);
      const s = deriveEpochSecrets(suite, init, hex(e.commit_secret), hex(e.psk_secret), gc);
      expect(toHex(s.joinerSecret)).toBe(e.joiner_secret);
      expect(toHex(s.welcomeSecret)).toBe(e.welcome_secret);
      expect(toHex(s.initSecret)).toBe(e.init_secret);
      expect(toHex(s.senderDataSecret)).toBe(e.sender_data_secret);
      expect(toHex(s.encryptionSecret)).toBe(e.encryption_secret);
      expect(toHex(s.exporterSecret)).toBe(e.exporter_secret);
      expect(toHex(s.epochAuthenticator)).toBe(e.epoch_authenticator);
      expect(toHex(s.externalSecret)).toBe(e.external_secret);
      expect(toHex(s.confirmationKey)).toBe(e.confirmation_key);
      expect(toHex(s.membershipKey)).toBe(e.membership_key);
      expect(toHex(s.resumptionPsk)).toBe(e.resumption_psk);
      expect(toHex(externalKeyPair(suite, s.externalSecret).publicKey)).toBe(e.external_pub);
      const x = e.exporter;
      expect(toHex(mlsExporter(suite, s.exporterSecret, x.label, hex(x.context), x.length))).toBe(
        x.secret,
      );
      init = s.initSecret;
    });
    tally.pass(v.cipher_suite);
  });
});

interface PskVector {
  cipher_suite: number;
  psks: { psk_id: string; psk: string; psk_nonce: string }[];
  psk_secret: string;
}

describe('psk_secret.json', () => {
  const tally = new VectorTally('psk_secret.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<PskVector[]>('mls/psk_secret.json');
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const psks = v.psks.map((p) => ({
      id: { type: 'external', pskId: hex(p.psk_id), nonce: hex(p.psk_nonce) } as PreSharedKeyId,
      psk: hex(p.psk),
    }));
    expect(toHex(pskSecret(suite, psks))).toBe(v.psk_secret);
    tally.pass(v.cipher_suite);
  });
});
