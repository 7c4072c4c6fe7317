// Firefox gathers no ICE candidate on loopback, so it cannot reach an SFU on
// 127.0.0.1 (../shared/ENVIRONMENT.md). Suites with Firefox pages therefore run
// inside a private network namespace (../shared/tools/netns-run.sh, needs
// root), with the SFU on the namespace's address ($CANOPY_NETNS_IP) and HTTP
// on 127.0.0.1. Run from outside one, such a file runs itself again inside
// one, in a child vitest, and passes or fails with it.
import { spawn } from 'node:child_process';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  mediasoupTestModule,
  networkNamespace,
  withTools,
} from '../../../shared/test/support/tools.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The namespace's address when running inside one (the SFU listens there). */
export function namespaceIp(): string | undefined {
  return process.env.CANOPY_NETNS_IP;
}

/**
 * A suite with Firefox and Chromium pages and the real SFU: inside a network
 * namespace, `register(listenIp)` registers its tests (the SFU listens on
 * `listenIp`); outside one, one test runs `file` (the caller's
 * `fileURLToPath(import.meta.url)`) again inside a new one. Skipped (or
 * failed, with CANOPY_REQUIRE_TOOLS=1) without the browsers, the mediasoup
 * worker or the namespace runner.
 */
export function engineSuite(title: string, file: string, register: (listenIp: string) => void) {
  const netns = networkNamespace();
  if (!withTools(title, [chromiumTool(), firefoxTool(), mediasoupTestModule(), netns])) return;
  const listenIp = namespaceIp();
  if (listenIp) register(listenIp);
  else runInNamespaceSuite(title, netns.path!, file);
}

/**
 * Registers one test that runs `file` again inside a new network namespace
 * (through `runner`, netns-run.sh) and passes only if every test there passed.
 */
export function runInNamespaceSuite(title: string, runner: string, file: string): void {
  describe(title, () => {
    test('passes inside a private network namespace (this file, run again in one)', async ({
      signal,
    }) => {
      const { code, output } = await runInNamespace(runner, file, signal);
      expect(code, `the run inside the namespace failed:\n${output.slice(-20_000)}`).toBe(0);
      // A run that skipped or ran nothing is no pass: every test of the file passed.
      const summary = /Tests\s+(\d+) passed \((\d+)\)/.exec(output);
      expect(summary, 'the run inside the namespace passed every test').not.toBeNull();
      expect(Number(summary![1])).toBeGreaterThan(0);
      expect(summary![1]).toBe(summary![2]);
    }, 600_000);
  });
}

/**
 * Runs `file` in a child vitest inside a new network namespace, echoing its
 * output; stops the child (its process group) if the test is aborted or times out.
 */
function runInNamespace(
  runner: string,
  file: string,
  signal: AbortSignal,
): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  // The child is a vitest of its own, not one of this run's workers.
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST') delete env[k];
  const vitest = resolve(repoRoot, 'node_modules/vitest/vitest.mjs');
  const child = spawn('bash', [runner, process.execPath, vitest, 'run', relative(repoRoot, file)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stop = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  signal.addEventListener('abort', stop, { once: true });
  let output = '';
  const echo = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    for (const line of text.split('\n')) if (line.trim()) console.log(`[netns] ${line}`);
  };
  child.stdout.on('data', echo);
  child.stderr.on('data', echo);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      signal.removeEventListener('abort', stop);
      done({ code, output });
    });
  });
}
