// Encoder for the TLS presentation language as RFC 9420 uses it (§2.1).
import { EncodeError } from './errors.js';
import { VARINT_MAX, varintSize, writeVarint } from './varint.js';

/** Appends TLS-encoded values to a growable buffer. */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xff)
      throw new EncodeError(`uint8 out of range: ${n}`);
    this.reserve(1);
    this.buf[this.len++] = n;
    return this;
  }

  u16(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff)
      throw new EncodeError(`uint16 out of range: ${n}`);
    this.reserve(2);
    this.buf[this.len++] = n >>> 8;
    this.buf[this.len++] = n & 0xff;
    return this;
  }

  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new EncodeError(`uint32 out of range: ${n}`);
    }
    this.reserve(4);
    this.buf[this.len++] = n >>> 24;
    this.buf[this.len++] = (n >>> 16) & 0xff;
    this.buf[this.len++] = (n >>> 8) & 0xff;
    this.buf[this.len++] = n & 0xff;
    return this;
  }

  u64(n: bigint): this {
    if (n < 0n || n > 0xffffffffffffffffn) throw new EncodeError(`uint64 out of range: ${n}`);
    this.u32(Number(n >> 32n));
    return this.u32(Number(n & 0xffffffffn));
  }

  bool(b: boolean): this {
    return this.u8(b ? 1 : 0);
  }

  varint(n: number): this {
    this.reserve(varintSize(n));
    this.len = writeVarint(this.buf, this.len, n);
    return this;
  }

  /** Raw bytes, no length prefix (fixed-size fields). */
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** `opaque data<V>`: varint byte length, then the bytes. */
  opaque(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  /**
   * `T items<V>`: varint byte length of the encoded items, then the items.
   * Items are encoded in place after a 4-byte gap that is closed up afterwards,
   * so nothing is encoded twice.
   */
  vector<T>(items: Iterable<T>, encodeItem: (w: Writer, item: T) => void): this {
    this.reserve(4);
    const start = this.len;
    this.len += 4;
    for (const item of items) encodeItem(this, item);
    return this.closeLength(start);
  }

  /**
   * Writes whatever `body` writes, prefixed with its varint byte length
   * (for `opaque x<V>` fields that hold an encoded struct).
   */
  prefixed(body: (w: Writer) => void): this {
    this.reserve(4);
    const start = this.len;
    this.len += 4;
    body(this);
    return this.closeLength(start);
  }

  private closeLength(start: number): this {
    const bodyLen = this.len - start - 4;
    if (bodyLen > VARINT_MAX) throw new EncodeError(`vector too long: ${bodyLen} bytes`);
    const size = varintSize(bodyLen);
    if (size < 4) this.buf.copyWithin(start + size, start + 4, this.len);
    writeVarint(this.buf, start, bodyLen);
    this.len -= 4 - size;
    return this;
  }

  /** `optional<T>`: a presence byte, then the value if present. */
  optional<T>(value: T | undefined | null, encodeValue: (w: Writer, v: T) => void): this {
    if (value === undefined || value === null) return this.u8(0);
    this.u8(1);
    encodeValue(this, value);
    return this;
  }

  /** The encoded bytes (a copy, so the writer can be dropped or reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Encodes one value with `encodeValue`. */
export function encode<T>(encodeValue: (w: Writer, v: T) => void, value: T): Uint8Array {
  const w = new Writer();
  encodeValue(w, value);
  return w.finish();
}
