// Production runs the built server with plain node: server/build.mjs bundles
// server/src/main.ts (and the @canopy/shared code it uses) into one ES module,
// with npm packages left external. And the start/test commands refuse a Node
// older than 22 with a message that says which Node they need.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../../scripts/check-node.mjs';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import { buildServer } from '../../build.mjs';
import { MeetingLinks } from '../../src/auth/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Environment for a child that must run as in production: no loader, no test variables. */
function productionEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (name === 'NODE_OPTIONS' || name.startsWith('VITEST') || name === 'CANOPY_MEDIASOUP_DIR') {
      if (!(name in extra)) delete env[name];
    }
  }
  return env;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('Node version', () => {
  test('the check refuses Node < 22 and names the version needed', () => {
    expect(MIN_NODE_MAJOR).toBe(22);
    for (const old of ['20.19.0', 'v18.20.4', '21.7.3']) {
      expect(nodeVersionProblem(old)).toContain('needs Node.js >= 22');
    }
    for (const ok of ['22.0.0', '24.19.0', 'v26.1.0'])
      expect(nodeVersionProblem(ok)).toBeUndefined();
  });

  test('every package.json declares the same minimum', () => {
    for (const pkg of ['', 'shared/', 'server/', 'client/', 'bench/']) {
      const { engines } = JSON.parse(readFileSync(join(repo, pkg, 'package.json'), 'utf8'));
      expect(engines?.node, `${pkg}package.json`).toBe(`>=${MIN_NODE_MAJOR}`);
    }
  });

  // The machine's own Node (20 here), when it is older than 22, runs the real
  // pre-start/pre-test script: it must stop there, before installing anything.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
    if (!existsSync(path)) return false;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return nodeVersionProblem(version) !== undefined;
  });
  test.skipIf(!oldNode)(
    `npm start/test's first step on an old Node (${oldNode ?? 'none on this machine'}) says what is needed`,
    () => {
      const run = spawnSyncResult(oldNode!, [join(repo, 'scripts/ensure-installed.mjs')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('needs Node.js >= 22');
    },
  );
});

function spawnSyncResult(cmd: string, args: string[]): Run {
  try {
    const stdout = execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', cwd: repo });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number | null; stdout: string; stderr: string };
    return { code: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
  }
}

describe('the built server', () => {
  let outdir: string;
  let main: string;

  beforeAll(async () => {
    // Inside server/dist so the external packages resolve from the repo's node_modules.
    mkdirSync(join(repo, 'server/dist'), { recursive: true });
    outdir = mkdtempSync(join(repo, 'server/dist/test-'));
    main = await buildServer({ outdir });
  });
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  test('is one JavaScript module that imports only node: builtins and npm packages', () => {
    const code = readFileSync(main, 'utf8');
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports).toContain('ws');
    for (const spec of imports) {
      expect(spec, spec).not.toMatch(/^(\.|@canopy\/)|\.ts$/);
    }
    // Bundled sources (esbuild names each in a comment), the shared ones included.
    expect(code).toContain('// server/src/signaling/server.ts');
    expect(code).toContain('// shared/src/protocol/');
  });

  test('runs on plain node and reports a bad configuration as the source would', () => {
    const bad = spawnSync(main, { CANOPY_PORT: 'http' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('cannot start: CANOPY_PORT');
    const noMediasoup = spawnSync(main, { CANOPY_MEDIASOUP_DIR: '/nonexistent', CANOPY_PORT: '0' });
    expect(noMediasoup.code).toBe(1);
    expect(noMediasoup.stderr).toContain('/nonexistent is not a mediasoup package directory');
  });

  if (withTools('the built server with a mediasoup worker', [mediasoupTestModule()])) {
    test('starts, prints a ready host link, serves, and stops on SIGTERM', async () => {
      const secret = randomBytes(32);
      const child = spawn(process.execPath, [main], {
        env: productionEnv({
          CANOPY_MEDIASOUP_DIR: mediasoupTestModule().path!,
          CANOPY_PORT: '0',
          CANOPY_WORKERS: '1',
          CANOPY_LINK_SECRET: secret.toString('base64url'),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      try {
        const deadline = Date.now() + 20_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline && child.exitCode === null) {
          url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(url, stdout + stderr).toBeDefined();
        expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok');
        // It printed a ready meeting: host and participant links this server signed.
        const links = new MeetingLinks({ secret });
        const printed = (role: string) =>
          new RegExp(
            `${role} link: +(${url}/m/([A-Za-z0-9_-]{22})\\?t=([^\\s#]+)#as=([A-Za-z0-9_-]{43}))`,
          ).exec(stdout);
        const host = printed('host');
        const participant = printed('participant');
        expect(host, stdout).not.toBeNull();
        expect(participant?.[2]).toBe(host?.[2]);
        expect(await links.verify(host![3]!, host![2])).toMatchObject({ role: 'host' });
        expect(await links.verify(participant![3]!, host![2])).toMatchObject({
          role: 'participant',
        });
        const created = await fetch(`${url}/api/meetings`, { method: 'POST' });
        expect(created.status).toBe(201);
        // Prometheus metrics, including the process's own CPU and memory.
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toMatch(/^canopy_meetings \d+$/m);
        expect(metrics).toMatch(/^canopy_process_cpu_seconds_total /m);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, stdout + stderr).toBe(0);
    });
  }
});

function spawnSync(main: string, env: Record<string, string>): Run {
  try {
    const stdout = execFileSync(process.execPath, [main], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: productionEnv(env),
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number | null; stdout: string; stderr: string };
    return { code: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
  }
}
