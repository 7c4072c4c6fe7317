/**
 * SFrame (RFC 9605): end-to-end encryption of media frames, keyed by MLS.
 *
 * Wire level (maps onto RFC 9605 Appendix C): encodeHeader / decodeHeader
 * (§4.3), deriveKeyAndSalt (§4.4.2), encrypt / decrypt (§4.4.3–4.4.4), the
 * AES-CTR + HMAC AEAD (§4.5.1). MLS binding (§5.2): mlsBaseKey, makeKid /
 * parseKid over a KidLayout. Media level: SFrameSender (one per track or
 * simulcast layer), SFrameReceiver over an SFrameKeyStore, clearByteCount.
 *
 * Two backends, same bytes: the synchronous calls (encryptFrame, decryptFrame,
 * encrypt, decrypt) run on @noble; the *Async ones on WebCrypto
 * (crypto.subtle, the engine's native AES; @noble where it is absent, see
 * asyncAeadBackend), several times faster on video frames. CryptoKeys are
 * imported once per KID and dropped with it.
 *
 * Suites 1–5 are RFC 9605's; 6–8 are post-RFC (draft-barnes-sframe-iana-256).
 * Every deliberate failure is an SFrameError with a stable `code`, and leaves
 * no state changed.
 */
export { aesCtrHmacDecrypt, aesCtrHmacEncrypt } from './aes-ctr-hmac.js';
export { type CipherSuite, cipherSuite, SFrameSuite, type SFrameSuiteId } from './cipher-suite.js';
export {
  type ClearBytesPolicy,
  type ClearBytesRule,
  clearByteCount,
  DEFAULT_CLEAR_BYTES,
} from './clear-bytes.js';
export { decrypt, encrypt, sframeOverhead } from './encryption.js';
export { decryptAsync, encryptAsync } from './encryption-async.js';
export { SFrameError, type SFrameErrorCode } from './errors.js';
export { decodeHeader, encodeHeader } from './header.js';
export { deriveKeyAndSalt, type SFrameKeys } from './key-derivation.js';
export { SFrameKeyStore, type SFrameKeyStoreOptions } from './key-store.js';
export { type KidLayout, type MlsExporter, makeKid, mlsBaseKey, parseKid } from './mls-binding.js';
export { SFrameReceiver, type SFrameReceiverOptions } from './receiver.js';
export { SFrameSender, type SFrameSenderOptions } from './sender.js';
export { asyncAeadBackend } from './subtle-aead.js';
