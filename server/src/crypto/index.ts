/** Native (node:crypto) primitives for the MLS cipher suites of @canopy/shared/crypto. */
export { createNodeProvider, type NodeProviderOptions, nodeProvider } from './node-provider.js';
