// Drives several MlsGroup members through commits as a delivery service would.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { expect } from 'vitest';
import { DecodeError } from '../../src/codec/index.js';
import type { CipherSuite } from '../../src/crypto/index.js';
import { MlsError } from '../../src/mls/errors.js';
import { MlsGroup } from '../../src/mls/group.js';
import {
  generateIdentity,
  generateKeyPackage,
  type KeyPackageBundle,
} from '../../src/mls/identity.js';
import { serializeGroup } from '../../src/mls/serialization.js';
import { toHex } from './vectors.js';

/**
 * `attempt` throws a typed error (MlsError or DecodeError; with `code` when
 * given) and leaves the group's serialized state byte for byte as it was.
 */
export function expectUnchanged(g: MlsGroup, attempt: () => unknown, code?: string): void {
  const before = toHex(serializeGroup(g));
  let err: unknown;
  try {
    attempt();
  } catch (e) {
    err = e;
  }
  expect(err instanceof MlsError || err instanceof DecodeError, String(err)).toBe(true);
  if (code !== undefined) expect((err as MlsError).code).toBe(code);
  expect(toHex(serializeGroup(g))).toBe(before);
}

/** Deterministic PRNG so a failing scenario reproduces. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Harness {
  readonly members = new Map<string, MlsGroup>();
  private n = 0;
  constructor(readonly suite: CipherSuite) {}

  bundle(name = `m${this.n++}`): KeyPackageBundle & { name: string } {
    const id = generateIdentity(this.suite, { type: 'basic', identity: utf8ToBytes(name) });
    return { ...generateKeyPackage(this.suite, id), name };
  }

  create(name = 'creator'): MlsGroup {
    const id = generateIdentity(this.suite, { type: 'basic', identity: utf8ToBytes(name) });
    const g = MlsGroup.create({ suite: this.suite, identity: id });
    this.members.set(name, g);
    return g;
  }

  /** Commits by `committer`, delivered to everyone else; joiners use the Welcome. */
  deliver(
    committerName: string,
    out: ReturnType<MlsGroup['commit']>,
    joiners: (KeyPackageBundle & { name: string })[] = [],
  ): void {
    const committer = this.members.get(committerName)!;
    for (const [name, g] of this.members) {
      if (name === committerName) continue;
      const r = g.process(out.commit);
      if (r.kind === 'commit' && r.removedSelf) this.members.delete(name);
    }
    const merged = committer.process(out.commit); // the DS echoes the commit back
    expect(merged.kind === 'commit' && merged.own).toBe(true);
    for (const j of joiners) {
      this.members.set(j.name, MlsGroup.joinFromWelcome(out.welcome!, j, this.suite));
    }
  }

  /** Every member agrees on the epoch, tree hash, authenticator and an exported secret. */
  expectAgreement(): void {
    const views = [...this.members.values()].map((g) => ({
      epoch: g.epoch,
      tree: toHex(g.treeHash),
      auth: toHex(g.epochAuthenticator),
      exported: toHex(g.exportSecret('test', new Uint8Array([1]), 16)),
      members: g.members().length,
    }));
    for (const v of views) expect(v).toEqual(views[0]);
    expect(views[0].members).toBe(this.members.size);
  }
}
