import type { ChildProcess, StdioOptions } from 'node:child_process';

/**
 * Finds a mediasoup worker and sets CANOPY_MEDIASOUP_DIR in `env` when it is
 * the cached test worker; false (after saying what to do) when there is none.
 */
export function chooseMediasoup(
  env: NodeJS.ProcessEnv,
  log?: (line: string) => void,
  error?: (line: string) => void,
): Promise<boolean>;
/** Builds the web app (client/public); resolves with its directory. */
export function buildClient(): Promise<string>;
/** Builds server/dist/main.js; resolves with its path. */
export function buildServer(): Promise<string>;
/** Runs the built server `main` with plain node, as `npm start` does. */
export function spawnServer(
  main: string,
  env: NodeJS.ProcessEnv,
  stdio?: StdioOptions,
): ChildProcess;
