// The receiving side's keys (RFC 9605 §4.4.1 key selection + §5.2 MLS epochs):
// the current epoch and a bounded number of previous ones, each KID resolved
// to its epoch by the low epoch bits, per-KID keys derived lazily, and a
// replay window per KID.
//
// Old epochs go when (a) more than maxEpochs are held, (b) a newer epoch has
// superseded them for epochTtlMs (clock injected, never a timer), (c) a new
// epoch has the same low epoch bits (§5.2: "receivers MUST remove an old
// epoch"), or (d) the application removes them.
//
// openFrame() is check-then-commit: the KID is resolved and the CTR checked
// without changing anything; keys derived for a new KID and the replay window
// are stored only after the frame authenticates. A bad frame changes nothing.
// openFrameAsync() (WebCrypto) does the same, and checks again after its
// await, before committing, since other frames or epoch changes may have
// come in between.
import { equalBytes } from '@noble/ciphers/utils.js';
import { type CipherSuite, cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { SFrameError } from './errors.js';
import type { HeaderFields } from './header.js';
import { sframeSecret } from './key-derivation.js';
import { KidKeys } from './kid-keys.js';
import {
  type KidLayout,
  lowEpochBits,
  type ResolvedKidLayout,
  resolveKidLayout,
} from './mls-binding.js';
import { ReplayWindow } from './replay-window.js';
import { checkBytes, checkInt, checkU64, invalid, TWO32, u64 } from './util.js';

export interface SFrameKeyStoreOptions {
  suite: SFrameSuiteId;
  layout: KidLayout;
  /** Epochs held at once, current included. Default 3. */
  maxEpochs?: number;
  /** How long an epoch stays usable after a newer one is added, in ms. Default 10,000. */
  epochTtlMs?: number;
  /** Replay window per KID, in CTR values: a power of two, 1 to 65536. Default 256. */
  replayWindow?: number;
  /** Clock in ms (default Date.now); tests inject their own. */
  now?: () => number;
  /** Distinct KIDs (senders × contexts) kept per epoch; more are refused. Default 16,384. */
  maxKidsPerEpoch?: number;
}

/** KIDs below 2^53 are keyed by number (no bigint per frame); larger ones by bigint. */
type KidKey = number | bigint;

function kidKey(hi: number, lo: number): KidKey {
  return hi < 0x20_0000 ? hi * TWO32 + lo : u64(hi, lo);
}

interface Epoch {
  readonly epoch: bigint;
  readonly low: number;
  /** HKDF-Extract("", base_key): all of the epoch's KID keys expand from it. */
  readonly secret: Uint8Array;
  /** When a newer epoch was added (ms), if one was. */
  supersededAt: number | undefined;
  readonly kids: Set<KidKey>;
}

/** A KID's keys and replay window. */
class KidEntry {
  committed = false;
  constructor(
    readonly key: KidKey,
    readonly epoch: Epoch,
    readonly keys: KidKeys,
    readonly window: ReplayWindow,
  ) {}
}

function authFailed(): SFrameError {
  return new SFrameError('authentication-failed', 'SFrame authentication failed');
}

/** How many dropped epochs are remembered, to answer 'expired-epoch' rather than 'unknown-kid'. */
const RETIRED_MEMORY = 64;

export class SFrameKeyStore {
  readonly suite: CipherSuite;
  readonly layout: ResolvedKidLayout;
  readonly maxEpochs: number;
  readonly epochTtlMs: number;
  readonly replayWindow: number;
  readonly maxKidsPerEpoch: number;
  private readonly now: () => number;
  private readonly kidBits: number;
  private readonly epochMask: bigint;
  /** Held epochs, newest first. */
  private held: Epoch[] = [];
  private readonly entries = new Map<KidKey, KidEntry>();
  /** Low epoch bits -> epoch, for epochs dropped since. */
  private readonly retired = new Map<number, bigint>();

  constructor(opts: SFrameKeyStoreOptions) {
    if (typeof opts !== 'object' || opts === null) throw invalid('options must be an object');
    this.suite = cipherSuite(opts.suite);
    this.layout = resolveKidLayout(opts.layout);
    const {
      maxEpochs = 3,
      epochTtlMs = 10_000,
      replayWindow = 256,
      maxKidsPerEpoch = 16_384,
    } = opts;
    checkInt(maxEpochs, 'maxEpochs', 1, 1024);
    if (typeof epochTtlMs !== 'number' || !(epochTtlMs >= 0)) {
      throw invalid('epochTtlMs must be a non-negative number (Infinity allowed)');
    }
    checkInt(replayWindow, 'replayWindow', 1, 65_536);
    if ((replayWindow & (replayWindow - 1)) !== 0)
      throw invalid('replayWindow must be a power of two');
    checkInt(maxKidsPerEpoch, 'maxKidsPerEpoch', 1, 2 ** 24);
    const now = opts.now ?? Date.now;
    if (typeof now !== 'function') throw invalid('now must be a function');
    this.maxEpochs = maxEpochs;
    this.epochTtlMs = epochTtlMs;
    this.replayWindow = replayWindow;
    this.maxKidsPerEpoch = maxKidsPerEpoch;
    this.now = now;
    const l = this.layout;
    this.kidBits = l.contextBits + l.senderBits + l.epochBits;
    this.epochMask = (1n << BigInt(l.epochBits)) - 1n;
  }

  /** Held epochs, newest first (including any past their TTL not yet pruned). */
  get epochs(): bigint[] {
    return this.held.map((e) => e.epoch);
  }

  /** Number of KIDs with keys and a replay window. */
  get kidCount(): number {
    return this.entries.size;
  }

  /**
   * Installs an epoch's base_key (from mlsBaseKey). Epochs must be added in
   * increasing order; re-adding the same epoch with the same key is a no-op,
   * with a different key an error. The previous newest epoch starts its TTL.
   */
  addEpoch(epoch: bigint, baseKey: Uint8Array): void {
    checkU64(epoch, 'epoch');
    checkBytes(baseKey, 'base key');
    const secret = sframeSecret(this.suite, baseKey);
    const same = this.held.find((e) => e.epoch === epoch);
    if (same !== undefined) {
      const equal = equalBytes(same.secret, secret);
      secret.fill(0);
      if (equal) return;
      throw invalid(`epoch ${epoch} is already held with a different base key`);
    }
    const newest = this.held[0];
    if (newest !== undefined && epoch < newest.epoch) {
      secret.fill(0);
      throw invalid(`epoch ${epoch} is older than the current epoch ${newest.epoch}`);
    }
    // Validated: from here on nothing throws.
    const now = this.now();
    if (newest !== undefined) newest.supersededAt = now;
    const low = lowEpochBits(this.layout, epoch);
    for (const e of this.held.filter((e) => e.low === low)) this.drop(e);
    this.held.unshift({ epoch, low, secret, supersededAt: undefined, kids: new Set() });
    this.retired.delete(low);
    while (this.held.length > this.maxEpochs) this.drop(this.held[this.held.length - 1]);
    this.pruneAt(now);
  }

  /** Drops an epoch's keys now. Returns whether it was held. */
  removeEpoch(epoch: bigint): boolean {
    checkU64(epoch, 'epoch');
    const e = this.held.find((x) => x.epoch === epoch);
    if (e === undefined) return false;
    this.drop(e);
    const newest = this.held[0];
    if (newest !== undefined && newest.epoch < epoch) newest.supersededAt = undefined;
    return true;
  }

  /** Drops every epoch past its TTL (also done as epochs are added and frames accepted). */
  prune(): void {
    this.pruneAt(this.now());
  }

  /** The epoch, sender index and context a KID names (no state change). */
  resolveKid(kid: bigint): { epoch: bigint; senderIndex: number; context: bigint } {
    checkU64(kid, 'KID');
    const e = this.epochFor(kid, this.now());
    const { senderBits: S, epochBits: E } = this.layout;
    return {
      epoch: e.epoch,
      senderIndex: Number((kid >> BigInt(E)) & ((1n << BigInt(S)) - 1n)),
      context: kid >> BigInt(S + E),
    };
  }

  /**
   * Decrypts the SFrame ciphertext data[start..end) whose header `h` was read
   * at `start`, with `metadata` as the rest of the AAD, writing the plaintext
   * at out[off..]. Throws SFrameError ('unknown-kid', 'expired-epoch',
   * 'replay', 'authentication-failed') and then has changed nothing.
   * Used by SFrameReceiver; callers size `out` from the header and suite.
   */
  openFrame(
    h: HeaderFields,
    data: Uint8Array,
    start: number,
    end: number,
    metadata: Uint8Array,
    out: Uint8Array,
    off: number,
  ): void {
    const entry = this.lookup(h.kidHi, h.kidLo);
    this.checkWindow(entry, entry, h.ctrHi, h.ctrLo);
    if (!entry.keys.sync.open(h, data, start, end, metadata, out, off)) {
      throw this.discard(entry, authFailed());
    }
    this.commit(entry, h.ctrHi, h.ctrLo);
  }

  /**
   * openFrame on the asynchronous AEAD (WebCrypto): resolves to the
   * plaintext of data[start..end). `h` is read at once; `data` and
   * `metadata` must not change until the promise settles. Rejects with the
   * same SFrameErrors as openFrame, and then has changed nothing: the KID and
   * CTR are checked before the AEAD runs and again, against whatever
   * happened meanwhile, after it verified the tag.
   */
  async openFrameAsync(
    h: HeaderFields,
    data: Uint8Array,
    start: number,
    end: number,
    metadata: Uint8Array,
  ): Promise<Uint8Array> {
    const ctrHi = h.ctrHi;
    const ctrLo = h.ctrLo;
    const entry = this.lookup(h.kidHi, h.kidLo);
    this.checkWindow(entry, entry, ctrHi, ctrLo);
    let pt: Uint8Array | undefined;
    try {
      pt = await entry.keys.async.open(h, data, start, end, metadata);
    } catch (e) {
      throw this.discard(entry, e);
    }
    if (pt === undefined) throw this.discard(entry, authFailed());
    this.commit(this.recheck(entry, ctrHi, ctrLo), ctrHi, ctrLo);
    return pt;
  }

  /** Throws 'replay' (dropping `entry` if new) unless `target`'s window takes CTR. */
  private checkWindow(entry: KidEntry, target: KidEntry, ctrHi: number, ctrLo: number): void {
    const verdict = target.window.check(ctrHi, ctrLo);
    if (verdict === 'ok') return;
    throw this.discard(
      entry,
      new SFrameError(
        'replay',
        verdict === 'duplicate'
          ? 'CTR already received for this KID'
          : 'CTR older than the replay window',
      ),
    );
  }

  /**
   * After an await: the entry to commit CTR to, if `entry`'s epoch is still
   * held and unexpired and CTR is still new (another frame may have taken it,
   * or stored this KID first). Throws, having changed nothing, otherwise.
   */
  private recheck(entry: KidEntry, ctrHi: number, ctrLo: number): KidEntry {
    const e = entry.epoch;
    if (!this.held.includes(e) || this.expired(e, this.now())) {
      throw this.discard(entry, this.expiredError(e.epoch));
    }
    let target = entry;
    if (!entry.committed) {
      const stored = this.entries.get(entry.key);
      if (stored !== undefined) target = stored;
      else if (e.kids.size >= this.maxKidsPerEpoch) {
        throw this.discard(
          entry,
          new SFrameError('unknown-kid', `epoch ${e.epoch} already has ${e.kids.size} KIDs`),
        );
      }
    }
    this.checkWindow(entry, target, ctrHi, ctrLo);
    if (target !== entry) entry.keys.destroy();
    return target;
  }

  /** Records an authenticated frame: stores a new KID's entry, moves its window. */
  private commit(entry: KidEntry, ctrHi: number, ctrLo: number): void {
    if (!entry.committed) {
      entry.committed = true;
      this.entries.set(entry.key, entry);
      entry.epoch.kids.add(entry.key);
    }
    entry.window.commit(ctrHi, ctrLo);
    if (this.held.length > 1) this.pruneAt(this.now());
  }

  /** Wipes a not-yet-stored entry's keys; returns `error` for the caller to throw. */
  private discard(entry: KidEntry, error: unknown): unknown {
    if (!entry.committed) entry.keys.destroy();
    return error;
  }

  /** The entry for a KID: cached, or new (keys derived on first use) and not yet stored. */
  private lookup(kidHi: number, kidLo: number): KidEntry {
    const key = kidKey(kidHi, kidLo);
    const cached = this.entries.get(key);
    const now = this.held.length > 1 ? this.now() : 0;
    if (cached !== undefined) {
      if (this.expired(cached.epoch, now)) throw this.expiredError(cached.epoch.epoch);
      return cached;
    }
    const e = this.epochFor(u64(kidHi, kidLo), now);
    if (e.kids.size >= this.maxKidsPerEpoch) {
      throw new SFrameError('unknown-kid', `epoch ${e.epoch} already has ${e.kids.size} KIDs`);
    }
    const keys = new KidKeys(this.suite, e.secret, kidHi, kidLo);
    return new KidEntry(key, e, keys, new ReplayWindow(this.replayWindow));
  }

  private epochFor(kid: bigint, now: number): Epoch {
    if (this.kidBits < 64 && kid >> BigInt(this.kidBits) !== 0n) {
      throw new SFrameError(
        'unknown-kid',
        `KID ${kid} does not fit the ${this.kidBits}-bit layout`,
      );
    }
    const low = Number(kid & this.epochMask);
    const e = this.held.find((x) => x.low === low);
    if (e === undefined) {
      const gone = this.retired.get(low);
      if (gone !== undefined) throw this.expiredError(gone);
      throw new SFrameError('unknown-kid', `no epoch held for KID ${kid}`);
    }
    if (this.expired(e, now)) throw this.expiredError(e.epoch);
    return e;
  }

  private expired(e: Epoch, now: number): boolean {
    return e.supersededAt !== undefined && now - e.supersededAt >= this.epochTtlMs;
  }

  private expiredError(epoch: bigint): SFrameError {
    return new SFrameError('expired-epoch', `keys of epoch ${epoch} have expired`);
  }

  private pruneAt(now: number): void {
    for (let i = this.held.length - 1; i > 0; i--) {
      const e = this.held[i];
      if (this.expired(e, now)) this.drop(e);
    }
  }

  /** Forgets an epoch: wipes its keys and remembers it as retired. */
  private drop(e: Epoch): void {
    for (const k of e.kids) {
      this.entries.get(k)?.keys.destroy();
      this.entries.delete(k);
    }
    e.kids.clear();
    e.secret.fill(0);
    this.held = this.held.filter((x) => x !== e);
    this.retired.delete(e.low);
    this.retired.set(e.low, e.epoch);
    if (this.retired.size > RETIRED_MEMORY) {
      const oldest = this.retired.keys().next().value as number;
      this.retired.delete(oldest);
    }
  }
}
