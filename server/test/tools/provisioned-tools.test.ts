// The tools CI provisions for the work that follows, exercised for real rather
// than only found on disk: redis-server (for the multi-node work) starts on a
// loopback port and answers. Gated like every tool-dependent suite. And nothing
// AGPL-licensed is provisioned or installed (k6 was; it may not be used).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { redis, withTools } from '../../../shared/test/support/tools.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('licences', () => {
  test('no npm package in the lock is AGPL- or SSPL-licensed', () => {
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { license?: string }>;
    };
    const copyleft = Object.entries(lock.packages)
      .filter(([, p]) => /AGPL|SSPL/i.test(p.license ?? ''))
      .map(([name, p]) => `${name} (${p.license})`);
    expect(copyleft).toEqual([]);
  });

  test('CI builds no k6 and the repository holds no k6 scenario', () => {
    const ci = readFileSync(join(repo, '.ci/run'), 'utf8');
    expect(ci).not.toMatch(/k6/i);
    const tracked = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' });
    expect(tracked.split('\n').filter((f) => /(^|\/)k6(\/|$)/.test(f))).toEqual([]);
  });
});

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
