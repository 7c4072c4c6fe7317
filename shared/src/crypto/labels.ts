// The labeled constructions of RFC 9420 §5.1–§5.2 and §8: the structs every MLS
// label goes through (KDFLabel, RefHashInput, SignContent, EncryptContext).
import { Writer } from '../codec/index.js';
import { utf8 } from './bytes.js';
import { CryptoError } from './errors.js';
import { hkdfExpand } from './kdf.js';
import type { Hash } from './primitives.js';

const MLS_PREFIX = 'MLS 1.0 ';

/** ExpandWithLabel: KDF.Expand(secret, KDFLabel{length, "MLS 1.0 " + label, context}, length). */
export function expandWithLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new CryptoError('invalid-length', `ExpandWithLabel: length ${length} out of range`);
  }
  const kdfLabel = new Writer(64)
    .u16(length)
    .opaque(utf8(MLS_PREFIX + label))
    .opaque(context)
    .finish();
  return hkdfExpand(hash, secret, kdfLabel, length);
}

/** Generation as the uint32 context of DeriveTreeSecret (§9). */
export function generationContext(generation: number): Uint8Array {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new CryptoError(
      'invalid-length',
      `DeriveTreeSecret: generation ${generation} out of range`,
    );
  }
  return new Writer(4).u32(generation).finish();
}

/** RefHash: Hash(RefHashInput{label, value}); the label is used as given (§5.2). */
export function refHash(hash: Hash, label: string, value: Uint8Array): Uint8Array {
  return hash.digest(new Writer(value.length + 48).opaque(utf8(label)).opaque(value).finish());
}

/** SignContent{"MLS 1.0 " + label, content} (§5.1.2). */
export function signContent(label: string, content: Uint8Array): Uint8Array {
  return new Writer(content.length + 48)
    .opaque(utf8(MLS_PREFIX + label))
    .opaque(content)
    .finish();
}

/** EncryptContext{"MLS 1.0 " + label, context} (§5.1.3). */
export function encryptContext(label: string, context: Uint8Array): Uint8Array {
  return new Writer(context.length + 48)
    .opaque(utf8(MLS_PREFIX + label))
    .opaque(context)
    .finish();
}
