// Bad-input fuzzing of the RFC 9420 decoders. The official vectors are mutated
// many thousands of times (bit flips, byte substitutions, truncation, insertion,
// deletion, splicing, and corruption of the varint length prefixes found by
// tracing the decoder over each seed). Every decoder must either succeed or throw
// exactly DecodeError; on success, encoding the value and decoding it again must
// give the same value and, the codec being canonical, the same bytes.
//
// Reproduce a run with CANOPY_FUZZ_SEED=<seed> (printed at start) and scale it
// with CANOPY_FUZZ_ITERATIONS=<random mutants per target>. Every failure prints
// the target, how the input was made, the input in hex and the stack.
import { isDeepStrictEqual } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DecodeError,
  type DecodeErrorCode,
  decode,
  encode,
  Reader,
  Writer,
} from '../../src/codec/index.js';
import { bytesEqual } from '../../src/mls/bytes.js';
import { decodeCommit, encodeCommit } from '../../src/mls/commit.js';
import { decodeAuthenticatedContent, encodeAuthenticatedContent } from '../../src/mls/framing.js';
import {
  type MLSMessage,
  parseMlsMessage,
  serializeMlsMessage,
} from '../../src/mls/mls-message.js';
import { decodeRatchetTreeNodes, encodeRatchetTreeNodes } from '../../src/mls/node.js';
import { decodeProposal, encodeProposal, ProposalType } from '../../src/mls/proposal.js';
import { decodeUpdatePath, encodeUpdatePath } from '../../src/mls/update-path.js';
import { decodeGroupSecrets, encodeGroupSecrets } from '../../src/mls/welcome.js';
import {
  deriveSeed,
  editWithin,
  type LengthField,
  lengthFields,
  type Mutant,
  minimalWidth,
  mutate,
  mutateLength,
  Prng,
  parseCount,
  parseSeed,
  replaceVarint,
  VARINT_LIMIT,
  varintAt,
  varintBytes,
} from '../support/mutate.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

const SEED = parseSeed(process.env.CANOPY_FUZZ_SEED, 0xc4a0_9f11);
/** Random mutants per target (there are 11 targets). */
const ITERATIONS = parseCount('CANOPY_FUZZ_ITERATIONS', process.env.CANOPY_FUZZ_ITERATIONS, 6000);
/** Seeds per target that get the exhaustive passes (every prefix, every length field). */
const EXHAUSTIVE_SEEDS = 4;
/** Per-test timeout (more for more iterations); the loops yield so that it can fire. */
const TIMEOUT_MS = 20_000 + 2 * ITERATIONS;
/** A single synchronous step that makes no progress for this long kills the run. */
const STALL_MS = 15_000;

const seedHex = `0x${SEED.toString(16).padStart(8, '0')}`;
console.log(
  `[fuzz] CANOPY_FUZZ_SEED=${seedHex} CANOPY_FUZZ_ITERATIONS=${ITERATIONS} ` +
    '(set either to reproduce or scale this run)',
);

// ---------------------------------------------------------------------------
// Targets and their seed corpora (read from the official vectors at test time).

interface Target {
  readonly name: string;
  /** Decodes bytes that must hold exactly one value. */
  readonly parse: (bytes: Uint8Array) => unknown;
  readonly serialize: (value: unknown) => Uint8Array;
  readonly seeds: Uint8Array[];
}

function codecTarget<T>(
  name: string,
  dec: (r: Reader) => T,
  enc: (w: Writer, v: T) => void,
): Target {
  return {
    name,
    parse: (bytes) => decode(dec, bytes),
    serialize: (value) => encode(enc, value as T),
    seeds: [],
  };
}

function messageTarget(kind: MLSMessage['wireFormat']): Target {
  return {
    name: `MLSMessage ${kind}`,
    parse: parseMlsMessage,
    serialize: (value) => serializeMlsMessage(value as MLSMessage),
    seeds: [],
  };
}

const messageKinds = [
  'public_message',
  'private_message',
  'welcome',
  'group_info',
  'key_package',
] as const;
const messages = Object.fromEntries(messageKinds.map((k) => [k, messageTarget(k)])) as Record<
  MLSMessage['wireFormat'],
  Target
>;
const ratchetTree = codecTarget('RatchetTree', decodeRatchetTreeNodes, encodeRatchetTreeNodes);
const groupSecrets = codecTarget('GroupSecrets', decodeGroupSecrets, encodeGroupSecrets);
const commit = codecTarget('Commit', decodeCommit, encodeCommit);
const proposal = codecTarget('Proposal', decodeProposal, encodeProposal);
const authenticatedContent = codecTarget(
  'AuthenticatedContent',
  decodeAuthenticatedContent,
  encodeAuthenticatedContent,
);
const updatePath = codecTarget('UpdatePath', decodeUpdatePath, encodeUpdatePath);

const targets: Target[] = [
  ...messageKinds.map((k) => messages[k]),
  ratchetTree,
  groupSecrets,
  commit,
  proposal,
  authenticatedContent,
  updatePath,
];

const seen = new Map<Target, Set<string>>();
function addSeed(t: Target, bytes: Uint8Array): void {
  let set = seen.get(t);
  if (!set) {
    set = new Set();
    seen.set(t, set);
  }
  const key = toHex(bytes);
  if (set.has(key)) return;
  set.add(key);
  t.seeds.push(bytes);
}

/** Files the messages come from; each gets routed by what it decodes to. */
function addMessage(hexText: string): void {
  const bytes = hex(hexText);
  const m = parseMlsMessage(bytes);
  addSeed(messages[m.wireFormat], bytes);
  if (m.wireFormat !== 'public_message') return;
  const { content, auth } = m.publicMessage;
  addSeed(
    authenticatedContent,
    encode(encodeAuthenticatedContent, { wireFormat: 'public_message', content, auth }),
  );
  if (content.contentType === 'commit') addSeed(commit, encode(encodeCommit, content.commit));
  if (content.contentType === 'proposal')
    addSeed(proposal, encode(encodeProposal, content.proposal));
}

function loadCorpus(): void {
  const messagesJson = loadVectors<Record<string, string>[]>('mls/messages.json');
  const proposalFields: [string, number][] = [
    ['add_proposal', ProposalType.add],
    ['update_proposal', ProposalType.update],
    ['remove_proposal', ProposalType.remove],
    ['pre_shared_key_proposal', ProposalType.psk],
    ['re_init_proposal', ProposalType.reinit],
    ['external_init_proposal', ProposalType.external_init],
    ['group_context_extensions_proposal', ProposalType.group_context_extensions],
  ];
  for (const v of messagesJson) {
    for (const field of [
      'mls_welcome',
      'mls_group_info',
      'mls_key_package',
      'public_message_application',
      'public_message_proposal',
      'public_message_commit',
      'private_message',
    ]) {
      addMessage(v[field]);
    }
    addSeed(ratchetTree, hex(v.ratchet_tree));
    addSeed(groupSecrets, hex(v.group_secrets));
    addSeed(commit, hex(v.commit));
    for (const [field, type] of proposalFields) {
      // The file carries proposal bodies without their type; prefix it.
      addSeed(proposal, hex(type.toString(16).padStart(4, '0') + v[field]));
    }
  }

  interface Protection {
    proposal: string;
    commit: string;
    proposal_pub: string;
    proposal_priv: string;
    commit_pub: string;
    commit_priv: string;
    application_priv: string;
  }
  for (const v of loadVectors<Protection[]>('mls/message-protection.json')) {
    addSeed(proposal, hex(v.proposal));
    addSeed(commit, hex(v.commit));
    for (const m of [
      v.proposal_pub,
      v.proposal_priv,
      v.commit_pub,
      v.commit_priv,
      v.application_priv,
    ]) {
      addMessage(m);
    }
  }

  for (const v of loadVectors<{ welcome: string; key_package: string }[]>('mls/welcome.json')) {
    addMessage(v.welcome);
    addMessage(v.key_package);
  }

  interface Passive {
    key_package: string;
    welcome: string;
    ratchet_tree: string | null;
    epochs: { proposals: string[]; commit: string }[];
  }
  for (const file of [
    'passive-client-welcome.json',
    'passive-client-handling-commit.json',
    'passive-client-random.json',
  ]) {
    for (const v of loadVectors<Passive[]>(`mls/${file}`)) {
      addMessage(v.key_package);
      addMessage(v.welcome);
      if (v.ratchet_tree) addSeed(ratchetTree, hex(v.ratchet_tree));
      for (const e of v.epochs) {
        for (const p of e.proposals) addMessage(p);
        addMessage(e.commit);
      }
    }
  }

  for (const v of loadVectors<{ tree: string }[]>('mls/tree-validation.json')) {
    addSeed(ratchetTree, hex(v.tree));
  }
  interface TreeKem {
    ratchet_tree: string;
    update_paths: { update_path: string }[];
  }
  for (const v of loadVectors<TreeKem[]>('mls/treekem.json')) {
    addSeed(ratchetTree, hex(v.ratchet_tree));
    for (const u of v.update_paths) addSeed(updatePath, hex(u.update_path));
  }
}

// ---------------------------------------------------------------------------
// The property every input must satisfy.

/** A varint length prefix the decoder read, and how many bytes its range had left there. */
interface TracedVarint {
  readonly offset: number;
  readonly remaining: number;
}

/** Every varint the decoder reads while decoding `bytes` (the length prefixes). */
function traceLengthFields(t: Target, bytes: Uint8Array): TracedVarint[] {
  const proto = Reader.prototype;
  const original = proto.varint;
  const fields: TracedVarint[] = [];
  proto.varint = function (this: Reader): number {
    fields.push({ offset: this.offset, remaining: this.remaining });
    return original.call(this);
  };
  try {
    t.parse(bytes);
  } finally {
    proto.varint = original;
  }
  return fields;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

function isExactlyDecodeError(e: unknown): e is DecodeError {
  return e instanceof DecodeError && Object.getPrototypeOf(e) === DecodeError.prototype;
}

type Outcome = { ok: true; result: DecodeErrorCode | 'decoded' } | { ok: false; problem: string };

/**
 * Decodes `input`: a DecodeError (with `expected` code, when given) passes, as
 * does a value that re-encodes to the same bytes and decodes to the same value.
 */
function check(t: Target, input: Uint8Array, expected?: readonly DecodeErrorCode[]): Outcome {
  let value: unknown;
  try {
    value = t.parse(input);
  } catch (e) {
    if (!isExactlyDecodeError(e)) return { ok: false, problem: `threw ${describeError(e)}` };
    if (expected && !expected.includes(e.code)) {
      return {
        ok: false,
        problem: `expected DecodeError '${expected.join("' or '")}', got ${describeError(e)}`,
      };
    }
    return { ok: true, result: e.code };
  }
  if (expected) return { ok: false, problem: `decoded, but must be rejected with '${expected}'` };
  let reencoded: Uint8Array;
  try {
    reencoded = t.serialize(value);
  } catch (e) {
    return { ok: false, problem: `decoded value does not re-encode: ${describeError(e)}` };
  }
  let again: unknown;
  try {
    again = t.parse(reencoded);
  } catch (e) {
    return {
      ok: false,
      problem: `re-encoding ${toHex(reencoded)} does not decode: ${describeError(e)}`,
    };
  }
  if (!isDeepStrictEqual(again, value)) {
    return {
      ok: false,
      problem: `unstable round trip: re-encoding ${toHex(reencoded)} decodes to a different value`,
    };
  }
  if (!bytesEqual(reencoded, input)) {
    return {
      ok: false,
      problem: `accepted a non-canonical encoding; it re-encodes as ${toHex(reencoded)}`,
    };
  }
  return { ok: true, result: 'decoded' };
}

// ---------------------------------------------------------------------------
// Hang watchdog. The decoders are synchronous, so a per-test timeout cannot fire
// while one of them loops; a worker watches a heartbeat and, if a single step
// stalls for STALL_MS, prints the input being decoded and kills this test process
// (vitest then fails the file) rather than letting the run hang.

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const ctl = new Int32Array(workerData.ctl);
const info = new Uint8Array(workerData.info);
let last = -1;
let since = Date.now();
setInterval(() => {
  const beat = Atomics.load(ctl, 0);
  if (beat !== last || Atomics.load(ctl, 1) === 0) { last = beat; since = Date.now(); return; }
  if (Date.now() - since < workerData.stallMs) return;
  const labelLen = Atomics.load(ctl, 2);
  const inputLen = Atomics.load(ctl, 3);
  const label = Buffer.from(info.subarray(0, labelLen)).toString('utf8');
  const input = Buffer.from(info.subarray(labelLen, labelLen + inputLen)).toString('hex');
  writeSync(2, '\\n[fuzz] HANG: no progress for ' + workerData.stallMs + ' ms in ' + label +
    '\\n[fuzz] input (' + inputLen + ' bytes): ' + input + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 200);
`;

class Watchdog {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16));
  private readonly info = new Uint8Array(new SharedArrayBuffer(1 << 20));
  private readonly encoder = new TextEncoder();
  private worker: Worker | undefined;

  start(): void {
    this.worker = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      workerData: { ctl: this.ctl.buffer, info: this.info.buffer, stallMs: STALL_MS },
    });
    this.worker.unref();
  }

  /** Records what is about to be decoded and that the previous step finished. */
  beat(label: string, input: Uint8Array): void {
    const { written } = this.encoder.encodeInto(label, this.info.subarray(0, 4096));
    const n = Math.min(input.length, this.info.length - written);
    this.info.set(input.subarray(0, n), written);
    Atomics.store(this.ctl, 2, written);
    Atomics.store(this.ctl, 3, n);
    Atomics.add(this.ctl, 0, 1);
    Atomics.store(this.ctl, 1, 1);
  }

  idle(): void {
    Atomics.store(this.ctl, 1, 0);
  }

  async stop(): Promise<void> {
    this.idle();
    await this.worker?.terminate();
  }
}

const watchdog = new Watchdog();
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------
// Runs and reports.

interface Failure {
  readonly target: string;
  readonly how: string;
  readonly input: string;
  readonly problem: string;
}

class Run {
  readonly failures: Failure[] = [];
  readonly tally = new Map<string, number>();
  count = 0;

  constructor(readonly target: Target) {}

  one(mutant: Mutant, ...expected: DecodeErrorCode[]): void {
    watchdog.beat(`${this.target.name} (${mutant.how})`, mutant.bytes);
    const outcome = check(this.target, mutant.bytes, expected.length > 0 ? expected : undefined);
    this.count++;
    if (outcome.ok) {
      this.tally.set(outcome.result, (this.tally.get(outcome.result) ?? 0) + 1);
    } else if (this.failures.length < 8) {
      const failure: Failure = {
        target: this.target.name,
        how: mutant.how,
        input: toHex(mutant.bytes),
        problem: outcome.problem,
      };
      this.failures.push(failure);
      console.error(
        `[fuzz] FAILURE ${failure.target} (${failure.how}; seed ${seedHex})\n` +
          `input: ${failure.input}\n${failure.problem}`,
      );
    }
  }

  finish(what: string): void {
    watchdog.idle();
    const counts = [...this.tally].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`[fuzz] ${this.target.name} ${what}: ${this.count} inputs (${counts})`);
    totalInputs += this.count;
    expect(
      this.failures.map(
        (f) => `${f.problem.split('\n')[0]} [${f.how}] input ${f.input.slice(0, 200)}`,
      ),
    ).toEqual([]);
  }
}

let totalInputs = 0;

/** Seeds up to this size get the exhaustive passes, which cost O(size^2) per seed. */
const EXHAUSTIVE_MAX_BYTES = 8192;

/** Up to `n` seeds for the exhaustive passes: the smallest, the largest and random others. */
function exhaustiveSeeds(t: Target, rng: Prng, n: number): Uint8Array[] {
  const eligible = t.seeds.filter((s) => s.length <= EXHAUSTIVE_MAX_BYTES);
  if (eligible.length <= n) return eligible;
  const bySize = [...eligible].sort((a, b) => a.length - b.length);
  const picked = new Set<Uint8Array>([bySize[0], bySize[bySize.length - 1]]);
  while (picked.size < n) picked.add(rng.pick(eligible));
  return [...picked];
}

beforeAll(() => {
  loadCorpus();
  watchdog.start();
});

afterAll(async () => {
  await watchdog.stop();
  console.log(`[fuzz] ${totalInputs} inputs decoded in total (seed ${seedHex})`);
});

describe(`decoders on mutated vectors (seed ${seedHex})`, () => {
  for (const t of targets) {
    describe(t.name, () => {
      test('every seed decodes and re-encodes to the same bytes', () => {
        expect(t.seeds.length).toBeGreaterThan(0);
        const run = new Run(t);
        for (const s of t.seeds) run.one({ bytes: s, how: 'unmodified seed' });
        run.finish('seeds');
      });

      test(
        'every strict prefix is truncated, every extension has trailing bytes',
        async () => {
          const rng = new Prng(deriveSeed(SEED, `${t.name}/prefix`));
          const run = new Run(t);
          for (const s of exhaustiveSeeds(t, rng, EXHAUSTIVE_SEEDS)) {
            for (let cut = 0; cut < s.length; cut++) {
              run.one(
                { bytes: s.subarray(0, cut), how: `prefix of ${cut}/${s.length} bytes` },
                'truncated',
              );
              if ((cut & 255) === 255) await yieldToEventLoop();
            }
            for (const extra of [1, 2, 4, 64]) {
              const longer = new Uint8Array(s.length + extra);
              longer.set(s);
              longer.set(rng.bytes(extra), s.length);
              run.one({ bytes: longer, how: `${extra} bytes appended` }, 'trailing-bytes');
            }
          }
          run.finish('prefixes');
        },
        TIMEOUT_MS,
      );

      test(
        'every length prefix: hostile, non-minimal, 0b11 and nearby values',
        async () => {
          const rng = new Prng(deriveSeed(SEED, `${t.name}/lengths`));
          const run = new Run(t);
          for (const s of exhaustiveSeeds(t, rng, EXHAUSTIVE_SEEDS)) {
            const fields = traceLengthFields(t, s);
            expect(fields.length).toBeGreaterThan(0);
            for (const [i, { offset: off, remaining }] of fields.entries()) {
              const value = varintAt(s, off);
              // A length no input here can satisfy: rejected before anything is read or allocated.
              const hostile = replaceVarint(s, off, varintBytes(VARINT_LIMIT, 4));
              run.one({ bytes: hostile, how: `length@${off} ${value}->2^30-1` }, 'truncated');
              for (const width of [2, 4] as const) {
                if (width <= minimalWidth(value)) continue;
                const bytes = replaceVarint(s, off, varintBytes(value, width));
                const how = `length@${off} ${value} as ${width} bytes`;
                // The widened prefix may now run past the end of the range enclosing it.
                if (width <= remaining) run.one({ bytes, how }, 'non-minimal-varint');
                else run.one({ bytes, how }, 'non-minimal-varint', 'truncated');
              }
              const reserved = s.slice();
              reserved[off] |= 0xc0;
              run.one({ bytes: reserved, how: `length@${off} 0b11 prefix` }, 'invalid-varint');
              for (let k = 0; k < 6; k++) run.one(mutateLength(rng, s, off));
              if ((i & 63) === 63) await yieldToEventLoop();
            }
          }
          run.finish('length fields');
        },
        TIMEOUT_MS,
      );

      test(
        `${ITERATIONS} random mutants`,
        async () => {
          const rng = new Prng(deriveSeed(SEED, `${t.name}/random`));
          const run = new Run(t);
          const traced = new Map<Uint8Array, LengthField[]>();
          for (let i = 0; i < ITERATIONS; i++) {
            const s = rng.pick(t.seeds);
            let fields = traced.get(s);
            if (!fields) {
              fields = lengthFields(
                s,
                traceLengthFields(t, s).map((f) => f.offset),
              );
              traced.set(s, fields);
            }
            const donor = rng.pick(t.seeds);
            const m = mutate(rng, s, fields, donor);
            run.one({ bytes: m.bytes, how: `#${i}: ${m.how}` });
            if ((i & 127) === 127) await yieldToEventLoop();
          }
          run.finish('random mutants');
        },
        TIMEOUT_MS,
      );
    });
  }
});

// ---------------------------------------------------------------------------
// A hostile length must not make a decoder allocate in proportion to it.

/**
 * Runs `fn` with the global Uint8Array, ArrayBuffer and Array constructors
 * wrapped, and returns the largest length any of them was asked for.
 */
function largestAllocation(fn: () => void): number {
  const g = globalThis as unknown as Record<string, unknown>;
  const names = ['Uint8Array', 'ArrayBuffer', 'Array'] as const;
  const saved = names.map((n) => g[n]);
  const RealArrayBuffer = ArrayBuffer;
  let largest = 0;
  const note = (args: unknown[]): void => {
    const a = args[0];
    let n = 0;
    if (typeof a === 'number') n = a;
    else if (a instanceof RealArrayBuffer)
      n = 0; // a view over existing memory
    else if (typeof a === 'object' && a !== null && 'length' in a) n = Number(a.length);
    if (n > largest) largest = n;
  };
  type Ctor = new (...args: unknown[]) => object;
  for (const [i, n] of names.entries()) {
    g[n] = new Proxy(saved[i] as Ctor, {
      construct(target, args, newTarget) {
        note(args);
        return Reflect.construct(target, args, newTarget);
      },
      apply(target, self, args) {
        note(args);
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args);
      },
    });
  }
  try {
    fn();
  } finally {
    for (const [i, n] of names.entries()) g[n] = saved[i];
  }
  return largest;
}

/** What `parse` threw, and the largest allocation it asked for. */
function parseUnderProbe(parse: () => unknown): { error: unknown; largest: number } {
  let error: unknown;
  const largest = largestAllocation(() => {
    try {
      parse();
    } catch (e) {
      error = e;
    }
  });
  return { error, largest };
}

function expectTruncated(error: unknown, where: string): void {
  expect(isExactlyDecodeError(error), `${where}: ${describeError(error)}`).toBe(true);
  expect((error as DecodeError).code, where).toBe('truncated');
}

describe('hostile lengths', () => {
  test('the allocation probe sees allocations made inside shared/src', () => {
    expect(largestAllocation(() => new Writer(12_345))).toBeGreaterThanOrEqual(12_345);
  });

  test('a 2^30-1 byte opaque claimed inside a 100-byte message is truncated, unallocated', () => {
    // MLSMessage { mls10, public_message, FramedContent { group_id<2^30-1> ... } }
    const w = new Writer().u16(1).u16(1).varint(VARINT_LIMIT);
    const input = new Uint8Array(100);
    input.set(w.finish());
    input.fill(0xab, w.length);
    const { error, largest } = parseUnderProbe(() => parseMlsMessage(input));
    expectTruncated(error, 'MLSMessage');
    expect(largest).toBeLessThanOrEqual(input.length);
  });

  test('2^30-1 at every length prefix of every target, without a proportional allocation', () => {
    const rng = new Prng(deriveSeed(SEED, 'hostile'));
    let checked = 0;
    for (const t of targets) {
      const s = rng.pick(t.seeds.filter((x) => x.length <= 4096));
      for (const { offset: off } of traceLengthFields(t, s)) {
        const hostile = replaceVarint(s, off, varintBytes(VARINT_LIMIT, 4));
        watchdog.beat(`${t.name} hostile length@${off}`, hostile);
        const { error, largest } = parseUnderProbe(() => t.parse(hostile));
        expectTruncated(error, `${t.name} length@${off}`);
        expect(largest, `${t.name} length@${off}`).toBeLessThanOrEqual(hostile.length);
        checked++;
      }
    }
    watchdog.idle();
    expect(checked).toBeGreaterThan(100);
  });
});

// ---------------------------------------------------------------------------
// The harness itself: the oracle must catch what it is meant to catch, and a
// length-consistent edit must leave every enclosing length right.

describe('the fuzz harness', () => {
  const bytesTarget = (
    name: string,
    dec: (r: Reader) => unknown,
    enc: (w: Writer, v: never) => void,
  ): Target => codecTarget(name, dec, enc as (w: Writer, v: unknown) => void);

  test('the oracle flags non-DecodeErrors, subclasses, non-canonical and unstable decoders', () => {
    class SubclassedDecodeError extends DecodeError {}
    const throwsTypeError = bytesTarget(
      'TypeError',
      (r) => (r.u8() === 7 ? (undefined as unknown as { x: number }).x : 0),
      (w) => w.u8(0),
    );
    expect(check(throwsTypeError, Uint8Array.of(7)).ok).toBe(false);
    expect(check(throwsTypeError, Uint8Array.of()).ok).toBe(true);
    const subclass = bytesTarget(
      'subclass',
      () => {
        throw new SubclassedDecodeError('truncated', 'x');
      },
      () => {},
    );
    expect(check(subclass, Uint8Array.of(0)).ok).toBe(false);
    const lenientBool = bytesTarget(
      'bool as u8 != 0',
      (r) => r.u8() !== 0,
      (w, b: boolean) => w.bool(b),
    );
    expect(check(lenientBool, Uint8Array.of(1)).ok).toBe(true);
    expect(check(lenientBool, Uint8Array.of(2)).ok).toBe(false);
    const unstable = bytesTarget(
      'grows on re-encoding',
      (r) => r.opaque(),
      (w, b: Uint8Array) => w.opaque(Uint8Array.of(...b, 0)),
    );
    expect(check(unstable, Uint8Array.of(0)).ok).toBe(false);
    const unencodable = bytesTarget(
      'u32 re-encoded as u16',
      (r) => r.u32(),
      (w, n: number) => w.u16(n),
    );
    expect(check(unencodable, Uint8Array.of(0, 1, 0, 0)).ok).toBe(false);
    expect(check(lenientBool, Uint8Array.of(1), ['truncated']).ok).toBe(false);
  });

  test('the allocation probe catches a decoder that trusts a length', () => {
    const input = Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 1, 2, 3);
    const { largest } = parseUnderProbe(() => new Uint8Array(new Reader(input).varint()));
    expect(largest).toBe(VARINT_LIMIT);
  });

  test('doubling a range with its framing fixed up still decodes, to exactly those bytes', () => {
    const rng = new Prng(deriveSeed(SEED, 'harness'));
    let grown = 0;
    for (const t of targets) {
      const small = t.seeds.filter((x) => x.length <= 2048);
      for (const s of [rng.pick(small), rng.pick(small)]) {
        const fields = lengthFields(
          s,
          traceLengthFields(t, s).map((f) => f.offset),
        );
        for (const f of fields) {
          const start = f.offset + f.width;
          const end = start + f.value;
          const leaf = !fields.some((c) => c.offset >= start && c.offset < end);
          // A non-empty range with no length prefix inside holds bytes or a run of
          // whole items without lengths, so a second copy of its content is well-formed.
          if (!leaf || f.value === 0) continue;
          const bytes = editWithin(s, fields, end, 0, s.slice(start, end));
          expect(bytes, `${t.name} range@${f.offset}`).toBeDefined();
          const outcome = check(t, bytes as Uint8Array);
          expect(outcome, `${t.name} range@${f.offset}`).toEqual({ ok: true, result: 'decoded' });
          grown++;
        }
      }
    }
    expect(grown).toBeGreaterThan(100);
  });
});
