/** host-removal: a meeting of N; the host removes --count members, one at a time. */
import type { Scenario } from '../scenario.js';

export const hostRemoval: Scenario = {
  name: 'host-removal',
  description: 'a meeting of N; the host removes --count members (default 5) one at a time',
  defaults: { participants: 100, count: 5 },
  thresholds: {
    canopy_join_failed: ['rate<0.01'],
    canopy_rekey: ['p(95)<5000'],
  },
  async run(ctx) {
    const { participants, count } = ctx.options;
    await ctx.join({ executor: 'constant-participants', participants, duration: 0 }, participants);
    await ctx.settle();
    await ctx.remove(count);
    await ctx.settle();
  },
};
