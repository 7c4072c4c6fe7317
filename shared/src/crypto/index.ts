/**
 * MLS cipher suites (RFC 9420 §5.1, §17.1): HPKE (RFC 9180), signatures, HKDF and
 * AEADs behind one synchronous provider interface. `getCipherSuite(1)` is the
 * default suite on pure-JavaScript noble primitives; pass a native provider
 * (e.g. the node:crypto one in @canopy/server/crypto) to speed it up.
 */
export type { CipherSuite, Hpke } from './cipher-suite.js';
export { CryptoError, type CryptoErrorCode } from './errors.js';
export { nobleProvider } from './noble-provider.js';
export type { Aead, CryptoProvider, DhGroup, Hash, SignatureScheme } from './primitives.js';
export { createSodiumProvider, type SodiumCurve25519 } from './sodium-provider.js';
export { getCipherSuite, supportedCipherSuites } from './suites.js';
