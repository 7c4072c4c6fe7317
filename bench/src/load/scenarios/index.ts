/** Every scenario `npm run load` knows, by name. */
import type { Scenario } from '../scenario.js';
import { churn } from './churn.js';
import { hostRemoval } from './host-removal.js';
import { joinStorm } from './join-storm.js';
import { massLeave } from './mass-leave.js';
import { smoke } from './smoke.js';
import { sweep } from './sweep.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [smoke, joinStorm, churn, massLeave, hostRemoval, sweep].map((s) => [s.name, s]),
);
