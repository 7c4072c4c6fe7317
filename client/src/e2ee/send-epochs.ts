/**
 * Which MLS epoch a member's SFrame senders encrypt under (DESIGN.md, "Epochs
 * and media keys"): receivers install every epoch as soon as it is applied,
 * but senders start on the first epoch they get and then move only when the
 * delivery service announces the switch, so nobody receives frames under a
 * key it does not hold yet. A switch can be announced before its epoch
 * arrives here; it then takes effect when the epoch does.
 *
 * Also the check that a frame's KID names the sender a track belongs to.
 */
import { decodeHeader, parseKid, SFrameError } from '@canopy/shared/sframe';
import { KID_LAYOUT } from './media-keys.js';

export interface EpochKey {
  readonly epoch: bigint;
  readonly baseKey: Uint8Array;
}

/** What an applied epoch or a switch changed for the senders. */
export type SendChange =
  /** Nothing: senders keep their epoch (they wait for its switch). */
  | undefined
  /** Senders move to `current` now. */
  | 'switched'
  /** This member has a new leaf (first epoch, or re-added): new KIDs, so new senders, under `current`. */
  | 'new-leaf';

/** Applied epochs kept for a switch that has not come yet. */
const MAX_WAITING = 4;

export class SendEpochs {
  #waiting: EpochKey[] = [];
  #current: EpochKey | undefined;
  #pendingSwitch: bigint | undefined;
  #leaf: number | undefined;

  /** The epoch senders use now. */
  get current(): EpochKey | undefined {
    return this.#current;
  }

  /** This member's leaf index (the sender bits of its KIDs), once it has an epoch. */
  get leafIndex(): number | undefined {
    return this.#leaf;
  }

  /** Throws (changing nothing) unless `epoch` can be applied next with `leafIndex`. */
  check(epoch: bigint, baseKey: Uint8Array, leafIndex: number): void {
    if (typeof epoch !== 'bigint' || epoch < 0n) throw new RangeError('epoch must be a u64');
    if (!(baseKey instanceof Uint8Array) || baseKey.length === 0)
      throw new RangeError('base key must be bytes');
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= 2 ** KID_LAYOUT.senderBits)
      throw new RangeError(`leaf index ${leafIndex} does not fit the KID layout`);
    const newest = this.#waiting.at(-1) ?? this.#current;
    if (newest && epoch <= newest.epoch)
      throw new RangeError(`epoch ${epoch} is not newer than ${newest.epoch}`);
  }

  /** An epoch was applied (see `check`). */
  applied(epoch: bigint, baseKey: Uint8Array, leafIndex: number): SendChange {
    this.check(epoch, baseKey, leafIndex);
    const key = { epoch, baseKey };
    if (this.#leaf !== leafIndex || !this.#current) {
      const newLeaf = this.#leaf !== leafIndex;
      this.#leaf = leafIndex;
      this.#use(key);
      return newLeaf ? 'new-leaf' : 'switched';
    }
    this.#waiting.push(key);
    if (this.#waiting.length > MAX_WAITING) this.#waiting.shift();
    if (this.#pendingSwitch !== undefined && epoch >= this.#pendingSwitch) {
      this.#use(key);
      return 'switched';
    }
    return undefined;
  }

  /** The DS announced the switch to `epoch`. */
  switched(epoch: bigint): SendChange {
    if (typeof epoch !== 'bigint') return undefined;
    if (this.#current && epoch <= this.#current.epoch) return undefined;
    const key = this.#waiting.find((k) => k.epoch === epoch);
    if (!key) {
      this.#pendingSwitch = epoch;
      return undefined;
    }
    this.#use(key);
    return 'switched';
  }

  #use(key: EpochKey): void {
    this.#current = key;
    this.#pendingSwitch = undefined;
    this.#waiting = this.#waiting.filter((k) => k.epoch > key.epoch);
  }
}

/**
 * The sender index (MLS leaf) in the KID of an SFrame-encrypted frame whose
 * first `clearBytes` are clear; throws SFrameError on a malformed header.
 */
export function kidSenderIndex(frame: Uint8Array, clearBytes: number): number {
  if (clearBytes > frame.length) throw new SFrameError('truncated', 'no room for the clear bytes');
  return parseKid(KID_LAYOUT, decodeHeader(frame.subarray(clearBytes)).kid).senderIndex;
}
