// HPKE base mode (RFC 9180 §5–§6): KeySchedule, single-shot Seal/Open, and the
// secret exporter (SetupBaseS/SetupBaseR + Export, used by MLS external init).
//
// Written here on the synchronous primitives of this directory rather than taken
// from an HPKE package: the maintained HPKE libraries for JavaScript are built on
// WebCrypto and asynchronous, and the MLS state machine needs synchronous crypto.
// Only what MLS uses is implemented: mode_base, sequence number 0 (single-shot).

import { concat, i2osp, utf8 } from './bytes.js';
import type { Hpke } from './cipher-suite.js';
import type { Kem } from './dhkem.js';
import { CryptoError } from './errors.js';
import { labeledExpand, labeledExtract } from './kdf.js';
import type { Aead, Hash } from './primitives.js';

/** RFC 9180 KDF ids of the HKDFs. */
export const KDF_IDS: Readonly<Record<Hash['name'], number>> = {
  'SHA-256': 0x0001,
  'SHA-384': 0x0002,
  'SHA-512': 0x0003,
};

const MODE_BASE = 0x00;
const EMPTY = new Uint8Array(0);
const L = {
  pskIdHash: utf8('psk_id_hash'),
  infoHash: utf8('info_hash'),
  secret: utf8('secret'),
  key: utf8('key'),
  baseNonce: utf8('base_nonce'),
  exp: utf8('exp'),
  sec: utf8('sec'),
};

interface Context {
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

/** HPKE(kem, HKDF-hash, aead) in base mode. */
export function createHpke(kem: Kem, hash: Hash, aead: Aead): Hpke {
  const kdfId = KDF_IDS[hash.name];
  const suiteId = concat(utf8('HPKE'), i2osp(kem.id, 2), i2osp(kdfId, 2), i2osp(aead.id, 2));
  const extract = (salt: Uint8Array, label: Uint8Array, ikm: Uint8Array) =>
    labeledExtract(hash, suiteId, salt, label, ikm);
  const expand = (prk: Uint8Array, label: Uint8Array, info: Uint8Array, n: number) =>
    labeledExpand(hash, suiteId, prk, label, info, n);

  // KeySchedule(mode_base, shared_secret, info, default_psk, default_psk_id) of §5.1.
  function keySchedule(sharedSecret: Uint8Array, info: Uint8Array): Context {
    const pskIdHash = extract(EMPTY, L.pskIdHash, EMPTY);
    const infoHash = extract(EMPTY, L.infoHash, info);
    const context = concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
    const secret = extract(sharedSecret, L.secret, EMPTY);
    return {
      key: expand(secret, L.key, context, aead.keySize),
      baseNonce: expand(secret, L.baseNonce, context, aead.nonceSize),
      exporterSecret: expand(secret, L.exp, context, hash.size),
    };
  }

  // Export(exporter_context, L) of §5.3.
  function exportSecret(ctx: Context, exporterContext: Uint8Array, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > 255 * hash.size) {
      throw new CryptoError('invalid-length', `HPKE Export: length ${length} out of range`);
    }
    return expand(ctx.exporterSecret, L.sec, exporterContext, length);
  }

  function setupReceiver(sk: Uint8Array, enc: Uint8Array, info: Uint8Array): Context {
    return keySchedule(kem.decap(enc, sk), info);
  }

  return {
    kemId: kem.id,
    kdfId,
    aeadId: aead.id,
    encSize: kem.encSize,
    publicKeySize: kem.publicKeySize,
    privateKeySize: kem.privateKeySize,
    generateKeyPair: () => kem.generateKeyPair(),
    deriveKeyPair: (ikm) => kem.deriveKeyPair(ikm),
    publicKey: (sk) => kem.publicKey(sk),
    seal(pk, info, aad, plaintext) {
      const { sharedSecret, enc } = kem.encap(pk);
      const ctx = keySchedule(sharedSecret, info);
      // Sequence number 0: the nonce is base_nonce itself.
      return { enc, ciphertext: aead.seal(ctx.key, ctx.baseNonce, aad, plaintext) };
    },
    open(sk, enc, info, aad, ciphertext) {
      const ctx = setupReceiver(sk, enc, info);
      try {
        return aead.open(ctx.key, ctx.baseNonce, aad, ciphertext);
      } catch (e) {
        if (e instanceof CryptoError) throw new CryptoError('hpke-open', `HPKE open: ${e.message}`);
        throw e;
      }
    },
    exportSender(pk, info, exporterContext, length) {
      const { sharedSecret, enc } = kem.encap(pk);
      return {
        enc,
        secret: exportSecret(keySchedule(sharedSecret, info), exporterContext, length),
      };
    },
    exportReceiver(sk, enc, info, exporterContext, length) {
      return exportSecret(setupReceiver(sk, enc, info), exporterContext, length);
    },
  };
}
