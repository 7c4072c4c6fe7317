// The sending side of one media track or simulcast layer: SFrame (RFC 9605
// §4.4.3) under MLS-derived keys (§5.2), one KID per epoch.
//
// (key, nonce) must never repeat (§7.4). Each sender owns one (sender index,
// context) pair, so its KID, and so its key, is its own; within an epoch its
// CTR only grows, and it refuses to wrap. Two senders must never share a
// (senderIndex, context), and a sender must not be recreated within an epoch
// (its CTR would restart): give each track/layer its own context.
//
// encryptFrame runs on @noble; encryptFrameAsync on WebCrypto. Both take the
// frame's CTR when called, before any await, so overlapping asynchronous
// calls (and calls on both paths) never share a CTR.

import { equalBytes } from '@noble/ciphers/utils.js';
import { type CipherSuite, cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { SFrameError } from './errors.js';
import { headerSize } from './header.js';
import { sframeSecret } from './key-derivation.js';
import { KidKeys } from './kid-keys.js';
import {
  type KidLayout,
  makeKid,
  type ResolvedKidLayout,
  resolveKidLayout,
} from './mls-binding.js';
import { checkBytes, checkInt, checkU64, hi32, invalid, lo32, U64_MAX, u64 } from './util.js';

export interface SFrameSenderOptions {
  suite: SFrameSuiteId;
  layout: KidLayout;
  /** This member's MLS leaf index (below 2^layout.senderBits). */
  senderIndex: number;
  /** This track/layer's context (below 2^contextBits); 0 gives the shortest KID. */
  context: number;
  /** Highest CTR to use per epoch (default 2^64 - 1); past it, 'counter-exhausted'. */
  maxCounter?: bigint;
}

export class SFrameSender {
  readonly suite: CipherSuite;
  readonly layout: ResolvedKidLayout;
  readonly senderIndex: number;
  readonly context: number;
  private readonly maxHi: number;
  private readonly maxLo: number;
  private current:
    | {
        epoch: bigint;
        kid: bigint;
        secret: Uint8Array;
        keys: KidKeys;
      }
    | undefined;
  private ctrHi = 0;
  private ctrLo = 0;
  private exhausted = false;

  constructor(opts: SFrameSenderOptions) {
    if (typeof opts !== 'object' || opts === null) throw invalid('options must be an object');
    this.suite = cipherSuite(opts.suite);
    this.layout = resolveKidLayout(opts.layout);
    const maxCounter = opts.maxCounter ?? U64_MAX;
    checkU64(maxCounter, 'maxCounter');
    checkInt(opts.senderIndex, 'senderIndex', 0, 2 ** this.layout.senderBits - 1);
    checkInt(opts.context, 'context', 0, Number.MAX_SAFE_INTEGER);
    makeKid(this.layout, opts.context, opts.senderIndex, 0n); // validates the context width
    this.senderIndex = opts.senderIndex;
    this.context = opts.context;
    this.maxHi = hi32(maxCounter);
    this.maxLo = lo32(maxCounter);
  }

  /** The current epoch, once setEpoch has been called. */
  get epoch(): bigint | undefined {
    return this.current?.epoch;
  }

  /** The KID frames are sent under in the current epoch. */
  get kid(): bigint | undefined {
    return this.current?.kid;
  }

  /** The CTR the next frame will carry. */
  get counter(): bigint {
    return u64(this.ctrHi, this.ctrLo);
  }

  /**
   * Switches to an epoch's base_key (from mlsBaseKey) and restarts CTR at 0
   * under the new KID. Epochs only move forward: an older epoch, or the same
   * epoch with another key, is refused; the same epoch and key is a no-op.
   */
  setEpoch(epoch: bigint, baseKey: Uint8Array): void {
    checkU64(epoch, 'epoch');
    checkBytes(baseKey, 'base key');
    const secret = sframeSecret(this.suite, baseKey);
    const cur = this.current;
    if (cur !== undefined && epoch <= cur.epoch) {
      const same = epoch === cur.epoch && equalBytes(secret, cur.secret);
      secret.fill(0);
      if (same) return;
      throw invalid(
        epoch === cur.epoch
          ? `epoch ${epoch} is already in use with a different base key`
          : `epoch ${epoch} is older than the current epoch ${cur.epoch}`,
      );
    }
    const kid = makeKid(this.layout, this.context, this.senderIndex, epoch);
    const kidHi = hi32(kid);
    const kidLo = lo32(kid);
    const keys = new KidKeys(this.suite, secret, kidHi, kidLo);
    if (cur !== undefined) {
      cur.keys.destroy();
      cur.secret.fill(0);
    }
    this.current = { epoch, kid, secret, keys };
    this.ctrHi = 0;
    this.ctrLo = 0;
    this.exhausted = false;
  }

  /**
   * Encrypts one encoded frame: returns frame[0:clearBytes] || SFrame
   * ciphertext, the clear bytes left readable for the SFU and authenticated
   * as metadata. Throws 'no-key' before setEpoch and 'counter-exhausted'
   * once the epoch's CTRs are used up (the sender then needs a new epoch).
   */
  encryptFrame(frame: Uint8Array, clearBytes: number): Uint8Array {
    const f = this.nextFrame(frame, clearBytes);
    const k = f.keys;
    k.sync.seal(k.kidHi, k.kidLo, f.ctrHi, f.ctrLo, f.clear, f.pt, f.out, clearBytes);
    return f.out;
  }

  /**
   * encryptFrame on WebCrypto: the same bytes, resolved asynchronously. The
   * CTR is taken when this is called, so frames carry CTRs in call order
   * whatever order they finish in. Rejects with the same SFrameErrors.
   * `frame` must not change until the promise settles.
   */
  async encryptFrameAsync(frame: Uint8Array, clearBytes: number): Promise<Uint8Array> {
    const f = this.nextFrame(frame, clearBytes); // before any await
    const k = f.keys;
    await k.async.seal(k.kidHi, k.kidLo, f.ctrHi, f.ctrLo, f.clear, f.pt, f.out, clearBytes);
    return f.out;
  }

  /**
   * Validates a frame, takes the next CTR and returns the output buffer with
   * the clear bytes in place. Throws, having taken nothing, on bad input.
   */
  private nextFrame(frame: Uint8Array, clearBytes: number) {
    const cur = this.current;
    if (cur === undefined) throw new SFrameError('no-key', 'setEpoch has not been called');
    checkBytes(frame, 'frame');
    checkInt(clearBytes, 'clearBytes', 0, frame.length);
    if (this.exhausted) {
      throw new SFrameError('counter-exhausted', `CTR exhausted in epoch ${cur.epoch}`);
    }
    const hi = this.ctrHi;
    const lo = this.ctrLo;
    const keys = cur.keys;
    const hlen = headerSize(keys.kidHi, keys.kidLo, hi, lo);
    const out = new Uint8Array(frame.length + hlen + this.suite.Nt);
    const clear = frame.subarray(0, clearBytes);
    out.set(clear);
    if (hi === this.maxHi && lo === this.maxLo) {
      this.exhausted = true;
    } else if (lo === 0xffff_ffff) {
      this.ctrHi = hi + 1;
      this.ctrLo = 0;
    } else {
      this.ctrLo = lo + 1;
    }
    return { keys, ctrHi: hi, ctrLo: lo, clear, pt: frame.subarray(clearBytes), out };
  }
}
