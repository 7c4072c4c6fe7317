#!/usr/bin/env node
// Checks the Node.js version (scripts/check-node.mjs), then installs the
// workspace's npm dependencies when they are missing or older than
// package-lock.json, so `npm start` and `npm test` work on a fresh clone.
//
// `npm install`, not `npm ci`: some registry mirrors lack other platforms'
// optional binaries (Biome's), which makes `npm ci` reject a lockfile made there.
//
// mediasoup's postinstall downloads (or builds) its worker binary. Where neither
// is possible it fails; we then install without the worker and say what to do.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeVersionProblem } from './check-node.mjs';

const problem = nodeVersionProblem();
if (problem) {
  console.error(problem);
  process.exit(1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules/.package-lock.json');

const fresh =
  existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
if (fresh) process.exit(0);

function install(env) {
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    // Browsers come from the system (see ../shared/ENVIRONMENT.md): puppeteer never downloads one.
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1', ...env },
  });
  return r.status === 0;
}

console.log('[canopy] installing dependencies (npm install)…');
if (install({})) process.exit(0);
if (process.env.MEDIASOUP_WORKER_BIN) process.exit(1);

console.warn(
  '\n[canopy] npm install failed; the usual cause is that mediasoup could not download or build\n' +
    '[canopy] its worker binary (no access to its release downloads). Installing without the worker.\n' +
    '[canopy] To relay media you then need a worker: with network access run `npm rebuild mediasoup`,\n' +
    '[canopy] or build the test worker: export CANOPY_MEDIASOUP_DIR=$(bash ../shared/tools/mediasoup-test-worker.sh)\n',
);
process.exit(install({ MEDIASOUP_WORKER_BIN: '/nonexistent' }) ? 0 : 1);
