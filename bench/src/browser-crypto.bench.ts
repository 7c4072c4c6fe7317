// Crypto inside the browsers (issue 9 §2): X25519, Ed25519, HPKE open, SFrame and
// MLS join / commit processing at 100, 1,000 and 10,000 members, measured in
// headless Chromium and Firefox ESR on @noble (what the code uses), libsodium
// (WebAssembly) and WebCrypto. See browser-crypto-runner.ts / -page.ts.
//
//   npm run bench -- browser
//   CANOPY_BENCH_BROWSERS=chromium npm run bench -- browser        one engine
//   CANOPY_BENCH_BROWSER_MLS_SIZES=100,1000 CANOPY_BENCH_BROWSER_MLS_RUNS=3 ...
//   CANOPY_BENCH_BROWSER_MLS_SIZES= npm run bench -- browser         no MLS (primitives, SFrame)
//
// Targets (issue 9, Chromium): at 1,000 members join ≤ 500 ms and commit
// processing ≤ 10 ms; at 10,000 join ≤ 3 s; SFrame ≥ 100 MB/s on 30 kB frames.
// Reported against, never asserted.
import { loadavg } from 'node:os';
import {
  browserBinary,
  type Engine,
  type EngineResult,
  type MlsResult,
  runBrowserBench,
} from './browser-crypto-runner.js';
import { type BenchOptions, formatNs, printTable } from './harness.js';

const list = (v: string | undefined, dflt: string) => (v ?? dflt).split(',').filter(Boolean);
const engines = list(process.env.CANOPY_BENCH_BROWSERS, 'chromium,firefox') as Engine[];
const mlsSizes = list(process.env.CANOPY_BENCH_BROWSER_MLS_SIZES, '100,1000,10000').map(Number);
const mlsRuns = Number(process.env.CANOPY_BENCH_BROWSER_MLS_RUNS ?? 5);
const TIMING: BenchOptions = { runs: 11, minRunMs: 30 };
const SFRAME_SIZES = [100, 1_000, 10_000, 30_000]; // audio, then video frames

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ns: number | null) => (ns === null ? '—' : formatNs(ns));
const ratio = (noble: number, other: number | null) =>
  other === null ? '—' : `${(noble / other).toFixed(1)}×`;
const mbps = (bytes: number, ns: number) => ((bytes * 1e3) / ns).toFixed(1);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** Where a median stands against a target (ms), as text. */
const against = (valueMs: number, goalMs: number | undefined) =>
  goalMs === undefined
    ? ''
    : `${valueMs <= goalMs ? 'meets' : 'misses'} ≤ ${formatNs(goalMs * 1e6)}`;
const JOIN_GOAL_MS: Record<number, number> = { 1000: 500, 10000: 3000 };
const PROCESS_GOAL_MS: Record<number, number> = { 1000: 10 };
const SFRAME_GOAL_MBPS = 100;

export default async function run(): Promise<void> {
  const present = engines.filter((e) => {
    if (browserBinary(e)) return true;
    console.log(`\n⚠️  ${e} not found: skipped (see ../shared/ENVIRONMENT.md)`);
    return false;
  });
  console.log(`load average before: ${load()}`);
  const results = await runBrowserBench({
    engines: present,
    timing: TIMING,
    sframeSizes: SFRAME_SIZES,
    mlsSizes,
    mlsRuns,
    mlsProviders: ['noble', 'libsodium'],
    log: (line) => console.log(`  … ${line}`),
  });
  for (const r of results) report(r);
  console.log(`\nload average after: ${load()}`);
}

function report(r: EngineResult): void {
  printTable(
    `${r.browser}: primitives, median per operation (libsodium ${r.sodium}; speed-up = noble ÷ other)`,
    [
      'operation',
      '@noble',
      'libsodium (wasm)',
      'WebCrypto (CryptoKey)',
      'WebCrypto (import each call)',
      'libsodium vs noble',
      'WebCrypto vs noble',
    ],
    r.primitives.map((p) => [
      p.op,
      fmt(p.noble),
      fmt(p.sodium),
      fmt(p.web),
      fmt(p.webImport),
      ratio(p.noble, p.sodium),
      ratio(p.noble, p.web),
    ]),
  );
  console.log(
    '\nlibsodium = a CryptoProvider with its X25519/Ed25519 (HPKE open: X25519 from libsodium, ' +
      'HKDF/AES-GCM from noble). WebCrypto is awaited one call at a time; its HPKE is the same ' +
      'base-mode construction on subtle (HKDF, HMAC, X25519, AES-GCM).',
  );

  printTable(
    `${r.browser}: SFrame per frame (suite 4, AES_128_GCM_SHA256_128, as the client uses; median)`,
    [
      'frame',
      'library',
      'encrypt',
      'enc MB/s',
      'decrypt',
      'dec MB/s',
      `≥ ${SFRAME_GOAL_MBPS} MB/s`,
    ],
    r.sframe.map((s) => {
      const enc = (s.bytes * 1e3) / s.encryptNs;
      const dec = (s.bytes * 1e3) / s.decryptNs;
      const goal =
        s.bytes === 30_000 ? (Math.min(enc, dec) >= SFRAME_GOAL_MBPS ? 'meets' : 'misses') : '';
      return [
        `${s.bytes.toLocaleString('en-US')} B`,
        s.library,
        formatNs(s.encryptNs),
        mbps(s.bytes, s.encryptNs),
        formatNs(s.decryptNs),
        mbps(s.bytes, s.decryptNs),
        goal,
      ];
    }),
  );
  console.log(
    "\nSFrame module rows (@noble sync path, and the async path the client's transform worker " +
      'uses): SFrameSender / SFrameReceiver end to end, decrypt with its replay window and a fresh ' +
      'CTR per frame, async calls awaited one frame at a time as the worker does. Raw WebCrypto: ' +
      'header + AES-GCM on subtle with an imported CryptoKey, checked to interoperate with the ' +
      'SFrame module both ways (no replay window). libsodium has no AES in WebAssembly.',
  );

  if (r.mls.length === 0) return;
  printTable(
    `${r.browser}: MLS join from Welcome and commit processing (suite 1, sparse tree; medians of ${mlsRuns} rounds)`,
    [
      'N',
      'provider',
      'join',
      'target',
      'process update',
      'process remove',
      'target',
      'Welcome',
      'commit (update)',
    ],
    r.mls.map((m: MlsResult) => {
      const join = median(m.runs.map((x) => x.joinMs));
      const upd = median(m.runs.map((x) => x.processMs[0]));
      const rem = median(m.runs.map((x) => x.processMs[1]));
      return [
        m.n.toLocaleString('en-US'),
        m.provider === 'noble' ? '@noble' : 'libsodium X25519/Ed25519 + noble',
        formatNs(join * 1e6),
        against(join, JOIN_GOAL_MS[m.n]),
        formatNs(upd * 1e6),
        formatNs(rem * 1e6),
        against(Math.max(upd, rem), PROCESS_GOAL_MS[m.n]),
        kib(m.welcomeBytes),
        kib(m.commitBytes[0]),
      ];
    }),
  );
  console.log(
    '\nThe group is built in Node; the page joins from the Welcome (ratchet tree inside, whole-tree ' +
      'validation included) and processes the creator’s next update and remove commits. Sparse tree: ' +
      'only the creator has committed, so each commit holds ~N HPKE ciphertexts (the worst case for size).',
  );
}
