// The keys of one KID (RFC 9605 §4.4.2), derived from its epoch's
// sframe_secret when a path first needs them: a FrameKey for the synchronous
// path (@noble), an AsyncFrameKey for the asynchronous one (WebCrypto
// CryptoKeys, imported once). Both live and die with the KID's entry in the
// key store, or with the sender's epoch.
import type { CipherSuite } from './cipher-suite.js';
import { FrameKey } from './encryption.js';
import { AsyncFrameKey } from './encryption-async.js';
import { keysFromSecret, type SFrameKeys } from './key-derivation.js';

export class KidKeys {
  private syncKey: FrameKey | undefined;
  private asyncKey: AsyncFrameKey | undefined;
  private destroyed = false;

  /** `secret` is the epoch's sframe_secret, owned (and wiped) by the caller, after destroy(). */
  constructor(
    readonly suite: CipherSuite,
    private readonly secret: Uint8Array,
    readonly kidHi: number,
    readonly kidLo: number,
  ) {}

  /** The key for encrypt/decrypt on @noble (derived on first use). */
  get sync(): FrameKey {
    this.syncKey ??= this.make((k) => new FrameKey(this.suite, k));
    return this.syncKey;
  }

  /** The key for the asynchronous path (derived and imported on first use). */
  get async(): AsyncFrameKey {
    this.asyncKey ??= this.make((k) => new AsyncFrameKey(this.suite, k));
    return this.asyncKey;
  }

  /** Wipes what can be wiped; the keys must not be asked for again. */
  destroy(): void {
    this.destroyed = true;
    this.syncKey?.destroy();
    this.asyncKey?.destroy();
  }

  /** Derives key and salt, builds from them (it copies what it keeps) and wipes them. */
  private make<T>(build: (keys: SFrameKeys) => T): T {
    if (this.destroyed) throw new Error('KidKeys: used after destroy'); // internal misuse
    const keys = keysFromSecret(this.suite, this.secret, this.kidHi, this.kidLo);
    try {
      return build(keys);
    } finally {
      keys.key.fill(0);
      keys.salt.fill(0);
    }
  }
}
