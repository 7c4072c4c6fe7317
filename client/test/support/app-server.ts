// What the browser suites serve: the app built into a new temporary public
// directory (index.html, app.css, build/), and the server configuration they
// run it under.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type ServerConfig } from '../../../server/src/config.js';
import { buildClient } from '../../build.mjs';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Builds the app into a new temporary directory and returns its path (the caller removes it). */
export async function buildPublicDir(): Promise<string> {
  const publicDir = mkdtempSync(join(tmpdir(), 'canopy-public-'));
  mkdirSync(join(publicDir, 'build'));
  for (const f of ['index.html', 'app.css'])
    copyFileSync(join(clientDir, 'public', f), join(publicDir, f));
  await buildClient({ outdir: join(publicDir, 'build') });
  return publicDir;
}

/** Any free port, one mediasoup worker, the app in `publicDir`, the SFU on `listenIp` (default 127.0.0.1). */
export function suiteServerConfig(publicDir: string, listenIp?: string): ServerConfig {
  return { ...DEFAULT_CONFIG, port: 0, workers: 1, publicDir, ...(listenIp && { listenIp }) };
}
