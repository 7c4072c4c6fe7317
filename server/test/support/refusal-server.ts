// A bare signaling endpoint in its own process (no SFU), for tests that must
// observe whether hostile connections can kill the process: prints its port,
// and answers GET with "alive". Run with `node --import tsx`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalingServer } from '../../src/signaling/index.js';

const http = createServer((_req, res) => res.end('alive'));
new SignalingServer(http, () => {}, { maxConnections: 0, log: () => {} });
http.listen(0, '127.0.0.1', () => {
  console.log(`port ${(http.address() as AddressInfo).port}`);
});
