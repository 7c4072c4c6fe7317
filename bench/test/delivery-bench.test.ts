// The delivery benchmark runs end to end at a tiny size: the real DS fanning
// out to real member sockets, and a join storm of real participants. Figures
// are not asserted (performance is measured in bench/, never in tests); what
// is asserted is that every measurement happened and is consistent.
import { describe, expect, test } from 'vitest';
import { runDeliveryBench } from '../src/delivery.bench.js';
import { FANOUT_OPS } from '../src/delivery-fanout.js';

describe('delivery benchmark', () => {
  test('fan-out at 20 members and a storm of 10 participants, one round each', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(' '));
    let r: Awaited<ReturnType<typeof runDeliveryBench>>;
    try {
      r = await runDeliveryBench({ sizes: [20], runs: 1, populate: true, storm: 10, stormRuns: 1 });
    } finally {
      console.log = log;
    }
    const out = lines.join('\n');
    expect(out).toMatch(/DS cost per commit, N = 20 members/);
    expect(out).toMatch(/Join storm: 10 headless participants/);
    expect(out).toMatch(/After the storm/);

    const [f] = r.fanout;
    expect(f.n).toBe(20);
    expect(f.populateMs).toBeGreaterThan(0);
    // one removal closed one member socket
    expect(f.sockets).toBe(19);
    for (const op of FANOUT_OPS) {
      expect(f.samples[op], op).toHaveLength(1);
      const s = f.samples[op][0];
      expect(s.bytes, op).toBeGreaterThan(0);
      expect(s.validateMs, op).toBeGreaterThan(0);
      expect(s.dsMs, op).toBeGreaterThan(0);
      expect(s.deliveredMs, op).toBeGreaterThan(0);
      expect(s.acksMs, op).toBeGreaterThan(0);
      // measured from the same start: the switch reaches the sockets after it is announced
      expect(s.switchDeliveredMs, op).toBeGreaterThanOrEqual(s.acksMs);
    }
    // an add-only commit goes without a path: smaller than a self-update
    expect(f.samples.add1[0].bytes).toBeLessThan(f.samples.update[0].bytes);
    expect(f.bytesPerSocket).toBeGreaterThan(0);

    const s = r.storm!;
    expect(s.n).toBe(10);
    expect(s.addCommits).toBeGreaterThan(0);
    expect(s.addCommits).toBeLessThan(10); // batched
    expect(s.updateCommits).toBeGreaterThan(0); // the DS filled the tree
    expect(s.filledMs).toBeGreaterThanOrEqual(s.admittedMs);
    for (const list of [s.admittedReceived, s.admittedSent, s.admittedCpuMs]) {
      expect(list).toHaveLength(10);
      for (const x of list) expect(x).toBeGreaterThan(0);
    }
    for (const op of ['update', 'remove1'] as const) {
      expect(s.after[op], op).toHaveLength(1);
      const a = s.after[op][0];
      expect(a.bytes, op).toBeGreaterThan(0);
      expect(a.createMs, op).toBeGreaterThan(0);
      expect(a.processMaxMs, op).toBeGreaterThanOrEqual(a.processMedianMs);
      expect(a.appliedMs, op).toBeGreaterThan(0);
    }
  }, 120_000);
});
