// An N-member MLS group built in Node, shipped to the browser page as bytes:
// the Welcome that adds joiner J (ratchet tree inside), J's KeyPackage bundle
// (private keys included), and the creator's next two commits (a self-update,
// then a removal), which J processes after joining.
//
// Tree shape: creator A adds N-2 members in one commit, then J in a second
// (both with a path), so only A has committed: a sparse tree, as in
// mls.bench.ts's "sparse" column. Each later commit from A then carries about
// N HPKE ciphertexts, of which J opens one.
import type { CipherSuite } from '@canopy/shared/crypto';
import {
  generateIdentity,
  generateKeyPackage,
  MlsGroup,
  serializeKeyPackageBundle,
} from '@canopy/shared/mls';

export interface MlsFixture {
  readonly n: number;
  readonly welcome: Uint8Array;
  readonly bundle: Uint8Array;
  /** Commits J processes after joining, in order: update, remove. */
  readonly commits: readonly Uint8Array[];
  /** The epoch J reaches after processing every commit. */
  readonly finalEpoch: number;
  /** Time to build it in Node, ms. */
  readonly buildMs: number;
}

/** Builds the fixture for an N-member group (N ≥ 3; J is one of the N). */
export function buildMlsFixture(suite: CipherSuite, n: number): MlsFixture {
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`N must be an integer ≥ 3, got ${n}`);
  const t0 = performance.now();
  const member = (name: string) =>
    generateKeyPackage(
      suite,
      generateIdentity(suite, { type: 'basic', identity: new TextEncoder().encode(name) }),
    );
  const creator = generateIdentity(suite, {
    type: 'basic',
    identity: new TextEncoder().encode('creator'),
  });
  const a = MlsGroup.create({ suite, identity: creator });
  const others = Array.from({ length: n - 2 }, (_, i) => member(`m${i}`));
  a.commit({ add: others.map((k) => k.keyPackage), ratchetTreeInWelcome: false });
  a.mergePendingCommit();

  const j = member('joiner');
  const added = a.commit({ add: [j.keyPackage], ratchetTreeInWelcome: true });
  a.mergePendingCommit();
  const update = a.commit({});
  a.mergePendingCommit();
  const remove = a.commit({ remove: [1] }); // the first added member (not A, not J)
  a.mergePendingCommit();
  return {
    n,
    welcome: added.welcome!,
    bundle: serializeKeyPackageBundle(j),
    commits: [update.commit, remove.commit],
    finalEpoch: Number(a.epoch),
    buildMs: performance.now() - t0,
  };
}

/** The container the page reads: u32 count, then u32 length + bytes for each part. */
export function packFixture(f: MlsFixture): Uint8Array {
  const parts = [f.welcome, f.bundle, ...f.commits];
  const out = new Uint8Array(4 + parts.reduce((s, p) => s + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length);
  let off = 4;
  for (const p of parts) {
    view.setUint32(off, p.length);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}
