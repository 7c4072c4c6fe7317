// How many leading bytes of an encoded frame stay in clear (DESIGN.md, RFC 9605
// §4.4.3 "metadata"): what an SFU must read, authenticated as SFrame metadata.
// VP8: the payload header of RFC 6386 §9.1 — 10 bytes on keyframes (3-byte
// frame tag + 7-byte start code and dimensions), 3 on delta frames.
// Opus: the 1-byte TOC. Other codecs: nothing, unless a policy says so.
import { invalid } from './util.js';

/** Clear bytes for one codec, on keyframes and on other frames. */
export interface ClearBytesRule {
  readonly keyframe: number;
  readonly delta: number;
}

/** Per-codec rules keyed by lower-case codec name (the part after "video/" or "audio/"). */
export type ClearBytesPolicy = Readonly<Record<string, ClearBytesRule>>;

export const DEFAULT_CLEAR_BYTES: ClearBytesPolicy = Object.freeze({
  vp8: Object.freeze({ keyframe: 10, delta: 3 }),
  opus: Object.freeze({ keyframe: 1, delta: 1 }),
});

function ruleValue(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw invalid(`clear-bytes policy ${what} must be a non-negative integer`);
  }
  return n;
}

/**
 * Clear bytes for a frame of `mimeType` ("video/VP8", "audio/opus", or a bare
 * codec name; case-insensitive, parameters ignored). `policy` entries override
 * the defaults per codec. Never more than the frame's length; 0 for an
 * unknown codec.
 */
export function clearByteCount(
  mimeType: string,
  frame: Uint8Array,
  keyframe: boolean,
  policy?: ClearBytesPolicy,
): number {
  if (typeof mimeType !== 'string') throw invalid('mimeType must be a string');
  if (!(frame instanceof Uint8Array)) throw invalid('frame must be a Uint8Array');
  const type = mimeType.split(';', 1)[0].trim().toLowerCase();
  const codec = type.slice(type.indexOf('/') + 1);
  if (policy !== undefined && (typeof policy !== 'object' || policy === null)) {
    throw invalid('clear-bytes policy must be an object');
  }
  const table = policy !== undefined && Object.hasOwn(policy, codec) ? policy : DEFAULT_CLEAR_BYTES;
  const rule: unknown = Object.hasOwn(table, codec) ? table[codec] : undefined;
  if (rule === undefined) return 0;
  if (typeof rule !== 'object' || rule === null)
    throw invalid(`clear-bytes policy for ${codec} must be an object`);
  const r = rule as Partial<ClearBytesRule>;
  const n = keyframe
    ? ruleValue(r.keyframe, `${codec}.keyframe`)
    : ruleValue(r.delta, `${codec}.delta`);
  return Math.min(n, frame.length);
}
