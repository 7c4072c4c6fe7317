#!/usr/bin/env node
// Canopy needs Node.js 22 or newer (mediasoup 3.27 and mediasoup-client 3.24
// require it; Node 24 LTS is what CI runs). `npm start`, `npm test` and
// `npm run bench` check first (through ensure-installed.mjs) and say so plainly
// instead of failing later in a dependency. Keep in step with "engines" in the
// package.json files.
//
// `node scripts/check-node.mjs [version]` checks `version` (default: this Node).

import { pathToFileURL } from 'node:url';

export const MIN_NODE_MAJOR = 22;

/** Why Node `version` (e.g. "20.19.0") cannot run Canopy, or undefined when it can. */
export function nodeVersionProblem(version = process.versions.node) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return (
    `[canopy] Node.js ${version} is too old: Canopy needs Node.js >= ${MIN_NODE_MAJOR} ` +
    '(Node 24 LTS recommended; mediasoup 3.27 and mediasoup-client 3.24 require >= 22).\n' +
    '[canopy] Install Node 24 (https://nodejs.org, or your version manager: nvm install 24), then run the command again.'
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problem = nodeVersionProblem(process.argv[2]);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
