/** join-storm: N participants arrive at a rate that ramps up to --rate per second. */
import type { Scenario } from '../scenario.js';

export const joinStorm: Scenario = {
  name: 'join-storm',
  description: 'N join at an arrival rate ramping from 1/s to --rate/s over --ramp',
  defaults: { participants: 200, rate: 20, ramp: 10_000 },
  thresholds: {
    canopy_join_failed: ['rate<0.01'],
    canopy_join_admitted: ['p(95)<60000'],
  },
  async run(ctx) {
    const { participants, rate, ramp } = ctx.options;
    // ramp up, then hold the rate for as long as the N arrivals need
    const hold = Math.ceil((participants / rate) * 1000) + 1000;
    await ctx.join(
      {
        executor: 'ramping-arrival-rate',
        startRate: 1,
        timeUnit: 1000,
        stages: [
          { target: rate, duration: ramp },
          { target: rate, duration: hold },
        ],
      },
      participants,
    );
    await ctx.settle();
  },
};
