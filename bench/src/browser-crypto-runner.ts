// Runs the browser crypto benchmark: bundles browser-crypto-page.ts with esbuild,
// serves it on 127.0.0.1 (a secure context, so WebCrypto is there) with the MLS
// fixtures built in Node, opens it in headless Chromium (playwright-core) and
// Firefox ESR (puppeteer-core over WebDriver BiDi) through the e2e tests'
// launcher, and collects what the page measured. Prints nothing; see
// browser-crypto.bench.ts for the tables.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeProvider } from '@canopy/server/crypto';
import { getCipherSuite } from '@canopy/shared/crypto';
import * as esbuild from 'esbuild';
import { type Engine, launchBrowser, type TestPage } from '../../client/test/e2e/browsers.js';
import { buildMlsFixture, type MlsFixture, packFixture } from './browser-crypto-mls-fixture.js';
import type {
  CanopyBench,
  MlsProvider,
  MlsRun,
  PrimitiveRow,
  SFrameRow,
} from './browser-crypto-page.js';
import type { BenchOptions } from './harness.js';

export type { Engine, MlsProvider, PrimitiveRow, SFrameRow };

export interface BrowserBenchOptions {
  readonly engines: readonly Engine[];
  /** Timing of the primitive and SFrame micro-benchmarks (harness.ts options). */
  readonly timing: BenchOptions;
  /** SFrame frame sizes in bytes. */
  readonly sframeSizes: readonly number[];
  /** MLS group sizes (each ≥ 3); empty skips MLS. */
  readonly mlsSizes: readonly number[];
  /** Join + process rounds per size and provider (the median is over these). */
  readonly mlsRuns: number;
  readonly mlsProviders: readonly MlsProvider[];
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface MlsResult {
  readonly n: number;
  readonly provider: MlsProvider;
  readonly runs: readonly MlsRun[];
  readonly welcomeBytes: number;
  readonly commitBytes: readonly number[];
}

export interface EngineResult {
  readonly engine: Engine;
  /** e.g. "Chromium 156.0.7444.59" or "Firefox 153.0". */
  readonly browser: string;
  readonly userAgent: string;
  readonly sodium: string;
  readonly primitives: readonly PrimitiveRow[];
  readonly sframe: readonly SFrameRow[];
  readonly mls: readonly MlsResult[];
}

/** The browser binary for an engine (as shared/test/support/tools.ts finds it), or null. */
export function browserBinary(engine: Engine): string | null {
  const candidates =
    engine === 'chromium'
      ? [process.env.CANOPY_CHROMIUM, '/usr/bin/chromium']
      : [process.env.CANOPY_FIREFOX, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The page bundle (ES module). */
export async function bundlePage(): Promise<string> {
  const out = await esbuild.build({
    entryPoints: [join(here, 'browser-crypto-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox117'],
    // libsodium's Emscripten loader has a Node branch (require('crypto')) the browser never takes.
    external: ['crypto'],
    logLevel: 'error',
    legalComments: 'none',
  });
  return out.outputFiles[0].text;
}

const PAGE =
  '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">' +
  '<title>canopy browser bench</title>' +
  '<script type="module" src="/page.js"></script>';

/** Serves the page, its bundle and the packed MLS fixtures on 127.0.0.1. */
async function serve(script: string, fixtures: Map<number, Uint8Array>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const mls = /^\/mls\/(\d+)$/.exec(url);
    const body =
      url === '/'
        ? PAGE
        : url === '/page.js'
          ? script
          : mls
            ? fixtures.get(Number(mls[1]))
            : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const type =
      url === '/'
        ? 'text/html'
        : url === '/page.js'
          ? 'text/javascript'
          : 'application/octet-stream';
    res
      .writeHead(200, {
        'content-type': type,
        'cache-control': 'no-store',
        // Cross-origin isolation: finer performance.now() (Firefox clamps it to 1 ms otherwise).
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      })
      .end(body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return server;
}

type Bench = { canopyBench: CanopyBench };

/** "Chromium 156.0.7444.59" / "Firefox 153.0" from what the page reports. */
function browserName(engine: Engine, userAgent: string, fullVersion?: string): string {
  const m = /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/.exec(userAgent);
  const f = /Firefox\/([\d.]+)/.exec(userAgent);
  if (engine === 'chromium') return `Chromium ${fullVersion ?? m?.[1] ?? '?'}`;
  return `Firefox ${f?.[1] ?? '?'}`;
}

async function runEngine(
  engine: Engine,
  url: string,
  fixtures: Map<number, MlsFixture>,
  o: BrowserBenchOptions,
): Promise<EngineResult> {
  const log = o.log ?? (() => {});
  const executablePath = browserBinary(engine);
  if (!executablePath) throw new Error(`no ${engine} binary (set CANOPY_${engine.toUpperCase()})`);
  const errors: string[] = [];
  const browser = await launchBrowser(engine, {
    executablePath,
    onConsole: (_page, e) => {
      if (e.type === 'pageerror' || e.type === 'error') errors.push(e.text);
    },
  });
  try {
    const page: TestPage = await browser.newPage();
    await page.goto(url);
    await page.evaluate(() => (globalThis as unknown as Bench).canopyBench.ready);
    const { userAgent, fullVersion, sodium } = await page.evaluate(() =>
      (globalThis as unknown as Bench).canopyBench.info(),
    );
    const name = browserName(engine, userAgent, fullVersion);
    log(`${name}: primitives`);
    const primitives = await page.evaluate(
      (t) => (globalThis as unknown as Bench).canopyBench.primitives(t),
      o.timing,
    );
    log(`${name}: SFrame`);
    const sframe = await page.evaluate(
      (a) => (globalThis as unknown as Bench).canopyBench.sframe(a),
      { sizes: [...o.sframeSizes], timing: o.timing },
    );
    const mls: MlsResult[] = [];
    for (const n of o.mlsSizes) {
      const f = fixtures.get(n)!;
      for (const provider of o.mlsProviders) {
        log(`${name}: MLS N = ${n}, ${provider}`);
        const runs: MlsRun[] = [];
        // One evaluate per round keeps each call short (puppeteer's protocol timeout).
        for (let r = 0; r < o.mlsRuns; r++) {
          const run = await page.evaluate(
            (a) => (globalThis as unknown as Bench).canopyBench.mlsRun(a),
            { n, provider },
          );
          if (run.epoch !== f.finalEpoch) {
            throw new Error(`${name}: joiner at epoch ${run.epoch}, expected ${f.finalEpoch}`);
          }
          runs.push(run);
        }
        mls.push({
          n,
          provider,
          runs,
          welcomeBytes: f.welcome.length,
          commitBytes: f.commits.map((c) => c.length),
        });
      }
    }
    if (errors.length > 0) throw new Error(`${name} page errors: ${errors.join('; ')}`);
    return { engine, browser: name, userAgent, sodium, primitives, sframe, mls };
  } finally {
    await browser.close();
  }
}

/** Runs the benchmark in each engine, one after another (never two browsers at once). */
export async function runBrowserBench(o: BrowserBenchOptions): Promise<EngineResult[]> {
  const log = o.log ?? (() => {});
  const suite = getCipherSuite(1, nodeProvider);
  const fixtures = new Map<number, MlsFixture>();
  for (const n of o.mlsSizes) {
    const f = buildMlsFixture(suite, n);
    log(`MLS fixture N = ${n} built in Node in ${(f.buildMs / 1e3).toFixed(1)} s`);
    fixtures.set(n, f);
  }
  const packed = new Map([...fixtures].map(([n, f]) => [n, packFixture(f)]));
  const server = await serve(await bundlePage(), packed);
  try {
    const { port } = server.address() as AddressInfo;
    const results: EngineResult[] = [];
    for (const engine of o.engines) {
      results.push(await runEngine(engine, `http://127.0.0.1:${port}/`, fixtures, o));
    }
    return results;
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
}
