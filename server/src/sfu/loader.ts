/**
 * Finds a mediasoup module whose worker binary is present. The module is
 * either the project's own dependency (`import('mediasoup')`, whose worker
 * `npm install` downloads) or a built package directory (CANOPY_MEDIASOUP_DIR,
 * e.g. the mediasoup 3.8.4 test worker on machines without release downloads).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { SfuError } from './errors.js';
import type { MediasoupApi } from './mediasoup-api.js';

export interface LoadedMediasoup {
  readonly api: MediasoupApi;
  readonly version: string;
  /** Where the module came from: the npm dependency or a package directory. */
  readonly source: 'dependency' | 'directory';
  readonly workerBin: string;
}

/** What to do when no worker is available; every loader error ends with it. */
export const HOW_TO_GET_A_WORKER =
  "To get a worker: with access to mediasoup's release downloads run `npm rebuild mediasoup`; " +
  'without it, build the mediasoup test worker and point Canopy at it: ' +
  'export CANOPY_MEDIASOUP_DIR=$(bash ../shared/tools/mediasoup-test-worker.sh)';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function unavailable(what: string): SfuError {
  return new SfuError('mediasoup-unavailable', `${what}. ${HOW_TO_GET_A_WORKER}`);
}

function checkWorker(module: MediasoupApi & { workerBin?: unknown }, fallbackBin: string): string {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  const bin = fromEnv || (typeof module.workerBin === 'string' ? module.workerBin : fallbackBin);
  if (!isExecutable(bin)) {
    throw unavailable(
      `mediasoup ${module.version} has no worker binary at ${bin}` +
        (fromEnv ? ' (from MEDIASOUP_WORKER_BIN, which must only be set while installing)' : ''),
    );
  }
  return bin;
}

/**
 * Load mediasoup from `dir` (a built package directory) or, without it, the
 * `mediasoup` dependency. Throws SfuError('mediasoup-unavailable') saying
 * exactly what to do when the module or its worker binary is missing.
 */
export async function loadMediasoup(dir?: string): Promise<LoadedMediasoup> {
  if (dir) {
    const root = resolve(dir);
    const entry = ['lib/index.js', 'node/lib/index.js']
      .map((p) => join(root, p))
      .find((p) => existsSync(p));
    if (!entry)
      throw unavailable(`CANOPY_MEDIASOUP_DIR=${dir} is not a mediasoup package directory`);
    const api = createRequire(import.meta.url)(entry) as MediasoupApi;
    const workerBin = checkWorker(api, join(root, 'worker/out/Release/mediasoup-worker'));
    return { api, version: api.version, source: 'directory', workerBin };
  }
  let api: MediasoupApi & { workerBin?: unknown };
  try {
    api = (await import('mediasoup')) as MediasoupApi;
  } catch (e) {
    throw unavailable(`the mediasoup package cannot be loaded (${(e as Error).message})`);
  }
  const workerBin = checkWorker(api, '');
  return { api, version: api.version, source: 'dependency', workerBin };
}
