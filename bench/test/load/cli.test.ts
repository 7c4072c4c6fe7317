// `npm run load`, end to end, as an operator runs it: the smoke scenario
// against the embedded server (the one `npm start` runs) writes a summary with
// every metric and a report; an impossible threshold exits 99 (k6's code); bad
// options, an unknown scenario and an unreachable server get one clear line
// and a non-zero exit, never a stack trace; two slices of one run against one
// server merge into the admissions of both.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { buildServer, spawnServer } from '../../../scripts/start.mjs';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import { METRICS, type Summary } from '../../src/load/types.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'canopy-load-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run load -- …args`, to its end. */
function load(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'load', '--', ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the runner itself printed on stderr (npm's own config warnings aside). */
const ownErrors = (r: Run) =>
  r.stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('npm warn'))
    .join('\n');

const summaryOf = (dir: string): Summary =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

describe('bad input', () => {
  test.each([
    [['smoke', '--participants', 'many'], /--participants: expected a whole number/],
    [['smoke', '--bogus'], /Unknown option '--bogus'/],
    [['nope'], /unknown scenario 'nope' \(one of: smoke, join-storm/],
    [['smoke', '--rate', 'fast'], /--rate: expected a positive rate/],
    [['smoke', '--segment', '3/2'], /--segment/],
    [['smoke', '--threshold', 'canopy_rekey:p95 fast'], /--threshold/],
    [['smoke', '--threshold', 'canopy_nothing:p(95)<1'], /--threshold.*unknown metric/],
    [['smoke', '--segment', '2/2'], /slices join one meeting/],
  ])('%j: one clear line, exit 2', async (args, message) => {
    const r = await load(args);
    expect(r.code).toBe(2);
    expect(ownErrors(r)).toMatch(message);
    expect(ownErrors(r).split('\n')).toHaveLength(1);
  });

  test('an unreachable server: one clear line, exit 1', async () => {
    const r = await load(['smoke', '--server', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(ownErrors(r)).toMatch(/^load: cannot reach the server at http:\/\/127\.0\.0\.1:1/);
    expect(ownErrors(r)).not.toMatch(/\n\s+at /);
  });

  test('--help lists every scenario and exits 0', async () => {
    const r = await load(['--help']);
    expect(r.code).toBe(0);
    for (const s of ['smoke', 'join-storm', 'churn', 'mass-leave', 'host-removal', 'sweep'])
      expect(r.stdout).toContain(s);
  });
});

if (withTools('npm run load against the embedded server', [mediasoupTestModule()])) {
  const env = { CANOPY_MEDIASOUP_DIR: mediasoupTestModule().path! };

  describe('npm run load against the embedded server', () => {
    test('smoke writes summary.json with every metric, and report.html', async () => {
      const out = tmp();
      const r = await load(['smoke', '--workers', '2', '--out', out], env);
      expect(r.code, ownErrors(r)).toBe(0);
      expect(r.stdout).toContain('every join admitted');
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      const s = summaryOf(out);
      expect(s.thresholdsOk).toBe(true);
      expect(Object.keys(s.metrics).sort()).toEqual(METRICS.map((m) => m.name).sort());
      // smoke exercises everything but the media probes
      for (const m of METRICS)
        if (!m.name.startsWith('canopy_probe_'))
          if (m.name !== 'canopy_commits_refused' && m.name !== 'canopy_recoveries')
            expect(s.metrics[m.name].samples.length, m.name).toBeGreaterThan(0);
      expect(s.metrics.canopy_join_admitted.values.count).toBe(20);
      expect(s.metrics.canopy_rekey.values.count).toBe(2); // a leave and a removal
      for (const c of s.checks) expect(c.fails, c.name).toBe(0);
      expect(s.timeline.length).toBeGreaterThan(10);
      expect(s.timeline.some((p) => (p.serverRss ?? 0) > 0)).toBe(true);
    }, 240_000);

    test('an impossible threshold exits 99', async () => {
      const out = tmp();
      const r = await load(
        [
          'smoke',
          '--participants',
          '4',
          '--duration',
          '0s',
          '--workers',
          '1',
          '--quiet',
          '--threshold',
          'canopy_join_admitted:p(95)<0',
          '--out',
          out,
        ],
        env,
      );
      expect(r.code, ownErrors(r)).toBe(99);
      const s = summaryOf(out);
      expect(s.thresholdsOk).toBe(false);
      expect(s.metrics.canopy_join_admitted.thresholds?.['p(95)<0']?.ok).toBe(false);
    }, 240_000);

    // every other scenario, tiny: each must run to its end with its checks holding
    test.each([
      ['join-storm', ['--participants', '6', '--rate', '3', '--ramp', '1s']],
      ['churn', ['--participants', '5', '--rate', '1', '--duration', '3s']],
      ['mass-leave', ['--participants', '8', '--fraction', '0.5']],
      ['host-removal', ['--participants', '6', '--count', '2']],
      ['sweep', ['--sizes', '4,8']],
    ])(
      '%s runs to its end with every check holding',
      async (scenario, args) => {
        const out = tmp();
        const r = await load([scenario, ...args, '--workers', '1', '--quiet', '--out', out], env);
        expect(r.code, ownErrors(r)).toBe(0);
        const s = summaryOf(out);
        expect(s.scenario).toBe(scenario);
        for (const c of s.checks) expect(c.fails, c.name).toBe(0);
        expect(s.metrics.canopy_join_admitted.values.count).toBeGreaterThan(0);
        if (scenario !== 'join-storm')
          expect(s.metrics.canopy_rekey.values.count).toBeGreaterThan(0);
        if (scenario === 'sweep') expect(s.sweep?.map((p) => p.participants)).toEqual([4, 8]);
      },
      240_000,
    );
  });

  describe('slices', () => {
    let server: ChildProcess | undefined;
    afterAll(() => {
      server?.kill('SIGTERM');
    });

    test('two slices against one server and one meeting merge into both admissions', async () => {
      const main = await buildServer();
      server = spawnServer(
        main,
        { ...process.env, ...env, CANOPY_PORT: '0', CANOPY_LOG_LEVEL: 'warn' },
        ['ignore', 'pipe', 'pipe'],
      );
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server!.stdout!.on('data', (b) => {
          out += b;
          const m = /listening on (\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        server!.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const meeting = await load(['meeting', '--server', url]);
      expect(meeting.code, ownErrors(meeting)).toBe(0);
      const links = Object.fromEntries(
        [...meeting.stdout.matchAll(/export (\w+)='([^']+)'/g)].map((m) => [m[1], m[2]]),
      );
      const [a, b] = [tmp(), tmp()];
      const common = ['smoke', '--participants', '6', '--duration', '0s', '--workers', '1'];
      const slice = (i: number, out: string) =>
        load([...common, '--segment', `${i}/2`, '--server', url, '--quiet', '--out', out], links);
      const [r1, r2] = await Promise.all([slice(1, a), slice(2, b)]);
      expect(r1.code, ownErrors(r1)).toBe(0);
      expect(r2.code, ownErrors(r2)).toBe(0);
      expect(summaryOf(a).metrics.canopy_join_admitted.values.count).toBe(3);
      expect(summaryOf(b).metrics.canopy_join_admitted.values.count).toBe(3);
      const merged = tmp();
      const m = await load([
        'merge',
        join(a, 'summary.json'),
        join(b, 'summary.json'),
        '--out',
        merged,
      ]);
      expect(m.code, ownErrors(m)).toBe(0);
      const s = summaryOf(merged);
      expect(s.metrics.canopy_join_admitted.values.count).toBe(6);
      expect(s.segments).toEqual([
        { index: 1, count: 2 },
        { index: 2, count: 2 },
      ]);
      expect(s.checks.find((c) => c.name === 'every join admitted')).toMatchObject({
        passes: 6,
        fails: 0,
      });
    }, 240_000);
  });
}
