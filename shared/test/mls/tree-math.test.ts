import { describe, expect, test } from 'vitest';
import {
  commonAncestor,
  copath,
  directPath,
  isAncestor,
  left,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
} from '../../src/mls/tree-math.js';
import { loadVectors } from '../support/vectors.js';

interface TreeMathVector {
  n_leaves: number;
  n_nodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

const vectors = loadVectors<TreeMathVector[]>('mls/tree-math.json');
const orNull = (f: () => number): number | null => {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
};

describe('tree-math.json', () => {
  test.each(vectors)('n_leaves = $n_leaves', (v) => {
    expect(nodeWidth(v.n_leaves)).toBe(v.n_nodes);
    expect(root(v.n_leaves)).toBe(v.root);
    for (let i = 0; i < v.n_nodes; i++) {
      expect(
        orNull(() => left(i)),
        `left(${i})`,
      ).toBe(v.left[i]);
      expect(
        orNull(() => right(i)),
        `right(${i})`,
      ).toBe(v.right[i]);
      expect(
        orNull(() => parent(i, v.n_leaves)),
        `parent(${i})`,
      ).toBe(v.parent[i]);
      expect(
        orNull(() => sibling(i, v.n_leaves)),
        `sibling(${i})`,
      ).toBe(v.sibling[i]);
    }
  });
});

describe('paths and ancestors', () => {
  test('direct path ends at the root and copath siblings line up', () => {
    for (const n of [1, 2, 4, 8, 64]) {
      for (let leaf = 0; leaf < n; leaf++) {
        const x = 2 * leaf;
        const dp = directPath(x, n);
        const cp = copath(x, n);
        expect(dp.length).toBe(Math.log2(n));
        expect(cp.length).toBe(dp.length);
        if (n > 1) expect(dp[dp.length - 1]).toBe(root(n));
        const chain = [x, ...dp].slice(0, dp.length);
        expect(chain.map((node) => sibling(node, n))).toEqual(cp);
      }
    }
  });
  test('common ancestor is the lowest shared node of both direct paths', () => {
    const n = 32;
    for (let a = 0; a < 2 * n - 1; a++) {
      for (let b = 0; b < 2 * n - 1; b += 3) {
        const pa = [a, ...(a === root(n) ? [] : directPath(a, n))];
        const pb = new Set([b, ...(b === root(n) ? [] : directPath(b, n))]);
        const expected = pa.find((x) => pb.has(x));
        expect(commonAncestor(a, b), `${a},${b}`).toBe(expected);
        expect(isAncestor(commonAncestor(a, b), a)).toBe(true);
        expect(isAncestor(commonAncestor(a, b), b)).toBe(true);
      }
    }
  });
});
