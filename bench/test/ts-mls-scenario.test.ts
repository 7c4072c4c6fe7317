import { describe, expect, test } from 'vitest';
import { MLS_OPS } from '../src/mls-scenario.js';
import { runTsMlsScenario } from '../src/ts-mls-scenario.js';

describe('ts-mls benchmark driver', () => {
  test('runs the whole scenario at n = 8 and fills every field', async () => {
    const r = await runTsMlsScenario({ n: 8, runs: 1, batch: 4, buildBudgetMs: 60_000 });
    expect(r.note).toBeUndefined();
    expect(r.reached).toBe(true);
    expect(r.implementation).toMatch(/^ts-mls \d+\.\d+\.\d+/);
    expect(r.n).toBe(8);
    expect(r.buildMs).toBeGreaterThan(0);
    for (const op of MLS_OPS) {
      expect(r.create[op], op).toHaveLength(1);
      expect(r.process[op], op).toHaveLength(1);
      expect(r.commitBytes[op], op).toBeGreaterThan(0);
    }
    expect(r.join).toHaveLength(1);
    expect(r.welcomeBytes).toBeGreaterThan(0);
    expect(r.treeBytes).toBeGreaterThan(0);
    // add100 carries 100 KeyPackages; a path-less add1 is much smaller
    expect(r.commitBytes.add100!).toBeGreaterThan(r.commitBytes.add1!);
  });

  test('reports a build over budget instead of hanging', async () => {
    const r = await runTsMlsScenario({ n: 8, runs: 1, batch: 1, buildBudgetMs: 0 });
    expect(r.reached).toBe(false);
    expect(r.note).toMatch(/budget/);
    expect(r.note).toMatch(/\d of 8 members/);
  });
});
