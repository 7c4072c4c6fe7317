// Media through the SFU, encrypted, in Chromium and Firefox at once: two
// Chromium pages (one on the insertable-streams fallback) and one Firefox page
// with the fixed test key, and a Chromium page with another key, in one meeting.
// Every test-key page must decrypt and decode every other one's video and
// audio, so frames Firefox encrypts are read in Chromium and the reverse
// (meeting-suite.ts has the tests).
//
// Firefox gathers no ICE candidate on loopback, so it cannot reach an SFU on
// 127.0.0.1 (../shared/ENVIRONMENT.md). The meeting therefore runs inside a
// private network namespace (../shared/tools/netns-run.sh, needs root), with
// the SFU on the namespace's address ($CANOPY_NETNS_IP) and HTTP on 127.0.0.1.
// Run from outside one, this file runs itself again inside one, in a child
// vitest, and passes or fails with it.
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
import { mediaSuite } from './meeting-suite.js';

const TITLE = 'media through the SFU in Chromium and Firefox';
const thisFile = fileURLToPath(import.meta.url);
const repoRoot = resolve(dirname(thisFile), '../../..');

const netns = networkNamespace();
const tools = [chromiumTool(), firefoxTool(), mediasoupTestModule(), netns];

if (withTools(TITLE, tools)) {
  const listenIp = process.env.CANOPY_NETNS_IP;
  if (listenIp) {
    mediaSuite({
      title: TITLE,
      meeting: 'e2e-media-engines',
      listenIp,
      pages: [
        { name: 'Ada', engine: 'chromium' },
        { name: 'Fox', engine: 'firefox' },
        { name: 'Cy', engine: 'chromium', encodedStreams: true },
        { name: 'Stranger', engine: 'chromium', otherKey: '00112233445566778899aabbccddeeff' },
      ],
    });
  } else {
    describe(TITLE, () => {
      test('passes inside a private network namespace (this file, run again in one)', async ({
        signal,
      }) => {
        const { code, output } = await runInNamespace(netns.path!, signal);
        expect(code, `the run inside the namespace failed:\n${output.slice(-20_000)}`).toBe(0);
        // A run that skipped or ran nothing is no pass: every test of the file passed.
        const summary = /Tests\s+(\d+) passed \((\d+)\)/.exec(output);
        expect(summary, 'the run inside the namespace passed every test').not.toBeNull();
        expect(Number(summary![1])).toBeGreaterThan(0);
        expect(summary![1]).toBe(summary![2]);
      }, 600_000);
    });
  }
}

/**
 * Runs this file in a child vitest inside a new network namespace, echoing its
 * output; stops the child (its process group) if the test is aborted or times out.
 */
function runInNamespace(
  runner: string,
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
  const child = spawn(
    'bash',
    [runner, process.execPath, vitest, 'run', relative(repoRoot, thisFile)],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
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
