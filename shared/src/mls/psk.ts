// Pre-shared keys (RFC 9420 §8.4): identifiers, the store a member resolves
// them from, and the psk_secret derivation.
import { bytesToHex } from '@noble/hashes/utils.js';
import { DecodeError, type Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { MlsError } from './errors.js';

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

/** A PSK identifier with its secret value, in the order the commit lists them. */
export interface ResolvedPsk {
  readonly id: PreSharedKeyId;
  readonly psk: Uint8Array;
}

/**
 * psk_secret (§8.4): the PSKs chained with Extract. Returns the all-zero
 * vector of length Nh when there are none.
 */
export function pskSecret(suite: CipherSuite, psks: readonly ResolvedPsk[]): Uint8Array {
  const nh = suite.hash.size;
  const zero = new Uint8Array(nh);
  let secret: Uint8Array = zero;
  psks.forEach(({ id, psk }, index) => {
    const extracted = suite.extract(zero, psk);
    const w = new Writer(128);
    encodePreSharedKeyId(w, id);
    w.u16(index).u16(psks.length);
    const input = suite.expandWithLabel(extracted, 'derived psk', w.finish(), nh);
    secret = suite.extract(input, secret);
  });
  return secret;
}

/** External and resumption PSKs a member can inject (§8.4). */
export class PskStore {
  private readonly external = new Map<string, Uint8Array>();
  private readonly resumption = new Map<string, Uint8Array>();

  constructor(private readonly maxResumption = 32) {}

  /** Makes an external PSK available by its psk_id. */
  addExternal(pskId: Uint8Array, psk: Uint8Array): void {
    this.external.set(bytesToHex(pskId), psk);
  }

  /** Remembers an epoch's resumption_psk (the oldest are forgotten). */
  addResumption(groupId: Uint8Array, epoch: bigint, psk: Uint8Array): void {
    this.resumption.set(`${bytesToHex(groupId)}:${epoch}`, psk);
    while (this.resumption.size > this.maxResumption) {
      this.resumption.delete(this.resumption.keys().next().value as string);
    }
  }

  /** The PSK values for ids, in order; MlsError when one is not available. */
  resolve(ids: readonly PreSharedKeyId[]): ResolvedPsk[] {
    return ids.map((id) => {
      const psk =
        id.type === 'external'
          ? this.external.get(bytesToHex(id.pskId))
          : this.resumption.get(`${bytesToHex(id.groupId)}:${id.epoch}`);
      if (!psk)
        throw new MlsError(
          'invalid-commit',
          `PSK not available (${id.type === 'external' ? 'external' : 'resumption'})`,
        );
      return { id, psk };
    });
  }

  entries(): { external: [string, Uint8Array][]; resumption: [string, Uint8Array][] } {
    return { external: [...this.external], resumption: [...this.resumption] };
  }

  static fromEntries(e: ReturnType<PskStore['entries']>): PskStore {
    const s = new PskStore();
    for (const [k, v] of e.external) s.external.set(k, v);
    for (const [k, v] of e.resumption) s.resumption.set(k, v);
    return s;
  }
}
