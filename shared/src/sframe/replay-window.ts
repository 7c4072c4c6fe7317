// Anti-replay for one KID (RFC 9605 §7.4 leaves replay to the application).
// A sliding window over CTR in the style of IPsec/SRTP: the highest CTR
// accepted so far, and a bitmap of which of the `size` CTRs at or below it
// have been seen. Anything older than the window is refused, so no CTR is
// ever accepted twice. check() never changes state; commit() is called only
// once the frame has authenticated, so forged frames cannot move the window.
//
// CTRs are uint64 carried as uint32 halves (hi, lo); `size` is a power of two
// (it divides 2^32, so a CTR's bitmap slot is just lo & (size - 1)).
import { TWO32, u64 } from './util.js';

/** 'ok', or why a CTR is refused. */
export type ReplayCheck = 'ok' | 'duplicate' | 'too-old';

export class ReplayWindow {
  private seen = false;
  private topHi = 0;
  private topLo = 0;
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** `size`: a power of two, 1 to 65536. */
  constructor(readonly size: number) {
    this.mask = size - 1;
    this.bits = new Uint32Array(Math.ceil(size / 32));
  }

  /**
   * CTR minus the highest accepted CTR. Exact whenever |difference| < 2^53,
   * and otherwise still far beyond any window, which is all callers need.
   */
  private distance(hi: number, lo: number): number {
    return (hi - this.topHi) * TWO32 + (lo - this.topLo);
  }

  private bit(lo: number): boolean {
    const i = lo & this.mask;
    return (this.bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Whether CTR (hi, lo) would be accepted now. Changes nothing. */
  check(hi: number, lo: number): ReplayCheck {
    if (!this.seen) return 'ok';
    const d = this.distance(hi, lo);
    if (d > 0) return 'ok';
    if (-d >= this.size) return 'too-old';
    return this.bit(lo) ? 'duplicate' : 'ok';
  }

  /** Records CTR (hi, lo) as accepted. Only after check() returned 'ok' and the frame authenticated. */
  commit(hi: number, lo: number): void {
    const d = this.seen ? this.distance(hi, lo) : this.size;
    if (d > 0) {
      if (d >= this.size) {
        this.bits.fill(0);
      } else {
        for (let k = 1; k <= d; k++) {
          const i = (this.topLo + k) & this.mask;
          this.bits[i >>> 5] &= ~(1 << (i & 31));
        }
      }
      this.seen = true;
      this.topHi = hi;
      this.topLo = lo;
    }
    const i = lo & this.mask;
    this.bits[i >>> 5] |= 1 << (i & 31);
  }

  /** The highest CTR accepted so far, if any. */
  get highest(): bigint | undefined {
    return this.seen ? u64(this.topHi, this.topLo) : undefined;
  }
}
