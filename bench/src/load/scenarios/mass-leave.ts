/** mass-leave: a meeting of N, then --fraction of it leaves at once. */
import type { Scenario } from '../scenario.js';

export const massLeave: Scenario = {
  name: 'mass-leave',
  description: 'a meeting of N; then --fraction of it (default 0.1) leaves at once',
  defaults: { participants: 100, fraction: 0.1 },
  thresholds: {
    canopy_join_failed: ['rate<0.01'],
    canopy_rekey: ['p(95)<10000'],
  },
  async run(ctx) {
    const { participants, fraction } = ctx.options;
    await ctx.join({ executor: 'constant-participants', participants, duration: 0 }, participants);
    await ctx.settle();
    await ctx.leave(Math.max(1, Math.round(participants * fraction)));
    await ctx.settle();
  },
};
