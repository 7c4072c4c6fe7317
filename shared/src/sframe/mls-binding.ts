// RFC 9605 §5.2: SFrame keyed by MLS.
//
//   base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk)      (once per epoch)
//   KID      = (context << (S + E)) + (sender_index << E) + (epoch % (1 << E))
//
//     64-S-E bits   S bits   E bits
//   +-------------+--------+-------+
//   | Context ID  | Index  | Epoch |
//   +-------------+--------+-------+
//
// Each member derives the keys of a KID from the epoch's base_key (§4.4.2), so
// every (sender, context) has its own key and salt and senders need not
// coordinate their counters.
import { cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { SFrameError } from './errors.js';
import { checkBytes, checkInt, checkU64, invalid } from './util.js';

/** MLS-Exporter(label, context, length) of the group's current epoch (RFC 9420 §8.5). */
export type MlsExporter = (label: string, context: Uint8Array, length: number) => Uint8Array;

/** The exporter label of §5.2. */
export const SFRAME_EXPORTER_LABEL = 'SFrame 1.0 Base Key';

/** An epoch's SFrame base_key: MLS-Exporter("SFrame 1.0 Base Key", "", Nk). */
export function mlsBaseKey(exporter: MlsExporter, suite: SFrameSuiteId): Uint8Array {
  const s = cipherSuite(suite);
  if (typeof exporter !== 'function') throw invalid('exporter must be a function');
  const key = exporter(SFRAME_EXPORTER_LABEL, new Uint8Array(0), s.Nk);
  checkBytes(key, 'exporter output');
  if (key.length !== s.Nk) throw invalid(`exporter returned ${key.length} bytes, wanted ${s.Nk}`);
  return key;
}

/**
 * Bit widths of the KID fields: S = senderBits (a leaf index needs
 * group_size <= 2^S), E = epochBits (2^E epochs can be told apart), and the
 * context above them (default: the remaining 64 - S - E bits).
 */
export interface KidLayout {
  senderBits: number;
  epochBits: number;
  contextBits?: number;
}

/** A validated layout: every width set. */
export type ResolvedKidLayout = Readonly<Required<KidLayout>>;

/**
 * Validates widths: senderBits and epochBits integers in [0, 32] (a leaf index
 * is a uint32; low epoch bits are kept as a number), contextBits in
 * [0, 64 - S - E]. Throws SFrameError('invalid-argument').
 */
export function resolveKidLayout(layout: KidLayout): ResolvedKidLayout {
  if (typeof layout !== 'object' || layout === null) throw invalid('layout must be an object');
  const { senderBits, epochBits } = layout;
  checkInt(senderBits, 'layout.senderBits', 0, 32);
  checkInt(epochBits, 'layout.epochBits', 0, 32);
  const room = 64 - senderBits - epochBits;
  const contextBits = layout.contextBits ?? room;
  checkInt(contextBits, `layout.contextBits (with ${senderBits} + ${epochBits} bits)`, 0, room);
  return Object.freeze({ senderBits, epochBits, contextBits });
}

/** The low E bits of an epoch, as a number. */
export function lowEpochBits(layout: ResolvedKidLayout, epoch: bigint): number {
  return Number(epoch & ((1n << BigInt(layout.epochBits)) - 1n));
}

/** KID = context | sender index | low epoch bits, for one sender context in one epoch. */
export function makeKid(
  layout: KidLayout,
  context: number | bigint,
  senderIndex: number,
  epoch: bigint,
): bigint {
  const l = resolveKidLayout(layout);
  checkInt(senderIndex, 'senderIndex', 0, 2 ** l.senderBits - 1);
  const ctx =
    typeof context === 'number' && Number.isSafeInteger(context) ? BigInt(context) : context;
  if (typeof ctx !== 'bigint' || ctx < 0n || ctx >= 1n << BigInt(l.contextBits)) {
    throw invalid(`context must be an integer in [0, 2^${l.contextBits} - 1]`);
  }
  checkU64(epoch, 'epoch');
  const E = BigInt(l.epochBits);
  return (
    (ctx << BigInt(l.senderBits + l.epochBits)) |
    (BigInt(senderIndex) << E) |
    BigInt(lowEpochBits(l, epoch))
  );
}

/** The fields of a KID under a layout; SFrameError('unknown-kid') if it does not fit. */
export function parseKid(
  layout: KidLayout,
  kid: bigint,
): { context: bigint; senderIndex: number; epochBits: number } {
  const l = resolveKidLayout(layout);
  checkU64(kid, 'KID');
  const total = l.contextBits + l.senderBits + l.epochBits;
  if (total < 64 && kid >> BigInt(total) !== 0n) {
    throw new SFrameError('unknown-kid', `KID ${kid} does not fit the ${total}-bit KID layout`);
  }
  const E = BigInt(l.epochBits);
  const S = BigInt(l.senderBits);
  return {
    context: kid >> (S + E),
    senderIndex: Number((kid >> E) & ((1n << S) - 1n)),
    epochBits: Number(kid & ((1n << E) - 1n)),
  };
}
