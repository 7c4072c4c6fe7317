// External tools some tests need (Chromium, Firefox, a mediasoup worker, Redis,
// a private network namespace).
// Outside CI a missing tool skips those tests with a loud message; with
// CANOPY_REQUIRE_TOOLS=1 (set by .ci/run) a missing tool is a test failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';

export const requireTools = process.env.CANOPY_REQUIRE_TOOLS === '1';

export interface ToolProbe {
  readonly name: string;
  /** Path or handle of the tool when present. */
  readonly path: string | null;
  /** What to do to get it, shown when it is missing. */
  readonly howTo: string;
}

function onPath(bin: string): string | null {
  try {
    return execFileSync('which', [bin], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function chromium(): ToolProbe {
  const candidates = [process.env.CANOPY_CHROMIUM, '/usr/bin/chromium', onPath('chromium')];
  const path = candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
  return { name: 'Chromium', path, howTo: 'apt-get install -y chromium (or set CANOPY_CHROMIUM)' };
}

export function firefox(): ToolProbe {
  const candidates = [
    process.env.CANOPY_FIREFOX,
    '/usr/bin/firefox-esr',
    onPath('firefox-esr'),
    onPath('firefox'),
  ];
  const path = candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
  return { name: 'Firefox', path, howTo: 'apt-get install -y firefox-esr (or set CANOPY_FIREFOX)' };
}

const netnsRunner = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/tools/netns-run.sh',
);

/**
 * A private network namespace for browser tests that Firefox must take part in
 * (it gathers no ICE candidate on loopback, so it cannot reach an SFU on
 * 127.0.0.1; see ../shared/ENVIRONMENT.md). `path` is the `netns-run.sh` that
 * makes one, when it works here (root and `unshare`), or `'inside'` when this
 * process already runs in one (`CANOPY_NETNS_IP` set: the address the SFU
 * should listen on).
 */
export function networkNamespace(): ToolProbe {
  const howTo =
    'run as root with unshare(1) and ip(8), and ../shared/tools/netns-run.sh beside the repository ' +
    '(or run the tests inside one: bash ../shared/tools/netns-run.sh npx vitest run …)';
  const name = 'private network namespace';
  if (process.env.CANOPY_NETNS_IP) return { name, path: 'inside', howTo };
  const runner = process.env.CANOPY_NETNS_RUN ?? netnsRunner;
  if (!existsSync(runner)) return { name, path: null, howTo };
  try {
    execFileSync('bash', [runner, 'true'], { stdio: 'ignore', timeout: 10_000 });
    return { name, path: runner, howTo };
  } catch {
    return { name, path: null, howTo };
  }
}

/** Directory of a mediasoup package whose worker binary is built (the 3.8.4 test worker here). */
export function mediasoupTestModule(): ToolProbe {
  const cached = join(homedir(), '.cache/mediasoup-test/mediasoup-3.8.4/package');
  const candidates = [
    process.env.CANOPY_MEDIASOUP_DIR,
    existsSync(join(cached, '../.ready')) ? cached : undefined,
  ];
  const path =
    candidates.find((p): p is string => !!p && existsSync(join(p, 'lib/index.js'))) ?? null;
  return {
    name: 'mediasoup worker',
    path,
    howTo:
      'export CANOPY_MEDIASOUP_DIR=$(bash ../shared/tools/mediasoup-test-worker.sh) ' +
      '(builds mediasoup 3.8.4 once, ~6 min, cached under ~/.cache/mediasoup-test)',
  };
}

export function redis(): ToolProbe {
  const path = process.env.CANOPY_REDIS_SERVER ?? onPath('redis-server');
  return { name: 'redis-server', path, howTo: 'apt-get install -y redis-server' };
}

/** Debian's docker-compose 1.29: validates a compose file without a Docker engine (../shared/ENVIRONMENT.md). */
export function dockerCompose(): ToolProbe {
  const candidates = [process.env.CANOPY_DOCKER_COMPOSE, onPath('docker-compose')];
  const path = candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
  return { name: 'docker-compose', path, howTo: 'apt-get install -y docker-compose' };
}

/**
 * Gate a suite on tools. Returns true when every tool is present. When one is
 * missing it registers a skipped suite with a loud message, or, under
 * CANOPY_REQUIRE_TOOLS=1, a failing test that names the tool and how to get it.
 */
export function withTools(suiteName: string, probes: ToolProbe[]): boolean {
  const missing = probes.filter((p) => !p.path);
  if (missing.length === 0) return true;
  const why = missing.map((p) => `${p.name} missing (${p.howTo})`).join('; ');
  if (requireTools) {
    describe(suiteName, () => {
      test('required tools are present (CANOPY_REQUIRE_TOOLS=1)', () => {
        throw new Error(`CANOPY_REQUIRE_TOOLS=1 and ${why}`);
      });
    });
  } else {
    console.warn(`\n⚠️  SKIPPING "${suiteName}": ${why}\n`);
    describe.skip(`${suiteName} [SKIPPED: ${why}]`, () => {
      test('skipped', () => {});
    });
  }
  return false;
}
