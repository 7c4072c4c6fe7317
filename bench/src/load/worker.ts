/**
 * A worker thread of the load runner: one crowd of virtual participants,
 * driven by the coordinator's messages (see wire.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Crowd } from './crowd.js';
import type { CrowdConfig, FromCrowd, ToCrowd } from './wire.js';

const port = parentPort;
if (!port) throw new Error('bench/src/load/worker.ts runs as a worker thread');
const crowd = new Crowd(workerData as CrowdConfig, (m: FromCrowd) => port.postMessage(m));
port.on('message', (m: ToCrowd) => {
  crowd.handle(m);
  if (m.type === 'finish') port.close();
});
