// The metrics registry: each server has its own counters, and the exposition
// carries the delivery-service metrics and the process's CPU and memory.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { createLogger, ServerMetrics } from '../../src/observability/index.js';

test('two servers do not share counters; /metrics shows what happened', async () => {
  const a = new ServerMetrics();
  const b = new ServerMetrics({ processMetrics: false });
  a.commits.inc({ result: 'refused', reason: 'wrong-epoch' });
  a.commits.inc({ result: 'accepted', reason: '' });
  a.commitFanout.observe(0.004);
  a.meetings.set(3);
  const http = createServer((req, res) => void a.handle(req, res));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/canopy_commits_total\{result="refused",reason="wrong-epoch"\} 1/);
    expect(text).toMatch(/canopy_commit_fanout_seconds_count 1/);
    expect(text).toMatch(/^canopy_meetings 3$/m);
    expect(text).toMatch(/^canopy_process_cpu_seconds_total /m);
    expect(text).toMatch(/^canopy_process_resident_memory_bytes /m);
  } finally {
    await new Promise((r) => http.close(r));
  }
  const other = await b.registry.metrics();
  expect(other).toMatch(/# TYPE canopy_commits_total counter/);
  expect(other).not.toMatch(/wrong-epoch/);
  expect(other).not.toMatch(/process_cpu/);
});

test('logs are JSON lines with the context of their child logger', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ destination: sink });
  log.child({ meeting: 'm1', connection: 7 }).warn({ reason: 'wrong-epoch' }, 'commit refused');
  await new Promise((r) => setTimeout(r, 50));
  const entry = JSON.parse(lines[0]);
  expect(entry).toMatchObject({
    level: 40,
    meeting: 'm1',
    connection: 7,
    reason: 'wrong-epoch',
    msg: 'commit refused',
    service: 'canopy',
  });
});
