// The receiving side: SFrame decryption (RFC 9605 §4.4.4) of frames from any
// member, keys and replay state held by an SFrameKeyStore. decryptFrame runs
// on @noble, decryptFrameAsync on WebCrypto; they share the key store.
import { SFrameError } from './errors.js';
import { HeaderFields, readHeader } from './header.js';
import { SFrameKeyStore, type SFrameKeyStoreOptions } from './key-store.js';
import { checkBytes, checkInt } from './util.js';

/** Options as SFrameKeyStoreOptions: suite, layout, maxEpochs, epochTtlMs, replayWindow, now. */
export type SFrameReceiverOptions = SFrameKeyStoreOptions;

export class SFrameReceiver {
  /** The epochs, per-KID keys and replay windows. */
  readonly keys: SFrameKeyStore;
  private readonly h = new HeaderFields();

  constructor(opts: SFrameReceiverOptions) {
    this.keys = new SFrameKeyStore(opts);
  }

  /** Installs an epoch's base_key (from mlsBaseKey); see SFrameKeyStore.addEpoch. */
  addEpoch(epoch: bigint, baseKey: Uint8Array): void {
    this.keys.addEpoch(epoch, baseKey);
  }

  /** Drops an epoch's keys now; returns whether it was held. */
  removeEpoch(epoch: bigint): boolean {
    return this.keys.removeEpoch(epoch);
  }

  /**
   * Decrypts data = clear || SFrame ciphertext, the first `clearBytes` being
   * the sender's clear metadata. Returns clear || plaintext. Throws
   * SFrameError ('truncated', 'malformed-header', 'unknown-kid',
   * 'expired-epoch', 'replay', 'authentication-failed') and then has changed
   * no state.
   */
  decryptFrame(data: Uint8Array, clearBytes: number): Uint8Array {
    const h = this.h;
    const ptLen = this.readFrame(data, clearBytes, h);
    const out = new Uint8Array(clearBytes + ptLen);
    const clear = data.subarray(0, clearBytes);
    this.keys.openFrame(h, data, clearBytes, data.length, clear, out, clearBytes);
    out.set(clear);
    return out;
  }

  /**
   * decryptFrame on WebCrypto: the same result, asynchronously. Rejects with
   * the same SFrameErrors and then has changed no state (a forged frame
   * moves no replay window, stores no key). Calls may overlap: a (KID, CTR)
   * is still accepted at most once. `data` must not change until the
   * promise settles.
   */
  async decryptFrameAsync(data: Uint8Array, clearBytes: number): Promise<Uint8Array> {
    const h = new HeaderFields(); // this call's own: others may run meanwhile
    this.readFrame(data, clearBytes, h);
    const clear = data.subarray(0, clearBytes);
    const pt = await this.keys.openFrameAsync(h, data, clearBytes, data.length, clear);
    const out = new Uint8Array(clearBytes + pt.length);
    out.set(clear);
    out.set(pt, clearBytes);
    return out;
  }

  /** Checks the arguments and reads the header into `h`; returns the plaintext length. */
  private readFrame(data: Uint8Array, clearBytes: number, h: HeaderFields): number {
    checkBytes(data, 'frame');
    checkInt(clearBytes, 'clearBytes', 0, Number.MAX_SAFE_INTEGER);
    if (clearBytes > data.length) {
      throw new SFrameError(
        'truncated',
        `frame of ${data.length} bytes has no room for ${clearBytes} clear bytes`,
      );
    }
    readHeader(data, clearBytes, data.length, h);
    const ptLen = data.length - clearBytes - h.length - this.keys.suite.Nt;
    if (ptLen < 0) throw new SFrameError('truncated', 'SFrame ciphertext shorter than its tag');
    return ptLen;
  }
}
