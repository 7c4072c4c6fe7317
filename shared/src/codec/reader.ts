// Strict decoder for the TLS presentation language as RFC 9420 uses it (§2.1).
// Every length is checked against the bytes actually left before anything is
// allocated, so a hostile length cannot make the decoder allocate or loop.
import { DecodeError } from './errors.js';
import { readVarint } from './varint.js';

/** Reads TLS-encoded values from a byte range; decoded byte strings are copies. */
export class Reader {
  private off: number;

  constructor(
    private readonly buf: Uint8Array,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.off = offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.off;
  }

  /** Current offset into the underlying buffer. */
  get offset(): number {
    return this.off;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.off) {
      throw new DecodeError('truncated', `${what}: need ${n} bytes, ${this.end - this.off} left`);
    }
  }

  u8(): number {
    this.need(1, 'uint8');
    return this.buf[this.off++];
  }

  u16(): number {
    this.need(2, 'uint16');
    const v = (this.buf[this.off] << 8) | this.buf[this.off + 1];
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'uint32');
    const b = this.buf;
    const o = this.off;
    this.off += 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new DecodeError('invalid-value', `bool: ${v}`);
    return v === 1;
  }

  varint(): number {
    const [v, next] = readVarint(this.buf, this.off, this.end);
    this.off = next;
    return v;
  }

  /** `n` raw bytes (fixed-size fields). */
  bytes(n: number): Uint8Array {
    this.need(n, 'bytes');
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  /** `opaque data<V>`; `max` bounds the length where the protocol does. */
  opaque(max = Number.POSITIVE_INFINITY): Uint8Array {
    const n = this.varint();
    if (n > max) throw new DecodeError('too-long', `opaque: ${n} bytes exceeds ${max}`);
    return this.bytes(n);
  }

  /**
   * `T items<V>`: decodes items until the length-prefixed range is used up.
   * Each item must consume at least one byte and stay inside the range.
   */
  vector<T>(decodeItem: (r: Reader) => T, maxItems = Number.POSITIVE_INFINITY): T[] {
    const sub = this.prefixedReader('vector');
    const items: T[] = [];
    while (sub.remaining > 0) {
      const before = sub.off;
      items.push(decodeItem(sub));
      if (sub.off === before) throw new DecodeError('invalid-value', 'vector: empty element');
      if (items.length > maxItems)
        throw new DecodeError('too-long', `vector: over ${maxItems} items`);
    }
    return items;
  }

  /** Decodes a value that must exactly fill a varint-length-prefixed range. */
  prefixed<T>(decodeBody: (r: Reader) => T): T {
    const sub = this.prefixedReader('prefixed');
    const v = decodeBody(sub);
    sub.done();
    return v;
  }

  private prefixedReader(what: string): Reader {
    const n = this.varint();
    this.need(n, what);
    const sub = new Reader(this.buf, this.off, this.off + n);
    this.off += n;
    return sub;
  }

  /** `optional<T>`: presence byte 0 or 1, then the value. */
  optional<T>(decodeValue: (r: Reader) => T): T | undefined {
    const present = this.u8();
    if (present === 0) return undefined;
    if (present !== 1) throw new DecodeError('invalid-value', `optional: presence byte ${present}`);
    return decodeValue(this);
  }

  /** Throws unless every byte of the range has been read. */
  done(): void {
    if (this.off !== this.end) {
      throw new DecodeError('trailing-bytes', `${this.end - this.off} trailing bytes`);
    }
  }
}

/** Decodes a value that must fill `bytes` exactly. */
export function decode<T>(decodeValue: (r: Reader) => T, bytes: Uint8Array): T {
  const r = new Reader(bytes);
  const v = decodeValue(r);
  r.done();
  return v;
}
