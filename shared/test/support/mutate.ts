// Deterministic byte-level mutation for decoder fuzz tests: a seeded PRNG, the
// primitive edits (bit flips, substitutions, truncation, insertion, deletion,
// splicing) and length-field rewrites at known varint offsets.

/** A small, fast, seedable PRNG (sfc32 state, seeded through splitmix32). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Integer in [0, n); n must be positive. */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** Integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** A 32-bit seed for a named sub-stream, so each target reproduces on its own. */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Parses a decimal or 0x-hex 32-bit seed; `fallback` when unset. */
export function parseSeed(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback >>> 0;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`CANOPY_FUZZ_SEED must be a 32-bit unsigned integer, got ${text}`);
  }
  return n;
}

/** Parses a positive integer count; `fallback` when unset. */
export function parseCount(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a count, got ${text}`);
  return n;
}

/** `buf` with `deleteCount` bytes at `offset` replaced by `insert`. */
export function splice(
  buf: Uint8Array,
  offset: number,
  deleteCount: number,
  insert: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const del = Math.min(deleteCount, buf.length - offset);
  const out = new Uint8Array(buf.length - del + insert.length);
  out.set(buf.subarray(0, offset), 0);
  out.set(insert, offset);
  out.set(buf.subarray(offset + del), offset + insert.length);
  return out;
}

/** Width of the varint whose first byte is `first` (the 0b11 prefix reports 4). */
export function varintWidth(first: number): 1 | 2 | 4 {
  const prefix = first >>> 6;
  return prefix === 0 ? 1 : prefix === 1 ? 2 : 4;
}

/** Value of the (well-formed) varint at `offset`. */
export function varintAt(buf: Uint8Array, offset: number): number {
  const width = varintWidth(buf[offset]);
  let v = buf[offset] & 0x3f;
  for (let i = 1; i < width; i++) v = v * 256 + buf[offset + i];
  return v;
}

/** `value` as a varint of exactly `width` bytes, minimal or not; the value must fit. */
export function varintBytes(value: number, width: 1 | 2 | 4): Uint8Array {
  const limit = width === 1 ? 0x3f : width === 2 ? 0x3fff : 0x3fffffff;
  if (!Number.isInteger(value) || value < 0 || value > limit) {
    throw new Error(`varint ${value} does not fit ${width} bytes`);
  }
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  out[0] |= width === 1 ? 0 : width === 2 ? 0x40 : 0x80;
  return out;
}

/** The width of the minimal varint for `value`. */
export function minimalWidth(value: number): 1 | 2 | 4 {
  return value < 0x40 ? 1 : value < 0x4000 ? 2 : 4;
}

/** The largest value a varint can carry (2^30 - 1). */
export const VARINT_LIMIT = 0x3fffffff;

/** Rewrites the varint at `offset` as `replacement` (whatever its width). */
export function replaceVarint(
  buf: Uint8Array,
  offset: number,
  replacement: Uint8Array,
): Uint8Array {
  return splice(buf, offset, varintWidth(buf[offset]), replacement);
}

/** A mutated input and a short description of how it was made. */
export interface Mutant {
  readonly bytes: Uint8Array;
  readonly how: string;
}

/** Byte values that sit on encoding boundaries (varint prefixes, enum edges, 0/1). */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x10, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0x81, 0xbf,
  0xc0, 0xfe, 0xff,
];

/** A length value near `value` or on a boundary; never above VARINT_LIMIT. */
function nearbyLength(rng: Prng, value: number, remaining: number): number {
  const candidates = [
    0,
    1,
    value + 1,
    value - 1,
    value + rng.range(2, 16),
    value - rng.range(2, 16),
    value * 2,
    Math.floor(value / 2),
    remaining,
    remaining + 1,
    0x3f,
    0x40,
    0x3fff,
    0x4000,
    VARINT_LIMIT,
    rng.int(0x4000),
    rng.u32() & VARINT_LIMIT,
  ];
  const v = rng.pick(candidates);
  return Math.max(0, Math.min(VARINT_LIMIT, v));
}

/**
 * Corrupts the varint length prefix at `offset`: a different value (minimal or
 * kept at its old width when it fits), a non-minimal re-encoding, or a 0b11 prefix.
 */
export function mutateLength(rng: Prng, buf: Uint8Array, offset: number): Mutant {
  const oldWidth = varintWidth(buf[offset]);
  const value = varintAt(buf, offset);
  const remaining = buf.length - offset - oldWidth;
  const mode = rng.int(4);
  if (mode === 0) {
    const v = nearbyLength(rng, value, remaining);
    return {
      bytes: replaceVarint(buf, offset, varintBytes(v, minimalWidth(v))),
      how: `length@${offset} ${value}->${v}`,
    };
  }
  if (mode === 1) {
    // Same width as before when it fits, so nothing after the prefix moves.
    const max = oldWidth === 1 ? 0x3f : oldWidth === 2 ? 0x3fff : VARINT_LIMIT;
    const v = Math.min(max, nearbyLength(rng, value, remaining));
    return {
      bytes: replaceVarint(buf, offset, varintBytes(v, oldWidth)),
      how: `length@${offset} ${value}->${v} (width ${oldWidth})`,
    };
  }
  if (mode === 2) {
    const width: 2 | 4 = minimalWidth(value) === 1 && rng.chance(0.5) ? 2 : 4;
    if (width > minimalWidth(value)) {
      return {
        bytes: replaceVarint(buf, offset, varintBytes(value, width)),
        how: `length@${offset} ${value} non-minimal width ${width}`,
      };
    }
  }
  const out = buf.slice();
  out[offset] = 0xc0 | (buf[offset] & 0x3f);
  return { bytes: out, how: `length@${offset} 0b11 prefix` };
}

/** One primitive byte-level edit, chosen at random. */
export function mutateBytes(rng: Prng, buf: Uint8Array, donor?: Uint8Array): Mutant {
  const n = buf.length;
  const at = () => rng.int(n + 1);
  const atByte = () => rng.int(n);
  const op = n === 0 ? 4 : rng.int(10);
  switch (op) {
    case 0: {
      const out = buf.slice();
      const flips = rng.range(1, 4);
      const where: number[] = [];
      for (let i = 0; i < flips; i++) {
        const bit = rng.int(n * 8);
        out[bit >>> 3] ^= 1 << (bit & 7);
        where.push(bit);
      }
      return { bytes: out, how: `flip bits ${where.join(',')}` };
    }
    case 1: {
      const out = buf.slice();
      const i = atByte();
      out[i] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256);
      return { bytes: out, how: `set byte ${i}=${out[i]}` };
    }
    case 2: {
      const i = atByte();
      const delta = rng.pick([1, -1, 2, -2, 0x40, -0x40, 0x80]);
      const out = buf.slice();
      out[i] = (out[i] + delta) & 0xff;
      return { bytes: out, how: `add ${delta} to byte ${i}` };
    }
    case 3: {
      const cut = rng.chance(0.5) ? at() : n - rng.range(1, Math.min(n, 8));
      return { bytes: buf.slice(0, cut), how: `truncate to ${cut}` };
    }
    case 4: {
      const i = at();
      const len = rng.chance(0.7) ? rng.range(1, 4) : rng.range(5, 64);
      const ins = rng.chance(0.5)
        ? rng.bytes(len)
        : new Uint8Array(len).fill(rng.pick(INTERESTING));
      return { bytes: splice(buf, i, 0, ins), how: `insert ${len} bytes at ${i}` };
    }
    case 5: {
      const i = atByte();
      const len = rng.chance(0.7) ? rng.range(1, 4) : rng.range(5, 64);
      return { bytes: splice(buf, i, len), how: `delete ${len} bytes at ${i}` };
    }
    case 6: {
      // Duplicate or move a chunk of the input elsewhere in it.
      const from = atByte();
      const len = rng.range(1, Math.min(64, n - from));
      const to = at();
      return {
        bytes: splice(buf, to, rng.chance(0.5) ? len : 0, buf.slice(from, from + len)),
        how: `copy ${len} bytes ${from}->${to}`,
      };
    }
    case 7: {
      if (donor && donor.length > 0) {
        const cut = at();
        const dcut = rng.int(donor.length + 1);
        const out = new Uint8Array(cut + donor.length - dcut);
        out.set(buf.subarray(0, cut), 0);
        out.set(donor.subarray(dcut), cut);
        return { bytes: out, how: `crossover ${cut}|donor ${dcut}` };
      }
      return mutateBytes(rng, buf);
    }
    case 8: {
      // A 2- or 4-byte word set to a boundary value (u16/u32 enums and counts).
      const width = rng.chance(0.5) ? 2 : 4;
      const i = rng.int(Math.max(1, n - width + 1));
      const out = buf.slice();
      const fill = rng.pick([0x00, 0xff, 0x7f, 0x80]);
      for (let k = 0; k < width && i + k < n; k++) out[i + k] = fill;
      if (rng.chance(0.5) && i + width - 1 < n) out[i + width - 1] = rng.pick(INTERESTING);
      return { bytes: out, how: `set ${width}-byte word at ${i}` };
    }
    default: {
      const i = atByte();
      const len = rng.range(1, Math.min(16, n - i));
      const out = buf.slice();
      out.set(rng.bytes(len), i);
      return { bytes: out, how: `randomize ${len} bytes at ${i}` };
    }
  }
}

/** A varint length prefix at `offset` whose range is the `value` bytes after it. */
export interface LengthField {
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly value: number;
}

/** The length fields of `buf` at the given varint offsets. */
export function lengthFields(buf: Uint8Array, offsets: readonly number[]): LengthField[] {
  return offsets.map((offset) => ({
    offset,
    width: varintWidth(buf[offset]),
    value: varintAt(buf, offset),
  }));
}

/**
 * Replaces `deleteCount` bytes at `at` with `insert` and rewrites every length
 * prefix whose range encloses the edit, so the framing around it stays
 * consistent and the decoder reaches the edited structure itself. Returns
 * undefined when the edit straddles a range boundary or a prefix.
 */
export function editWithin(
  buf: Uint8Array,
  fields: readonly LengthField[],
  at: number,
  deleteCount: number,
  insert: Uint8Array,
): Uint8Array | undefined {
  const end = at + deleteCount;
  const enclosing: LengthField[] = [];
  for (const f of fields) {
    const contentStart = f.offset + f.width;
    const spanEnd = contentStart + f.value;
    if (contentStart <= at && end <= spanEnd) enclosing.push(f);
    else if (end <= f.offset || at >= spanEnd) continue;
    else if (deleteCount > 0 && at <= f.offset && spanEnd <= end) continue;
    else return undefined;
  }
  let out = splice(buf, at, deleteCount, insert);
  // Innermost first: a prefix only moves the bytes after it, never an outer prefix.
  enclosing.sort((a, b) => b.offset - a.offset);
  let delta = insert.length - deleteCount;
  for (const f of enclosing) {
    const value = f.value + delta;
    if (value < 0 || value > VARINT_LIMIT) return undefined;
    const bytes = varintBytes(value, minimalWidth(value));
    out = splice(out, f.offset, f.width, bytes);
    delta += bytes.length - f.width;
  }
  return out;
}

/**
 * An edit inside one length-prefixed range, with the enclosing lengths fixed up:
 * empty it, cut or grow it, overwrite part of it with bytes of another length,
 * or drop or duplicate one of the length-prefixed items inside it.
 */
export function mutateWithinRange(
  rng: Prng,
  buf: Uint8Array,
  fields: readonly LengthField[],
): Mutant | undefined {
  if (fields.length === 0) return undefined;
  const f = rng.pick(fields);
  const start = f.offset + f.width;
  const end = start + f.value;
  const children = fields.filter((c) => c.offset >= start && c.offset + c.width + c.value <= end);
  const mode = rng.int(6);
  let at = start;
  let del = 0;
  let ins: Uint8Array = new Uint8Array(0);
  let how: string;
  if (mode === 0) {
    del = f.value;
    how = `empty range@${f.offset}`;
  } else if (mode === 1 && f.value > 0) {
    del = rng.range(1, Math.min(f.value, 8));
    at = rng.chance(0.5) ? end - del : rng.range(start, end - del);
    how = `cut ${del} bytes at ${at} in range@${f.offset}`;
  } else if (mode === 2) {
    at = rng.chance(0.5) ? end : rng.range(start, end);
    ins = rng.chance(0.5) ? rng.bytes(rng.range(1, 8)) : new Uint8Array(rng.range(1, 80));
    how = `grow range@${f.offset} by ${ins.length} at ${at}`;
  } else if (mode === 3 && f.value > 0) {
    at = rng.range(start, end - 1);
    del = rng.range(1, Math.min(end - at, 32));
    ins = rng.bytes(rng.range(0, 40));
    how = `overwrite ${del} bytes at ${at} with ${ins.length} in range@${f.offset}`;
  } else if (children.length > 0) {
    const c = rng.pick(children);
    const span = buf.slice(c.offset, c.offset + c.width + c.value);
    if (mode === 4) {
      at = c.offset;
      del = span.length;
      how = `drop item@${c.offset} of range@${f.offset}`;
    } else {
      at = rng.chance(0.5) ? c.offset : c.offset + span.length;
      ins = span;
      how = `duplicate item@${c.offset} at ${at} in range@${f.offset}`;
    }
  } else {
    return undefined;
  }
  const bytes = editWithin(buf, fields, at, del, ins);
  return bytes ? { bytes, how } : undefined;
}

/**
 * A random mutant of `seed`: with `fields` (its varint length prefixes, as the
 * decoder read them) often a length corruption or a length-consistent edit
 * inside a range, then up to three byte-level edits.
 */
export function mutate(
  rng: Prng,
  seed: Uint8Array,
  fields: readonly LengthField[],
  donor?: Uint8Array,
): Mutant {
  let bytes = seed;
  const steps: string[] = [];
  const roll = rng.u32() / 0x1_0000_0000;
  if (fields.length > 0 && roll < 0.25) {
    const m = mutateLength(rng, bytes, rng.pick(fields).offset);
    bytes = m.bytes;
    steps.push(m.how);
    if (rng.chance(0.6)) return { bytes, how: steps.join('; ') };
  } else if (roll < 0.55) {
    const m = mutateWithinRange(rng, bytes, fields);
    if (m) {
      bytes = m.bytes;
      steps.push(m.how);
      if (rng.chance(0.6)) return { bytes, how: steps.join('; ') };
    }
  }
  const edits = rng.chance(0.6) ? 1 : rng.range(2, 3);
  for (let i = 0; i < edits; i++) {
    const m = mutateBytes(rng, bytes, donor);
    bytes = m.bytes;
    steps.push(m.how);
  }
  return { bytes, how: steps.join('; ') };
}
