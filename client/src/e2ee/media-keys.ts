/**
 * SFrame parameters shared by every participant of a meeting, and the FIXED
 * TEST KEY used until MLS epochs provide real keys (issue: MLS key schedule).
 *
 * The fixed key is public (it is in this file): media is encrypted end to end
 * in form only, so the SFU path is exercised, but anyone with the source can
 * decrypt it. The meeting page says so.
 */

/** SFrame cipher suite 4: AES_128_GCM_SHA256_128 (RFC 9605 §4.5). */
export const SFRAME_SUITE = 4;

/**
 * KID layout (RFC 9605 §5.2): context | sender index | low epoch bits.
 * 16 sender bits cover the server's sender indices (0..65535); 4 context bits
 * give each sender 16 tracks (each with its own CTR space); 4 epoch bits keep
 * 16 epochs apart.
 */
export const KID_LAYOUT = { senderBits: 16, epochBits: 4, contextBits: 4 } as const;

/** SFrame context of each kind of track a participant sends (one context per track). */
export const FIRST_CONTEXT = { audio: 0, video: 1 } as const;
export const MAX_CONTEXTS = 2 ** KID_LAYOUT.contextBits;

/** A media key: an epoch and its SFrame base key. */
export interface MediaKey {
  epoch: bigint;
  baseKey: Uint8Array;
}

/** THE FIXED TEST KEY — public, for development only. */
export const FIXED_TEST_KEY: MediaKey = {
  epoch: 0n,
  baseKey: hexToBytes('63616e6f70792d746573742d6b65792d'),
};

/** The KID a sender's track uses in `epoch` (for checks; SFrame computes its own). */
export function expectedKid(senderIndex: number, context: number, epoch: bigint): bigint {
  const { senderBits, epochBits } = KID_LAYOUT;
  const epochMask = (1n << BigInt(epochBits)) - 1n;
  return (
    (BigInt(context) << BigInt(senderBits + epochBits)) |
    (BigInt(senderIndex) << BigInt(epochBits)) |
    (epoch & epochMask)
  );
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
