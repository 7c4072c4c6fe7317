// Pre-shared key identifiers (RFC 9420 §8.4). The psk_secret derivation lives
// in key-schedule.ts with the rest of the key schedule.
import { DecodeError, type Reader, type Writer } from '../codec/index.js';

export const PskType = { external: 1, resumption: 2 } as const;
export const ResumptionPskUsage = { application: 1, reinit: 2, branch: 3 } as const;

export type PreSharedKeyId =
  | { readonly type: 'external'; readonly pskId: Uint8Array; readonly nonce: Uint8Array }
  | {
      readonly type: 'resumption';
      readonly usage: number;
      readonly groupId: Uint8Array;
      readonly epoch: bigint;
      readonly nonce: Uint8Array;
    };

export function encodePreSharedKeyId(w: Writer, id: PreSharedKeyId): void {
  if (id.type === 'external') {
    w.u8(PskType.external).opaque(id.pskId);
  } else {
    w.u8(PskType.resumption).u8(id.usage).opaque(id.groupId).u64(id.epoch);
  }
  w.opaque(id.nonce);
}

export function decodePreSharedKeyId(r: Reader): PreSharedKeyId {
  const type = r.u8();
  if (type === PskType.external) {
    const pskId = r.opaque();
    return { type: 'external', pskId, nonce: r.opaque() };
  }
  if (type === PskType.resumption) {
    const usage = r.u8();
    if (usage < 1 || usage > 3) throw new DecodeError('invalid-value', `resumption usage ${usage}`);
    const groupId = r.opaque();
    const epoch = r.u64();
    return { type: 'resumption', usage, groupId, epoch, nonce: r.opaque() };
  }
  throw new DecodeError('invalid-value', `psk type ${type}`);
}
