// Array-based tree math (RFC 9420 §4.2, Appendix C). Trees have a power-of-two
// number of leaves; leaf i is node 2i. Node indices stay below 2^31 (at most
// 2^30 leaves) so 32-bit bitwise arithmetic is exact.

/** Most leaves a tree may have. */
export const MAX_LEAVES = 2 ** 30;

/** floor(log2(x)) for x > 0. */
export function log2(x: number): number {
  return 31 - Math.clz32(x);
}

/** Level of a node: the number of trailing 1 bits (leaves are level 0). */
export function level(x: number): number {
  if ((x & 1) === 0) return 0;
  let k = 0;
  while ((x >> k) & 1) k++;
  return k;
}

/** Number of nodes in a tree of `nLeaves` leaves. */
export function nodeWidth(nLeaves: number): number {
  return nLeaves === 0 ? 0 : 2 * (nLeaves - 1) + 1;
}

/** Root node of a tree of `nLeaves` leaves. */
export function root(nLeaves: number): number {
  return (1 << log2(nodeWidth(nLeaves))) - 1;
}

export function isLeaf(x: number): boolean {
  return (x & 1) === 0;
}

export function leafToNode(leafIndex: number): number {
  return leafIndex * 2;
}

export function nodeToLeaf(x: number): number {
  return x >>> 1;
}

/** Left child of an intermediate node. */
export function left(x: number): number {
  const k = level(x);
  if (k === 0) throw new RangeError(`leaf ${x} has no children`);
  return x ^ (1 << (k - 1));
}

/** Right child of an intermediate node. */
export function right(x: number): number {
  const k = level(x);
  if (k === 0) throw new RangeError(`leaf ${x} has no children`);
  return x ^ (3 << (k - 1));
}

/** Parent of a non-root node in a tree of `nLeaves` leaves. */
export function parent(x: number, nLeaves: number): number {
  if (x === root(nLeaves)) throw new RangeError('the root has no parent');
  const k = level(x);
  const b = (x >> (k + 1)) & 1;
  return (x | (1 << k)) ^ (b << (k + 1));
}

/** Sibling of a non-root node. */
export function sibling(x: number, nLeaves: number): number {
  const p = parent(x, nLeaves);
  return x < p ? right(p) : left(p);
}

/** Direct path of a node: its ancestors from its parent up to the root. */
export function directPath(x: number, nLeaves: number): number[] {
  const r = root(nLeaves);
  const path: number[] = [];
  while (x !== r) {
    x = parent(x, nLeaves);
    path.push(x);
  }
  return path;
}

/** Copath of a node: the sibling of the node and of each ancestor below the root. */
export function copath(x: number, nLeaves: number): number[] {
  const r = root(nLeaves);
  const out: number[] = [];
  while (x !== r) {
    out.push(sibling(x, nLeaves));
    x = parent(x, nLeaves);
  }
  return out;
}

/** The lowest node that is an ancestor of (or equal to) both nodes. */
export function commonAncestor(x: number, y: number): number {
  const lx = level(x) + 1;
  const ly = level(y) + 1;
  if (lx <= ly && x >> ly === y >> ly) return y;
  if (ly <= lx && x >> lx === y >> lx) return x;
  let xn = x;
  let yn = y;
  let k = 0;
  while (xn !== yn) {
    xn >>= 1;
    yn >>= 1;
    k++;
  }
  return (xn << k) + (1 << (k - 1)) - 1;
}

/** Whether `a` is an ancestor of (or equal to) `d`. */
export function isAncestor(a: number, d: number): boolean {
  const k = level(a);
  return d >> (k + 1) === a >> (k + 1);
}
