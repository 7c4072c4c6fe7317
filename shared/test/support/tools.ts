// External tools some tests need (Chromium, a mediasoup worker, Redis).
// Outside CI a missing tool skips those tests with a loud message; with
// CANOPY_REQUIRE_TOOLS=1 (set by .ci/run) a missing tool is a test failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
