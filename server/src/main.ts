/**
 * Start Canopy from the environment (see config.ts and server/README.md).
 * `npm start` bundles this into server/dist/main.js (server/build.mjs) and runs
 * it with plain node after building the web app.
 */
import { CanopyError } from '@canopy/shared/protocol';
import { configFromEnv } from './config.js';
import { startServer } from './server.js';
import { loadMediasoup } from './sfu/index.js';

async function main(): Promise<void> {
  const config = configFromEnv();
  const mediasoup = await loadMediasoup(config.mediasoupDir);
  const server = await startServer(config, mediasoup.api);
  console.log(
    `[canopy] mediasoup ${mediasoup.version} (${mediasoup.source}), ${server.sfu.pool.workers.length} worker(s)`,
  );
  console.log(`[canopy] listening on ${server.url}`);
  // A ready meeting, so a host can start at once; POST /api/meetings makes more.
  const meeting = await server.links.create(server.publicUrl);
  const expires = new Date(meeting.expiresAt).toISOString();
  console.log(`[canopy] a meeting is ready (links valid until ${expires}):`);
  console.log(`[canopy]   host link:        ${meeting.hostLink}`);
  console.log(`[canopy]   participant link: ${meeting.participantLink}`);
  console.log(`[canopy] more meetings: curl -X POST ${server.publicUrl}/api/meetings`);
  console.log(
    `[canopy] headless participants: npm run participants -- --link '${meeting.participantLink}' -n 5 --stay 30`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[canopy] ${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`[canopy] cannot start: ${e instanceof CanopyError ? e.message : String(e)}`);
  if (!(e instanceof CanopyError)) console.error(e);
  process.exit(1);
});
