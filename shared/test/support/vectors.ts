// Official test vectors are read at test time from ../shared/vectors beside the
// repository (CANOPY_VECTORS_DIR overrides). They are never copied into the repo.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Absolute path of the vectors directory. */
export const vectorsDir = process.env.CANOPY_VECTORS_DIR ?? resolve(repoRoot, '../shared/vectors');

/** Parses a JSON vector file, e.g. `loadVectors('mls/tree-math.json')`. Missing vectors fail loudly. */
export function loadVectors<T = unknown>(relPath: string): T {
  const file = resolve(vectorsDir, relPath);
  if (!existsSync(file)) {
    throw new Error(
      `test vectors not found: ${file}. Put the shared folder beside the repository ` +
        '(../shared/vectors) or set CANOPY_VECTORS_DIR.',
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Hex string to bytes (test helper; vectors are lowercase hex). */
export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new Error(`odd hex length ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
    if (Number.isNaN(byte)) throw new Error(`bad hex at ${2 * i}`);
    out[i] = byte;
  }
  return out;
}

/** Bytes to lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Counts vector cases per file for suites we run and suites we skip, and prints
 * one line per file at the end so skipped suites are never silent.
 */
export class VectorTally {
  readonly passed = new Map<number | string, number>();
  readonly skipped = new Map<number | string, number>();
  constructor(readonly file: string) {}
  pass(suite: number | string = 'all'): void {
    this.passed.set(suite, (this.passed.get(suite) ?? 0) + 1);
  }
  skip(suite: number | string): void {
    this.skipped.set(suite, (this.skipped.get(suite) ?? 0) + 1);
  }
  report(): string {
    const fmt = (m: Map<number | string, number>) =>
      [...m].map(([k, v]) => `suite ${k}: ${v}`).join(', ') || 'none';
    const line = `[vectors] ${this.file}: passed ${fmt(this.passed)}; skipped ${fmt(this.skipped)}`;
    console.log(line);
    return line;
  }
}
