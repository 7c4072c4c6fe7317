// Transcript hashes (RFC 9420 §8.2) and the confirmation tag (§6.1).
import { Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import {
  encodeFramedContent,
  type FramedContent,
  WireFormat,
  type WireFormatName,
} from './framing.js';

/** confirmed_transcript_hash = Hash(interim_prev || ConfirmedTranscriptHashInput). */
export function confirmedTranscriptHash(
  suite: CipherSuite,
  interimTranscriptHash: Uint8Array,
  wireFormat: WireFormatName,
  content: FramedContent,
  signature: Uint8Array,
): Uint8Array {
  const w = new Writer(1024);
  w.bytes(interimTranscriptHash).u16(WireFormat[wireFormat]);
  encodeFramedContent(w, content);
  w.opaque(signature);
  return suite.hash.digest(w.finish());
}

/** interim_transcript_hash = Hash(confirmed || InterimTranscriptHashInput). */
export function interimTranscriptHash(
  suite: CipherSuite,
  confirmedTranscriptHash: Uint8Array,
  confirmationTag: Uint8Array,
): Uint8Array {
  const w = new Writer(128);
  w.bytes(confirmedTranscriptHash).opaque(confirmationTag);
  return suite.hash.digest(w.finish());
}

/** confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash). */
export function confirmationTag(
  suite: CipherSuite,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
): Uint8Array {
  return suite.hash.mac(confirmationKey, confirmedTranscriptHash);
}
