// ProtocolVersion (RFC 9420 §6): only mls10 exists.
import { DecodeError, type Reader, type Writer } from '../codec/index.js';

/** The only protocol version, mls10. */
export const MLS10 = 1;

export function encodeVersion(w: Writer, v: number): void {
  w.u16(v);
}

/** Reads a ProtocolVersion and requires mls10. */
export function decodeVersion(r: Reader): number {
  const v = r.u16();
  if (v !== MLS10) throw new DecodeError('invalid-value', `protocol version ${v}`);
  return v;
}
