// The MLS benchmark scenario of mls-scenario.ts run with the `ts-mls` npm package
// (https://github.com/LukaJCB/ts-mls), so Canopy's MLS can be compared with
// another TypeScript implementation doing exactly the same operations.
//
// Cipher suite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519), basic
// credentials, ts-mls's default crypto provider. Underneath, that provider is
// Node's WebCrypto (globalThis.crypto.subtle, i.e. OpenSSL): Ed25519 signatures,
// SHA-256 / HMAC, AES-128-GCM, and X25519 through @hpke/core's DHKEM (which also
// uses WebCrypto); HKDF is @hpke/core's (WebCrypto HMAC). Every call is async.
//
// How the scenario maps onto ts-mls:
//  - "A creates the commit and merges it" is createCommit(): ts-mls has no
//    pending-commit step, it returns the next epoch's state directly. The timed
//    part also encodes the commit to wire bytes (MLSMessage), as Canopy's
//    commit() returns bytes.
//  - "B processes it" is decodeMlsMessage() of those bytes + processMessage().
//  - Commits are sent as PublicMessages (wireAsPublicMessage: true), as Canopy
//    sends them (the delivery service validates commits); ts-mls's default
//    would be a PrivateMessage.
//  - Paths: ts-mls decides itself whether a commit carries an UpdatePath, and
//    has no option to force one. It adds a path to commits with Remove or
//    Update proposals and to empty commits, but NOT to add-only commits. So
//    the build commits, add1 and add100 are path-less in ts-mls (a deviation
//    from the scenario that ts-mls does not let us avoid); remove1 and update
//    carry a path. The driver checks this on the decoded commits.
//  - Join: decodeMlsMessage() of the Welcome bytes + joinGroup() without an
//    out-of-band tree (the add1 commit puts the ratchet_tree extension in the
//    GroupInfo, ratchetTreeExtension: true); ts-mls validates the whole tree.
//  - Sizes: encodeMlsMessage() of the commit and of the Welcome (MLSMessage
//    framing, as sent), and encodeRatchetTree() of A's tree at the end — the
//    encoding createCommit uses for the ratchet_tree extension (same moment as
//    Canopy's figure).
//  - Never hang: ts-mls's awaited calls cannot be interrupted, so the default
//    provider's CiphersuiteImpl is wrapped (guarded(), below) to reject every
//    crypto call once a deadline has passed; the ts-mls call then fails at its
//    next crypto step. Deadlines: building as in the scenario (A's timed commits
//    over the budget), plus a wall clock of WALL_BUDGET_FACTOR × the budget for
//    the whole build phase; after building, each single timed operation or join
//    gets at most the budget. Either way the result is reached: false with a note.
//    The wrapper costs a performance.now() per crypto call (tens of ns against
//    the microseconds of a WebCrypto call).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  acceptAll,
  type CiphersuiteImpl,
  type ClientState,
  type Credential,
  createCommit,
  createGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  processMessage,
  type RatchetTree,
  zeroOutUint8Array,
} from 'ts-mls';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { MLS_OPS, type MlsOp, type ScenarioOptions, type ScenarioResult } from './mls-scenario.js';

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
/** Besides A's timed build time, give up when the whole build phase (KeyPackage
 * generation and B's processing included) has taken this many times the budget. */
const WALL_BUDGET_FACTOR = 3;

const now = () => performance.now();

/** 'ts-mls <version>', read from the installed package. */
export function tsMlsImplementationName(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve('ts-mls'));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === 'ts-mls' && pkg.version) return `ts-mls ${pkg.version}`;
      } catch {
        // no package.json at this level
      }
      dir = dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'ts-mls (unknown version)';
}

class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

/** `impl` with each (async) method rejecting, without calling through, once `expired()`. */
function guarded<T extends object>(impl: T, expired: () => boolean): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(impl)) {
    if (typeof value !== 'function') {
      out[key] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    out[key] = (...args: unknown[]) =>
      expired() ? Promise.reject(new BudgetExceeded()) : method.apply(impl, args);
  }
  return out as T;
}

interface Member {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

function toWire(message: MLSMessage): Uint8Array {
  return encodeMlsMessage(message);
}

function fromWire(bytes: Uint8Array): MLSMessage {
  const decoded = decodeMlsMessage(bytes, 0);
  if (!decoded) throw new Error('ts-mls could not decode its own message');
  return decoded[0];
}

/** Leaf indices of the members in a tree. */
function memberLeaves(tree: RatchetTree): number[] {
  const leaves: number[] = [];
  for (let i = 0; i < tree.length; i += 2) if (tree[i]?.nodeType === 'leaf') leaves.push(i / 2);
  return leaves;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Throws unless `other` is in A's epoch with A's tree (so it really processed the commit). */
function checkInSync(who: string, other: ClientState, a: ClientState): void {
  const e = other.groupContext.epoch;
  const ea = a.groupContext.epoch;
  if (e !== ea) throw new Error(`${who} is at epoch ${e} but A is at epoch ${ea}`);
  if (!sameBytes(other.groupContext.treeHash, a.groupContext.treeHash)) {
    throw new Error(`${who} and A disagree on the tree hash at epoch ${ea}`);
  }
}

/** Throws unless the commit on the wire has (or lacks) an UpdatePath as expected. */
function checkPath(op: string, message: MLSMessage, expectPath: boolean): void {
  if (message.wireformat !== 'mls_public_message') throw new Error(`${op}: commit not public`);
  const content = message.publicMessage.content;
  if (content.contentType !== 'commit') throw new Error(`${op}: not a commit`);
  const hasPath = content.commit.path !== undefined;
  if (hasPath !== expectPath) {
    throw new Error(`${op}: ts-mls ${hasPath ? 'added' : 'omitted'} the UpdatePath unexpectedly`);
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export async function runTsMlsScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const implementation = tsMlsImplementationName();
  const { n, runs, batch, buildBudgetMs } = options;
  const create: Partial<Record<MlsOp, number[]>> = {};
  const process: Partial<Record<MlsOp, number[]>> = {};
  const join: number[] = [];
  const joinNotes: string[] = [];
  const commitBytes: Partial<Record<MlsOp, number>> = {};
  let welcomeBytes: number | undefined;
  let buildMs = 0;
  let members = 1;
  let phase = 'setup';
  let wallStart = now();
  let deadline = Number.POSITIVE_INFINITY;
  const expired = () => now() > deadline;
  // ts-mls may wrap a rejected crypto call in its own error (e.g. CryptoError).
  const aborted = (e: unknown) =>
    e instanceof BudgetExceeded || (expired() && String(e).includes('BudgetExceeded'));
  const buildNote = () =>
    `build budget (${buildBudgetMs} ms) exceeded: ${members} of ${n} members after ` +
    `${buildMs.toFixed(0)} ms of A's commits (${((now() - wallStart) / 1000).toFixed(1)} s ` +
    `wall clock including KeyPackage generation and B's processing)`;
  const partial = (note: string): ScenarioResult => ({
    implementation,
    n,
    reached: false,
    note,
    buildMs,
    create,
    process,
    join,
    commitBytes,
    welcomeBytes,
  });
  if (n < 3 || batch < 1 || runs < 0) {
    return partial(`invalid options: n=${n} (needs >= 3), batch=${batch}, runs=${runs}`);
  }

  try {
    const native: CiphersuiteImpl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
    const cs: CiphersuiteImpl = {
      ...native,
      hash: guarded(native.hash, expired),
      kdf: guarded(native.kdf, expired),
      signature: guarded(native.signature, expired),
      hpke: guarded(native.hpke, expired),
    };
    let counter = 0;
    const newMember = async (): Promise<Member> => {
      const credential: Credential = {
        credentialType: 'basic',
        identity: new TextEncoder().encode(`m${counter++}`),
      };
      return await generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], cs);
    };

    const creator = await newMember();
    let a: ClientState = await createGroup(
      new TextEncoder().encode('canopy-bench-ts-mls'),
      creator.publicPackage,
      creator.privatePackage,
      [],
      cs,
    );
    let b: ClientState | undefined;

    // 1. build: A adds the other n-1 members, `batch` at a time; B is the first added.
    phase = 'build';
    wallStart = now();
    const wallDeadline = wallStart + WALL_BUDGET_FACTOR * buildBudgetMs;
    const toAdd = n - 1;
    for (let added = 0; added < toAdd; ) {
      const count = Math.min(batch, toAdd - added);
      deadline = wallDeadline;
      let chunk: Member[] = [];
      for (let i = 0; i < count; i++) chunk.push(await newMember());
      const proposals: Proposal[] = chunk.map((m) => ({
        proposalType: 'add',
        add: { keyPackage: m.publicPackage },
      }));

      const t0 = now();
      deadline = Math.min(wallDeadline, t0 + buildBudgetMs - buildMs);
      const out = await createCommit(
        { state: a, cipherSuite: cs },
        { extraProposals: proposals, wireAsPublicMessage: true },
      ).catch((e: unknown) => {
        if (aborted(e)) buildMs += now() - t0;
        throw e;
      });
      const wire = toWire(out.commit);
      a = out.newState;
      buildMs += now() - t0;
      deadline = wallDeadline;
      for (const s of out.consumed) zeroOutUint8Array(s);
      added += count;
      members += count;

      if (b === undefined) {
        // B joins from the first Welcome, the tree sent out of band (untimed).
        if (!out.welcome) throw new Error('no Welcome for the first batch');
        const welcome = fromWire(
          toWire({ version: 'mls10', wireformat: 'mls_welcome', welcome: out.welcome }),
        );
        if (welcome.wireformat !== 'mls_welcome')
          throw new Error('Welcome decoded as something else');
        const tree = decodeRatchetTree(encodeRatchetTree(a.ratchetTree), 0);
        if (!tree) throw new Error('ts-mls could not decode its own ratchet tree');
        b = await joinGroup(
          welcome.welcome,
          chunk[0].publicPackage,
          chunk[0].privatePackage,
          emptyPskIndex,
          cs,
          tree[0],
        );
      } else {
        const message = fromWire(wire);
        if (message.wireformat !== 'mls_public_message')
          throw new Error('commit decoded as non-public');
        const res = await processMessage(message, b, emptyPskIndex, acceptAll, cs);
        b = res.newState;
        for (const s of res.consumed) zeroOutUint8Array(s);
      }
      checkInSync('B', b, a);
      chunk = [];

      if (added < toAdd && (buildMs > buildBudgetMs || now() > wallDeadline)) {
        return partial(buildNote());
      }
    }
    if (!b) throw new Error('B never joined');
    deadline = Number.POSITIVE_INFINITY;
    const aLeaf = a.privatePath.leafIndex;
    const bLeaf = b.privatePath.leafIndex;

    // 2. operations, 3. join
    const push = (m: Partial<Record<MlsOp, number[]>>, op: MlsOp, v: number) => {
      const list = m[op] ?? [];
      list.push(v);
      m[op] = list;
    };
    for (let r = 0; r < runs; r++) {
      for (const op of MLS_OPS) {
        phase = `run ${r + 1} ${op}: KeyPackages`;
        deadline = now() + buildBudgetMs;
        const fresh: Member[] = [];
        const freshCount = op === 'add1' ? 1 : op === 'add100' ? 100 : 0;
        for (let i = 0; i < freshCount; i++) fresh.push(await newMember());
        const proposals: Proposal[] = fresh.map((m) => ({
          proposalType: 'add',
          add: { keyPackage: m.publicPackage },
        }));
        if (op === 'remove1') {
          const candidates = memberLeaves(a.ratchetTree).filter((l) => l !== aLeaf && l !== bLeaf);
          if (candidates.length === 0) throw new Error('no member to remove');
          const victim = candidates[(r * 7919) % candidates.length];
          proposals.push({ proposalType: 'remove', remove: { removed: victim } });
        }

        phase = `run ${r + 1} ${op}: A's commit`;
        const t0 = now();
        deadline = t0 + buildBudgetMs;
        const out = await createCommit(
          { state: a, cipherSuite: cs },
          {
            extraProposals: proposals,
            wireAsPublicMessage: true,
            ratchetTreeExtension: op === 'add1',
          },
        );
        const wire = toWire(out.commit);
        a = out.newState;
        push(create, op, now() - t0);
        for (const s of out.consumed) zeroOutUint8Array(s);
        members += freshCount - (op === 'remove1' ? 1 : 0);

        phase = `run ${r + 1} ${op}: B's processing`;
        const t1 = now();
        deadline = t1 + buildBudgetMs;
        const message = fromWire(wire);
        if (message.wireformat !== 'mls_public_message')
          throw new Error('commit decoded as non-public');
        const res = await processMessage(message, b, emptyPskIndex, acceptAll, cs);
        push(process, op, now() - t1);
        b = res.newState;
        for (const s of res.consumed) zeroOutUint8Array(s);
        checkInSync('B', b, a);
        checkPath(op, message, op === 'remove1' || op === 'update');
        commitBytes[op] = wire.length;

        if (op === 'add1') {
          if (!out.welcome) throw new Error('add1 produced no Welcome');
          const welcomeWire = toWire({
            version: 'mls10',
            wireformat: 'mls_welcome',
            welcome: out.welcome,
          });
          welcomeBytes = welcomeWire.length;
          phase = `run ${r + 1} add1: join`;
          const t2 = now();
          deadline = t2 + buildBudgetMs;
          const welcome = fromWire(welcomeWire);
          if (welcome.wireformat !== 'mls_welcome')
            throw new Error('Welcome decoded as something else');
          try {
            const joined = await joinGroup(
              welcome.welcome,
              fresh[0].publicPackage,
              fresh[0].privatePackage,
              emptyPskIndex,
              cs,
            );
            join.push(now() - t2);
            checkInSync('the add1 joiner', joined, a);
          } catch (e) {
            // A failed join is a finding, not the end of the run: the other
            // operations are still measured (see the note in the report).
            joinNotes.push(
              `run ${r + 1}: join ${aborted(e) ? 'exceeded the budget' : `failed: ${errorMessage(e)}`}`,
            );
            deadline = Number.POSITIVE_INFINITY;
          }
        }
      }
    }
    deadline = Number.POSITIVE_INFINITY;
    if (memberLeaves(a.ratchetTree).length !== members) {
      throw new Error(
        `A's tree has ${memberLeaves(a.ratchetTree).length} members, expected ${members}`,
      );
    }

    return {
      implementation,
      n,
      reached: true,
      ...(joinNotes.length ? { note: joinNotes.join('; ') } : {}),
      buildMs,
      create,
      process,
      join,
      commitBytes,
      welcomeBytes,
      treeBytes: encodeRatchetTree(a.ratchetTree).length,
    };
  } catch (e) {
    if (aborted(e)) {
      if (phase === 'build') return partial(buildNote());
      return partial(
        `${phase} took longer than the budget (${buildBudgetMs} ms) at ${members} members; ` +
          'aborted (the group was built)',
      );
    }
    return partial(`ts-mls failed during ${phase} (${members} members): ${errorMessage(e)}`);
  }
}
