#!/usr/bin/env node
// `npm start`: build the web app and the server (esbuild), then run the built
// server, server/dist/main.js, with plain node on http://127.0.0.1:8080 (see
// server/README.md for the environment variables). No TypeScript loader runs.
//
// The SFU needs a mediasoup worker binary. In order of preference:
//   1. CANOPY_MEDIASOUP_DIR, a built mediasoup package directory;
//   2. the `mediasoup` npm dependency's own worker (downloaded by `npm install`);
//   3. the cached test worker that ../shared/tools/mediasoup-test-worker.sh builds
//      (~/.cache/mediasoup-test/mediasoup-3.8.4/package), where downloads are impossible.
// Without any of them this script says exactly what to do and exits.
//
// The load runner (bench/src/load) starts its embedded server with the same
// steps: it imports chooseMediasoup, buildServer and spawnServer from here.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function dependencyWorker() {
  try {
    const mediasoup = await import('mediasoup');
    return typeof mediasoup.workerBin === 'string' && executable(mediasoup.workerBin)
      ? mediasoup.workerBin
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds a mediasoup worker (see above) and sets CANOPY_MEDIASOUP_DIR in `env`
 * when it is the cached test worker; false (after saying what to do) when none.
 */
export async function chooseMediasoup(env, log = console.log, error = console.error) {
  if (env.CANOPY_MEDIASOUP_DIR) {
    log(`[canopy] mediasoup: CANOPY_MEDIASOUP_DIR=${env.CANOPY_MEDIASOUP_DIR}`);
    return true;
  }
  const bin = await dependencyWorker();
  if (bin) {
    log(`[canopy] mediasoup: the npm dependency (worker ${bin})`);
    return true;
  }
  const cached = join(homedir(), '.cache/mediasoup-test/mediasoup-3.8.4/package');
  if (
    existsSync(join(cached, '../.ready')) &&
    executable(join(cached, 'worker/out/Release/mediasoup-worker'))
  ) {
    env.CANOPY_MEDIASOUP_DIR = cached;
    log(
      `[canopy] mediasoup: no worker in the npm dependency; using the cached test worker ${cached}`,
    );
    return true;
  }
  error(
    '[canopy] cannot start: mediasoup has no worker binary here.\n' +
      "[canopy] With access to mediasoup's release downloads:  npm rebuild mediasoup\n" +
      '[canopy] Without it, build the test worker (about 6 minutes, once) and start again:\n' +
      '[canopy]   export CANOPY_MEDIASOUP_DIR=$(bash ../shared/tools/mediasoup-test-worker.sh)\n' +
      '[canopy]   npm start',
  );
  return false;
}

/** Builds the web app (client/public); resolves with its directory. */
export async function buildClient() {
  const { buildClient } = await import('../client/build.mjs');
  return buildClient({ minify: true });
}

/** Builds server/dist/main.js; resolves with its path. */
export async function buildServer() {
  const { buildServer } = await import('../server/build.mjs');
  return buildServer();
}

/** Runs the built server `main` with plain node, as `npm start` does. */
export function spawnServer(main, env, stdio = 'inherit') {
  return spawn(process.execPath, ['--enable-source-maps', main], { cwd: root, env, stdio });
}

async function start() {
  const env = { ...process.env };
  if (!(await chooseMediasoup(env))) process.exit(1);
  console.log(`[canopy] web app built into ${await buildClient()}`);
  const main = await buildServer();
  console.log(`[canopy] server built into ${main}`);
  const child = spawnServer(main, env);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await start();
