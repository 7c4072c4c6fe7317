// GroupContext (RFC 9420 §8.1): what every member agrees on in an epoch.
import { type Reader, Writer } from '../codec/index.js';
import { decodeExtensions, type Extension, encodeExtensions } from './extensions.js';
import { decodeVersion, encodeVersion, MLS10 } from './version.js';

export interface GroupContext {
  readonly version: number;
  readonly cipherSuite: number;
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly treeHash: Uint8Array;
  readonly confirmedTranscriptHash: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function encodeGroupContext(w: Writer, gc: GroupContext): void {
  encodeVersion(w, gc.version);
  w.u16(gc.cipherSuite).opaque(gc.groupId).u64(gc.epoch).opaque(gc.treeHash);
  w.opaque(gc.confirmedTranscriptHash);
  encodeExtensions(w, gc.extensions);
}

export function decodeGroupContext(r: Reader): GroupContext {
  return {
    version: decodeVersion(r),
    cipherSuite: r.u16(),
    groupId: r.opaque(),
    epoch: r.u64(),
    treeHash: r.opaque(),
    confirmedTranscriptHash: r.opaque(),
    extensions: decodeExtensions(r),
  };
}

/** The TLS encoding of a group context (used as KDF context and in signatures). */
export function serializeGroupContext(gc: GroupContext): Uint8Array {
  const w = new Writer(256);
  encodeGroupContext(w, gc);
  return w.finish();
}

export function groupContext(
  fields: Omit<GroupContext, 'version'> & { version?: number },
): GroupContext {
  return { version: MLS10, ...fields };
}
