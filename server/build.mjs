// Bundles the server (server/src/main.ts and the @canopy/shared code it uses)
// with esbuild into one ES module, server/dist/main.js, that plain `node` runs:
// production needs no TypeScript loader. npm packages (mediasoup, ws, zod, …)
// stay external and load from node_modules. Run directly (`node server/build.mjs`)
// or import { buildServer } (scripts/start.mjs, tests).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const serverDir = dirname(fileURLToPath(import.meta.url));

/** The npm dependencies of the server and of @canopy/shared: left to node_modules. */
function externalPackages() {
  const names = new Set();
  for (const pkg of ['package.json', '../shared/package.json']) {
    const { dependencies = {} } = JSON.parse(readFileSync(join(serverDir, pkg), 'utf8'));
    for (const name of Object.keys(dependencies)) {
      if (!name.startsWith('@canopy/')) names.add(name);
    }
  }
  // Subpath imports too (e.g. @noble/curves/ed25519.js).
  return [...names].flatMap((name) => [name, `${name}/*`]);
}

/**
 * Build main.js (and its source map) into `outdir` (default server/dist).
 * @param {{ outdir?: string }} [options]
 * @returns {Promise<string>} the path of main.js
 */
export async function buildServer(options = {}) {
  const outdir = options.outdir ?? join(serverDir, 'dist');
  await esbuild.build({
    entryPoints: { main: join(serverDir, 'src/main.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: externalPackages(),
    sourcemap: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  return join(outdir, 'main.js');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`[canopy] server built into ${await buildServer()}`);
}
