/** churn: a steady meeting of N where --rate members leave and --rate join every second. */
import type { Scenario } from '../scenario.js';

export const churn: Scenario = {
  name: 'churn',
  description: 'a meeting of N; every second --rate leave and --rate join, for --duration',
  defaults: { participants: 100, rate: 1, duration: 60_000 },
  thresholds: {
    canopy_join_failed: ['rate<0.01'],
    canopy_rekey: ['p(95)<5000'],
  },
  async run(ctx) {
    const { participants, rate, duration } = ctx.options;
    await ctx.join({ executor: 'constant-participants', participants, duration: 0 }, participants);
    await ctx.settle();
    const end = ctx.elapsed() + duration;
    let owed = 0; // fractional rates accumulate: 0.5/s is one every other second
    const pending: Promise<void>[] = [];
    while (ctx.elapsed() < end) {
      const second = ctx.sleep(1000);
      owed += rate;
      const k = Math.floor(owed);
      owed -= k;
      if (k > 0) {
        // leaves and joins overlap, as in a real meeting
        pending.push(ctx.leave(k));
        pending.push(
          ctx.join({ executor: 'constant-participants', participants: k, duration: 0 }, k),
        );
      }
      await second;
    }
    await Promise.all(pending);
    await ctx.settle();
  },
};
