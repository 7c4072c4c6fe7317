// docker-compose.yml, checked without a Docker engine: Debian's docker-compose
// 1.29 validates and resolves the file (`config`), which is all these machines
// can do (../shared/ENVIRONMENT.md). The server, Redis beside it, and the `load`
// profile running the load runner against the server, which it can reach.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { dockerCompose, withTools } from '../../shared/test/support/tools.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** `docker-compose config` on a file, with these variables (and none of the caller's CANOPY_*). */
async function config(file: string, args: string[] = [], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')),
  );
  const { stdout } = await run(dockerCompose().path!, ['-f', file, ...args, 'config'], {
    cwd: dirname(file),
    env: { ...clean, ...env },
  });
  return stdout;
}

/** The resolved file's services, each as its block of YAML text. */
function services(yaml: string): Map<string, string> {
  const body = /^services:\n((?: {2}.*\n|\n)*)/m.exec(yaml)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const block of body.split(/^(?= {2}\S)/m)) {
    const name = /^ {2}([\w-]+):/.exec(block)?.[1];
    if (name) out.set(name, block);
  }
  return out;
}

/** A block with YAML's quoting and line folding undone (enough for commands). */
const flat = (block: string) => block.replace(/'/g, '').replace(/\s+/g, ' ');

const TITLE = 'docker-compose.yml';
if (withTools(TITLE, [dockerCompose()])) {
  describe(TITLE, () => {
    const file = join(root, 'docker-compose.yml');

    test('is valid and has the server, Redis and the load runner (in the load profile)', async () => {
      const all = services(await config(file));
      expect([...all.keys()].sort()).toEqual(['canopy', 'load', 'redis']);
      const canopy = all.get('canopy')!;
      expect(canopy).toMatch(/command: npm start/);
      expect(canopy).toMatch(/network_mode: host/);
      const redis = all.get('redis')!;
      expect(redis).toMatch(/image: redis:/);
      // Reachable from the host-networked server, and only on loopback.
      expect(redis).toMatch(/- 127\.0\.0\.1:6379:6379/);
      const load = all.get('load')!;
      expect(load).toMatch(/profiles:\n\s+- load\n/);
      expect(flat(load)).toMatch(
        /command: npm run load -- smoke --server http:\/\/canopy:8080 --out load-results\/smoke /,
      );
      // `canopy` reaches the server: the runner shares the host's network, where the
      // server listens, and the name points at its loopback.
      expect(load).toMatch(/network_mode: host/);
      expect(load).toMatch(/extra_hosts:\n\s+- canopy:127\.0\.0\.1/);
      expect(load).toMatch(/depends_on:\n\s+canopy:/);
    });

    test('`docker compose up` starts the server and Redis; the runner only with --profile load', async () => {
      const all = services(await config(file, ['--profile', 'load']));
      expect(all.get('canopy')).not.toMatch(/profiles:/);
      expect(all.get('redis')).not.toMatch(/profiles:/);
      expect(all.get('load')).toMatch(/profiles:\n\s+- load\n/);
    });

    test('the scenario, port and extra options come from the environment', async () => {
      const s = services(
        await config(file, [], {
          CANOPY_LOAD_SCENARIO: 'join-storm',
          CANOPY_PORT: '9090',
          CANOPY_LOAD_ARGS: '--probes 2',
          CANOPY_MAX_PARTICIPANTS: '2500',
        }),
      );
      expect(flat(s.get('load')!)).toMatch(
        /command: npm run load -- join-storm --server http:\/\/canopy:9090 --out load-results\/join-storm --probes 2/,
      );
      expect(s.get('canopy')).toMatch(/CANOPY_PORT: '9090'/);
      expect(s.get('canopy')).toMatch(/CANOPY_MAX_PARTICIPANTS: '2500'/);
    });

    test('the check can fail: a file with an unknown option is refused', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'canopy-compose-'));
      try {
        const bad = join(dir, 'docker-compose.yml');
        const text = readFileSync(file, 'utf8');
        expect(text).toContain('    profiles: [load]\n');
        writeFileSync(
          bad,
          text.replace('    profiles: [load]\n', '    profiles: [load]\n    not_an_option: 1\n'),
        );
        await expect(config(bad)).rejects.toThrow(/not_an_option/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
