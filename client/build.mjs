// Bundles the browser app, the SFrame transform worker and the key worker (MLS) with esbuild into
// client/public/build/ (served by the Canopy server). Run directly
// (`node client/build.mjs`) or import { buildClient } (scripts/start.mjs, tests).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const clientDir = dirname(fileURLToPath(import.meta.url));

/**
 * Build app.js, e2ee-worker.js and key-worker.js (ES modules for current browsers).
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<string>} the output directory
 */
export async function buildClient(options = {}) {
  const outdir = options.outdir ?? join(clientDir, 'public/build');
  await esbuild.build({
    entryPoints: {
      app: join(clientDir, 'src/app/main.ts'),
      'e2ee-worker': join(clientDir, 'src/e2ee/worker.ts'),
      'key-worker': join(clientDir, 'src/keys/key-worker.ts'),
    },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox117', 'safari16'],
    sourcemap: true,
    minify: options.minify ?? false,
    logLevel: 'warning',
    legalComments: 'none',
  });
  return outdir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = await buildClient({ minify: process.argv.includes('--minify') });
  console.log(`[canopy] client built into ${outdir}`);
}
