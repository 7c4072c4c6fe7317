// Regression: a refused WebSocket upgrade followed by a TCP reset from the
// client used to kill the whole server with an unhandled ECONNRESET (the raw
// socket of a refused upgrade had no 'error' listener). The server runs in a
// child process so that a crash is observed as the process exiting.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
let child: ChildProcess;
let port: number;
let exited: { code: number | null; stderr: string } | undefined;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(here, '../support/refusal-server.ts')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  child.on('exit', (code) => {
    exited = { code, stderr };
  });
  port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      const m = /port (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`server exited: ${stderr}`)));
  });
});

afterAll(() => {
  child.kill();
});

/** Send an upgrade request that the server refuses, then reset the connection. */
async function refusedThenReset(path: string, origin?: string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  const connected = await new Promise<boolean>((r) => {
    socket.once('connect', () => r(true));
    socket.once('error', () => r(false));
  });
  socket.on('error', () => {});
  if (!connected) return; // the server is gone; the assertions below say so
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      (origin ? `Origin: ${origin}\r\n` : '') +
      '\r\n',
  );
  socket.resetAndDestroy();
  await new Promise((r) => setTimeout(r, 20));
}

test('refused upgrades followed by a TCP reset do not crash the server', async () => {
  for (let i = 0; i < 10 && !exited; i++) {
    await refusedThenReset('/wrong-path');
    await refusedThenReset('/ws', 'http://evil.example'); // foreign Origin
    await refusedThenReset('/ws'); // full (maxConnections 0)
  }
  await new Promise((r) => setTimeout(r, 200));
  expect(exited).toBeUndefined();
  const res = await fetch(`http://127.0.0.1:${port}/`);
  expect(await res.text()).toBe('alive');
});
