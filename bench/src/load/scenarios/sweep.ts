/**
 * sweep: the same measurements at growing sizes (--sizes, default 100, 250,
 * 500, 1000, 2000): the meeting grows to each size, then three members leave
 * and the host removes one; one row of the summary's `sweep` per size.
 */
import type { Scenario } from '../scenario.js';

export const sweep: Scenario = {
  name: 'sweep',
  description: 'grow the meeting through --sizes; at each, 3 leave and the host removes 1',
  defaults: { sizes: [100, 250, 500, 1000, 2000], rate: 20 },
  thresholds: { canopy_join_failed: ['rate<0.01'] },
  async run(ctx) {
    const { sizes, rate } = ctx.options;
    let size = 0;
    for (const target of sizes) {
      const from = ctx.elapsed();
      const more = target - size;
      if (more > 0)
        await ctx.join(
          {
            executor: 'constant-arrival-rate',
            rate,
            timeUnit: 1000,
            duration: (more / rate) * 1000 + 1000,
          },
          more,
        );
      size = target;
      await ctx.settle();
      await ctx.leave(3);
      await ctx.remove(1);
      await ctx.settle();
      size -= 4;
      ctx.sweepPoint(target, from);
      ctx.log(`sweep: ${target} measured`);
    }
  },
};
