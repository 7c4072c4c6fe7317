/**
 * Headless participants: starts N participant cores (real MLS, native crypto)
 * against any Canopy server, given a meeting link and the AS public key that
 * comes with it, and reports what they see.
 *
 *   npm run participants -- --link 'http://127.0.0.1:8080/m/<id>?t=<token>' \
 *     --as-key <base64url> [-n 10] [--name Bot] [--stay 30]
 *
 * The AS key may also travel in the link's fragment (`#as=<base64url>`).
 * Each participant prints its epochs; at the end one line per participant
 * gives its epoch and security code, and the exit code is 0 only if every
 * participant got in and all share one epoch and code. `--stay` keeps them in
 * the meeting that many seconds (default 0), then they leave.
 */
import { parseArgs } from 'node:util';
import { Participant } from '@canopy/client/participant';
import { nodeProvider } from '@canopy/server/crypto';
import { getCipherSuite } from '@canopy/shared/crypto';

const { values } = parseArgs({
  options: {
    link: { type: 'string' },
    'as-key': { type: 'string' },
    n: { type: 'string', short: 'n', default: '1' },
    name: { type: 'string', default: 'Bot' },
    stay: { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`participants: ${message}`);
  process.exit(2);
}

if (!values.link) fail('--link is required');
const link = new URL(values.link);
const token = link.searchParams.get('t') ?? fail('the link has no token (?t=…)');
const asKey =
  values['as-key'] ??
  new URLSearchParams(link.hash.slice(1)).get('as') ??
  fail('--as-key is required');
const count = Number(values.n);
if (!Number.isInteger(count) || count < 1 || count > 10_000) fail('-n must be 1…10000');
const stay = Number(values.stay);
const url = `${link.protocol === 'https:' ? 'wss' : 'ws'}://${link.host}/ws`;
const suite = getCipherSuite(1, nodeProvider);
const asPublicKey = new Uint8Array(Buffer.from(asKey, 'base64url'));

const started = performance.now();
const participants = Array.from({ length: count }, (_, i) => {
  const p = new Participant({
    url,
    token,
    displayName: `${values.name}-${i + 1}`,
    asPublicKey,
    suite,
  });
  if (!values.quiet) {
    p.on('epoch', (e) =>
      console.log(
        `${values.name}-${i + 1}: epoch ${e.epoch}, ${e.roster.length} members, leaf ${e.leafIndex}`,
      ),
    );
    p.on('lobby', () => console.log(`${values.name}-${i + 1}: waiting in the lobby`));
  }
  return p;
});
const results = await Promise.allSettled(participants.map((p) => p.connect()));
const admitted = performance.now() - started;
const failed = results.filter((r) => r.status === 'rejected');
for (const r of failed) console.error(`failed: ${(r as PromiseRejectedResult).reason}`);
console.log(`${count - failed.length}/${count} in the group after ${admitted.toFixed(0)} ms`);

if (stay > 0) await new Promise((r) => setTimeout(r, stay * 1000));
// let the last commits settle before comparing
await new Promise((r) => setTimeout(r, 500));
const codes = new Set<string>();
for (const p of participants) {
  const c = p.current;
  if (!c) continue;
  codes.add(`${c.epoch} ${c.securityCode}`);
  if (!values.quiet) console.log(`${p.identity?.displayName}: epoch ${c.epoch}  ${c.securityCode}`);
}
for (const p of participants) p.leave();
await new Promise((r) => setTimeout(r, 200));
for (const p of participants) p.disconnect();
const ok = failed.length === 0 && codes.size === 1;
console.log(ok ? 'all participants share one epoch and security code' : 'participants disagree');
process.exit(ok ? 0 : 1);
