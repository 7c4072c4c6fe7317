// k6 smoke scenario: virtual participants join one meeting over Canopy's
// signaling WebSocket, check the join result, and leave. No media: it proves
// the load-testing path end to end (k6 → HTTP → WebSocket → SFU router) and is
// the seed of the thousand-participant scenarios.
//
//   k6 run -e CANOPY_URL=http://127.0.0.1:8080 -e MEETING=load1 bench/k6/join-smoke.js
//
// Environment: CANOPY_URL (default http://127.0.0.1:8080), MEETING (default
// k6-smoke), VUS (default 5), ITERATIONS per VU (default 2), SUMMARY (a path to
// write the end-of-test summary JSON to).
import { check } from 'k6';
import http from 'k6/http';
import ws from 'k6/ws';

const base = __ENV.CANOPY_URL || 'http://127.0.0.1:8080';
const meetingId = __ENV.MEETING || 'k6-smoke';
const vus = Number(__ENV.VUS || 5);

export const options = {
  scenarios: {
    join: {
      executor: 'per-vu-iterations',
      vus,
      iterations: Number(__ENV.ITERATIONS || 2),
      maxDuration: '60s',
    },
  },
  thresholds: { checks: ['rate==1'] },
};

export default function () {
  const health = http.get(`${base}/healthz`);
  check(health, { 'healthz 200': (r) => r.status === 200 });

  let joined = false;
  let left = false;
  const res = ws.connect(`${base.replace(/^http/, 'ws')}/ws`, null, (socket) => {
    socket.on('open', () => {
      const displayName = `k6 ${__VU}.${__ITER}`;
      socket.send(
        JSON.stringify({ id: 1, method: 'meeting.join', data: { meetingId, displayName } }),
      );
    });
    socket.on('message', (text) => {
      const msg = JSON.parse(text);
      if (msg.id === 1) {
        joined =
          msg.ok === true &&
          typeof msg.data.participantId === 'string' &&
          Number.isInteger(msg.data.senderIndex) &&
          msg.data.routerRtpCapabilities.codecs.length > 0;
        socket.send(JSON.stringify({ id: 2, method: 'meeting.leave', data: {} }));
      } else if (msg.id === 2) {
        left = msg.ok === true;
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 10000);
  });
  check(res, { 'websocket upgraded': (r) => r && r.status === 101 });
  check(null, { 'joined with router capabilities': () => joined, 'left cleanly': () => left });
}

export function handleSummary(data) {
  const out = { stdout: `k6 join-smoke: ${JSON.stringify(data.metrics.checks.values)}\n` };
  if (__ENV.SUMMARY) out[__ENV.SUMMARY] = JSON.stringify(data);
  return out;
}
