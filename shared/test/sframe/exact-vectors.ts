// Reads the SFrame vector files keeping every integer exact. KID and CTR reach
// 2^64 - 1, beyond what a JSON number holds, so integer literals are quoted
// before JSON.parse and turned into bigint here. Nothing is copied into the repo.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadVectors, vectorsDir } from '../support/vectors.js';

/** Parses a vector file with every integer literal as a bigint. */
export function loadExactVectors<T>(relPath: string): T {
  loadVectors(relPath); // fails loudly (with the how-to) when the vectors are missing
  const text = readFileSync(resolve(vectorsDir, relPath), 'utf8');
  // Quote bare integers that follow a ':' or sit in an array (no integer in
  // these files is negative, fractional or inside a string).
  const quoted = text.replace(/([:[,]\s*)(\d+)(?=\s*[,}\]])/g, '$1"#int:$2"');
  return JSON.parse(quoted, (_k, v) =>
    typeof v === 'string' && v.startsWith('#int:') ? BigInt(v.slice(5)) : v,
  ) as T;
}

export interface HeaderVector {
  kid: bigint;
  ctr: bigint;
  encoded: string;
}

export interface AesCtrHmacVector {
  cipher_suite: bigint;
  key: string;
  enc_key: string;
  auth_key: string;
  nonce: string;
  aad: string;
  pt: string;
  ct: string;
}

export interface SFrameVector {
  cipher_suite: bigint;
  kid: bigint;
  ctr: bigint;
  base_key: string;
  sframe_key_label: string;
  sframe_salt_label: string;
  sframe_secret: string;
  sframe_key: string;
  sframe_salt: string;
  metadata: string;
  nonce: string;
  aad: string;
  pt: string;
  ct: string;
}

export interface SFrameVectorFile {
  header: HeaderVector[];
  aes_ctr_hmac: AesCtrHmacVector[];
  aes_256_ctr_hmac?: AesCtrHmacVector[];
  sframe: SFrameVector[];
}
