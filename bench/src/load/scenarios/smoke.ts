/** smoke: a small meeting fills, one member leaves, the host removes one; ~30 s. */
import type { Scenario } from '../scenario.js';

export const smoke: Scenario = {
  name: 'smoke',
  description: '≈20 participants join, one leaves, the host removes one (~30 s)',
  defaults: { participants: 20, rate: 4, duration: 30_000 },
  thresholds: {
    canopy_join_failed: ['rate<0.01'],
    canopy_join_admitted: ['p(95)<30000'],
    canopy_rekey: ['p(95)<30000'],
  },
  async run(ctx) {
    const { participants, rate, duration } = ctx.options;
    await ctx.join(
      {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: 1000,
        // half an interval more, so the schedule holds N arrivals however its end is counted
        duration: ((participants + 0.5) / rate) * 1000,
      },
      participants,
    );
    await ctx.settle();
    await ctx.leave(1);
    await ctx.remove(1);
    const rest = duration - ctx.elapsed();
    if (rest > 0) await ctx.sleep(rest);
    await ctx.settle();
  },
};
