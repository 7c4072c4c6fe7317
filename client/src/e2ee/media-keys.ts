/**
 * SFrame parameters shared by every participant of a meeting. The keys
 * themselves are each MLS epoch's (RFC 9605 §5.2), from the key worker.
 */

/** SFrame cipher suite 4: AES_128_GCM_SHA256_128 (RFC 9605 §4.5). */
export const SFRAME_SUITE = 4;

/**
 * KID layout (RFC 9605 §5.2): context | sender index | low epoch bits.
 * 16 sender bits cover MLS leaf indices 0..65535 (a meeting has at most 10,000 members); 4 context bits
 * give each sender 16 tracks (each with its own CTR space); 4 epoch bits keep
 * 16 epochs apart.
 */
export const KID_LAYOUT = { senderBits: 16, epochBits: 4, contextBits: 4 } as const;

/** SFrame context of each kind of track a participant sends (one context per track). */
export const FIRST_CONTEXT = { audio: 0, video: 1 } as const;
export const MAX_CONTEXTS = 2 ** KID_LAYOUT.contextBits;

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
