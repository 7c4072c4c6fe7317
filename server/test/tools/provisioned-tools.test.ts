// The tools CI provisions for the work that follows, exercised for real rather
// than only found on disk: k6 drives the real server (HTTP and the signaling
// WebSocket over a real mediasoup worker) with bench/k6/join-smoke.js, and
// redis-server starts and answers. Gated like every tool-dependent suite.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { k6, mediasoupTestModule, redis, withTools } from '../../../shared/test/support/tools.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { type CanopyServer, startServer } from '../../src/server.js';
import { testMediasoup } from '../support/mediasoup.js';
import { TestClient } from '../support/ws-client.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

if (withTools('k6 against the real server', [k6(), mediasoupTestModule()])) {
  describe('k6 against the real server', () => {
    let server: CanopyServer;
    let dir: string;

    beforeAll(async () => {
      server = await startServer(
        { ...DEFAULT_CONFIG, port: 0, workers: 1, publicDir: '/nonexistent' },
        await testMediasoup(),
        { log: () => {} },
      );
      dir = mkdtempSync(join(tmpdir(), 'canopy-k6-'));
    });
    afterAll(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('join-smoke: every virtual participant joins and leaves; the meeting sees each one', async () => {
      const vus = 4;
      const iterations = 2;
      const observer = await TestClient.connect(`${server.url.replace('http', 'ws')}/ws`);
      await observer.call('meeting.join', { meetingId: 'k6smoke', displayName: 'observer' });
      const summary = join(dir, 'summary.json');
      const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
        execFile(
          k6().path!,
          [
            'run',
            '--quiet',
            '--no-usage-report',
            ...['-e', `CANOPY_URL=${server.url}`, '-e', 'MEETING=k6smoke'],
            ...['-e', `VUS=${vus}`, '-e', `ITERATIONS=${iterations}`, '-e', `SUMMARY=${summary}`],
            join(repo, 'bench/k6/join-smoke.js'),
          ],
          { timeout: 90_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error ? ((error as { code?: number }).code ?? -1) : 0,
              output: stdout + stderr,
            }),
        );
      });
      expect(run.code, run.output).toBe(0);
      const data = JSON.parse(readFileSync(summary, 'utf8')) as {
        metrics: { checks: { values: { passes: number; fails: number } } };
      };
      // healthz, upgrade, joined, left: four checks per iteration.
      expect(data.metrics.checks.values).toMatchObject({
        passes: 4 * vus * iterations,
        fails: 0,
      });
      const joined = observer.notifications.filter((n) => n.method === 'participant.joined');
      const left = observer.notifications.filter((n) => n.method === 'participant.left');
      expect(joined).toHaveLength(vus * iterations);
      expect(left).toHaveLength(vus * iterations);
      observer.close();
    });
  });
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One RESP command over a fresh connection; the raw reply. */
async function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      const complete = reply.startsWith('$') ? reply.split('\r\n').length > 2 : true;
      if (reply.endsWith('\r\n') && complete) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

if (withTools('redis-server', [redis()])) {
  describe('redis-server', () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill('SIGKILL');
    });

    test('starts on a loopback port and answers PING, SET and GET', async () => {
      const port = await freePort();
      child = spawn(
        redis().path!,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      const deadline = Date.now() + 10_000;
      let pong = '';
      while (!pong) {
        try {
          pong = await redisCommand(port, 'PING');
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(pong).toBe('+PONG\r\n');
      expect(await redisCommand(port, 'SET canopy ok')).toBe('+OK\r\n');
      expect(await redisCommand(port, 'GET canopy')).toBe('$2\r\nok\r\n');
    });
  });
}
