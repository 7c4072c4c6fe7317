/** The Canopy server, for embedding (tests, benchmarks) rather than `main.ts`. */
export { ConfigError, configFromEnv, DEFAULT_CONFIG, type ServerConfig } from './config.js';
export * as delivery from './delivery/index.js';
export * as meeting from './meeting/index.js';
export { type CanopyServer, type StartOptions, startServer } from './server.js';
export * as sfu from './sfu/index.js';
export * as signaling from './signaling/index.js';
