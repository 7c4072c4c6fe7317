// Canopy's MLS run through the scenario of mls-scenario.ts.
//
// `populate`: after building (and after each add100), every fourth new member
// commits a self-update once, so parent nodes are set as in a group whose
// members have all committed. In a
// group where only the creator commits, the creator's copath resolutions hold
// about N leaves and every commit needs about N HPKE encryptions (that is the
// protocol, measured as the sparse case). Populating needs thousands of members
// to commit; rather than keep thousands of full member states, a simulated
// member is the creator's epoch state seen from the member's leaf: creating a
// commit needs only the shared epoch secrets, the public tree and the member's
// own signature key, which is exactly what a real member holds. (Commits are
// PublicMessages, so the creator's secret tree is never touched.)

import type { CipherSuite } from '@canopy/shared/crypto';
import {
  type ClientIdentity,
  GroupValidator,
  generateIdentity,
  generateKeyPackage,
  type KeyPackageBundle,
  MlsGroup,
} from '@canopy/shared/mls';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MLS_OPS, type MlsOp, type ScenarioOptions, type ScenarioResult } from './mls-scenario.js';

export interface CanopyScenarioOptions extends ScenarioOptions {
  readonly suite: CipherSuite;
  readonly populate: boolean;
  /** Also time the delivery service's validator applying each commit. */
  readonly validator?: boolean;
}

export interface CanopyScenarioResult extends ScenarioResult {
  readonly validate: Partial<Record<MlsOp, number[]>>;
  readonly populateMs?: number;
}

const now = () => performance.now();

/** A member's view of the creator's current epoch, from the member's own leaf. */
function simulatedMember(creator: MlsGroup, leafIndex: number, identity: ClientIdentity): MlsGroup {
  const { state, options, psks } = creator.snapshot();
  return MlsGroup.fromSnapshot(
    {
      ...state,
      myLeaf: leafIndex,
      signaturePrivateKey: identity.signaturePrivateKey,
      keys: new Map(),
      proposals: new Map(),
      updateKeys: new Map(),
    },
    options,
    psks,
  );
}

export function runCanopyScenario(o: CanopyScenarioOptions): CanopyScenarioResult {
  const { suite } = o;
  const implementation = `canopy (${o.populate ? 'populated tree' : 'sparse tree'})`;
  let counter = 0;
  const bundle = (): KeyPackageBundle =>
    generateKeyPackage(
      suite,
      generateIdentity(suite, { type: 'basic', identity: utf8ToBytes(`m${counter++}`) }),
    );
  const creatorId = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('creator') });
  const a = MlsGroup.create({ suite, identity: creatorId });
  const validator = GroupValidator.fromGroupInfo(suite, a.groupInfo({ withRatchetTree: true }));
  const bundles = Array.from({ length: o.n - 1 }, bundle);
  const identities = new Map<number, ClientIdentity>();

  // 1. build
  let buildMs = 0;
  let b: MlsGroup | undefined;
  for (let i = 0; i < bundles.length; i += o.batch) {
    const chunk = bundles.slice(i, i + o.batch);
    const t0 = now();
    const out = a.commit({ add: chunk.map((k) => k.keyPackage), ratchetTreeInWelcome: false });
    a.mergePendingCommit();
    buildMs += now() - t0;
    validator.process(out.commit);
    for (const [j, m] of out.added.entries()) identities.set(m.leafIndex, chunk[j].identity);
    if (b) b.process(out.commit);
    else
      b = MlsGroup.joinFromWelcome(out.welcome!, chunk[0], suite, { ratchetTree: a.ratchetTree() });
    if (buildMs > o.buildBudgetMs) {
      return {
        implementation,
        n: o.n,
        reached: false,
        note: `build budget exceeded at ${a.members().length} members`,
        create: {},
        process: {},
        validate: {},
        join: [],
        commitBytes: {},
      };
    }
  }
  const bob = b!;

  // populate: every fourth member (other than A and B) commits once
  const populate = (leaves: Iterable<number>) => {
    // Bit-reversed leaf order sets the nodes near the root first, so each later
    // commit finds its copath already populated (leaf order would make half of
    // them encrypt to every leaf of the still-blank other half).
    const bits = Math.max(1, Math.ceil(Math.log2(a.publicState.tree.nLeaves)));
    const reversed = (x: number) => {
      let r = 0;
      for (let i = 0; i < bits; i++) r = (r << 1) | ((x >> i) & 1);
      return r;
    };
    const order = [...leaves].sort((x, y) => reversed(x) - reversed(y));
    for (const leaf of order) {
      if (leaf % 4 !== 2 || leaf === bob.myLeafIndex) continue;
      const out = simulatedMember(a, leaf, identities.get(leaf)!).commit({});
      a.process(out.commit);
      bob.process(out.commit);
      validator.process(out.commit);
    }
  };
  let populateMs: number | undefined;
  if (o.populate) {
    const t0 = now();
    populate(identities.keys());
    populateMs = now() - t0;
  }

  // 2. operations
  const create: Partial<Record<MlsOp, number[]>> = {};
  const process: Partial<Record<MlsOp, number[]>> = {};
  const validate: Partial<Record<MlsOp, number[]>> = {};
  const commitBytes: Partial<Record<MlsOp, number>> = {};
  const join: number[] = [];
  let welcomeBytes: number | undefined;
  const push = (m: Partial<Record<MlsOp, number[]>>, op: MlsOp, v: number) => {
    const list = m[op] ?? [];
    list.push(v);
    m[op] = list;
  };
  for (let r = 0; r < o.runs; r++) {
    for (const op of MLS_OPS) {
      const fresh =
        op === 'add1' ? [bundle()] : op === 'add100' ? Array.from({ length: 100 }, bundle) : [];
      let victim: number | undefined;
      if (op === 'remove1') {
        const candidates = a
          .members()
          .filter((m) => m.leafIndex !== a.myLeafIndex && m.leafIndex !== bob.myLeafIndex);
        victim = candidates[(r * 7919) % candidates.length].leafIndex;
      }
      const t0 = now();
      const out = a.commit({
        add: fresh.map((k) => k.keyPackage),
        remove: victim === undefined ? [] : [victim],
        ratchetTreeInWelcome: op === 'add1',
      });
      a.mergePendingCommit();
      push(create, op, now() - t0);
      const t1 = now();
      bob.process(out.commit);
      push(process, op, now() - t1);
      if (o.validator) {
        const t2 = now();
        validator.process(out.commit);
        push(validate, op, now() - t2);
      }
      commitBytes[op] = out.commit.length;
      for (const [j, m] of out.added.entries()) identities.set(m.leafIndex, fresh[j].identity);
      if (op === 'add100' && o.populate) populate(out.added.map((m) => m.leafIndex));
      if (op === 'add1') {
        welcomeBytes = out.welcome!.length;
        const t3 = now();
        const joined = MlsGroup.joinFromWelcome(out.welcome!, fresh[0], suite);
        join.push(now() - t3);
        if (joined.epoch !== a.epoch) throw new Error('joiner disagrees on the epoch');
      }
      if (bob.epoch !== a.epoch) throw new Error('B disagrees on the epoch');
    }
  }
  return {
    implementation,
    n: o.n,
    reached: true,
    buildMs,
    populateMs,
    create,
    process,
    validate,
    join,
    commitBytes,
    welcomeBytes,
    treeBytes: a.ratchetTree().length,
  };
}
