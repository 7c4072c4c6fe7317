// One-off measurement (not a test): a join storm of N headless participants.
import { startDelivery } from './support.js';

const n = Number(process.argv[2] ?? 100);
const env = await startDelivery({ selfUpdateDelayMs: Number(process.argv[3] ?? 50) });
const accepted: {
  added: number;
  removed: number;
  path: boolean;
  bytes: number;
  fanoutMs: number;
}[] = [];
env.ds.on('commit-accepted', (e) => accepted.push(e));
const ps = Array.from({ length: n }, (_, i) => env.participant('storm', `P${i}`));
const t0 = performance.now();
await ps[0].connect();
await Promise.all(ps.slice(1).map((p) => p.connect()));
const admitted = performance.now() - t0;
const addCommits = accepted.filter((c) => c.added > 0);
console.log(
  `n=${n}: all admitted in ${admitted.toFixed(0)} ms with ${addCommits.length} add commits (${addCommits.map((c) => c.added).join(',')})`,
);
console.log(`add commit bytes: ${addCommits.map((c) => c.bytes).join(',')}`);
// wait for self-updates to finish
let last = accepted.length;
for (;;) {
  await new Promise((r) => setTimeout(r, 1500));
  if (accepted.length === last) break;
  last = accepted.length;
}
const updates = accepted.filter((c) => c.added === 0 && c.removed === 0);
console.log(
  `self-updates: ${updates.length}, bytes median ${updates.map((c) => c.bytes).sort((a, b) => a - b)[updates.length >> 1]}`,
);
// a removal after the storm: its commit size
const before = accepted.length;
ps[n - 1].leave();
while (accepted.length === before) await new Promise((r) => setTimeout(r, 50));
console.log(
  `remove commit after the storm: ${accepted.at(-1)!.bytes} bytes, fan-out ${accepted.at(-1)!.fanoutMs.toFixed(1)} ms`,
);
await env.close();
process.exit(0);
