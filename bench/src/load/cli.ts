/**
 * `npm run load -- <scenario> [options]`: Canopy's load runner, with k6's
 * conventions (scenarios and executors, thresholds, checks, an end-of-test
 * summary, summary.json, exit code 99 when a threshold fails). See --help and
 * the README's "Load testing".
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSegment, type Segment } from './executors.js';
import { renderReport } from './report.js';
import { machineDescription, runLoad } from './run.js';
import type { Scenario, ScenarioOptions } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { mergeFiles, renderSummary } from './summary.js';
import { createMeeting, LoadError } from './target.js';
import { compileThresholds, type Thresholds, withThresholdOptions } from './thresholds.js';
import { METRICS, type Summary } from './types.js';

/** k6's exit code when a threshold failed. */
export const EXIT_THRESHOLDS = 99;
const EXIT_USAGE = 2;
const EXIT_FAILED = 1;

const HELP = `Canopy load runner: real MLS participants on real WebSockets, k6's conventions.

Usage:
  npm run load -- <scenario> [options]
  npm run load -- merge <summary.json>... [--out DIR]
  npm run load -- meeting --server URL      (a new meeting's links, for slices)

Scenarios:
${[...SCENARIOS.values()].map((s) => `  ${s.name.padEnd(13)} ${s.description}`).join('\n')}

Options:
  --participants N     participants in the meeting (scenario default)
  --rate R             arrivals (churn: joins and leaves) per second: 20, 20/s, 600/m
  --duration D         how long to run or hold: 30s, 2m, 500ms
  --ramp D             join-storm: time to ramp up to --rate
  --fraction F         mass-leave: the fraction that leaves (0..1)
  --count N            host-removal: members removed one at a time
  --sizes A,B,…        sweep: the meeting sizes (default 100,250,500,1000,2000)
  --server URL         load this deployment (default: start the embedded server)
  --host-link LINK     join this meeting as host (env CANOPY_LOAD_HOST_LINK)
  --link LINK          participants join with this link (env CANOPY_LOAD_LINK)
  --segment i/n        run slice i of n (k6's execution segments; slice 1 runs the host)
  --workers N          worker threads for participants (default ${availableParallelism()})
  --probes K           K media probes (Chromium pages) join the meeting
  --threshold M:EXPR   add a k6 threshold, e.g. 'canopy_rekey:p(95)<1000' (repeatable)
  --join-timeout D     a join not admitted after this counts as failed (default 120s)
  --verify-each        every participant verifies every signature itself (default:
                       the participants of a thread share verifications of the same bytes)
  --out DIR            write DIR/summary.json and DIR/report.html
  --quiet              no live progress
  --help

Exit codes: 0 ok, 99 a threshold failed, 2 bad options, 1 the run could not be done.`;

class UsageError extends Error {}

/** '30s', '2m', '1h', '500ms', or bare seconds → ms. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${what}: expected a duration such as 30s, 2m or 500ms, got '${s}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

/** '20', '20/s', '600/m' → per second. */
export function parseRate(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m))?$/.exec(s.trim());
  if (!m || Number(m[1]) <= 0)
    throw new UsageError(`--rate: expected a positive rate such as 20, 20/s or 600/m, got '${s}'`);
  return Number(m[1]) / (m[2] === 'm' ? 60 : 1);
}

function parseCount(s: string, what: string, min = 1, max = 100_000): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${what}: expected a whole number ${min}…${max}, got '${s}'`);
  return n;
}

const OPTIONS = {
  participants: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  ramp: { type: 'string' },
  fraction: { type: 'string' },
  count: { type: 'string' },
  sizes: { type: 'string' },
  server: { type: 'string' },
  'host-link': { type: 'string' },
  link: { type: 'string' },
  segment: { type: 'string' },
  workers: { type: 'string' },
  probes: { type: 'string' },
  threshold: { type: 'string', multiple: true },
  'join-timeout': { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  'verify-each': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

function scenarioOptions(s: Scenario, v: Values): ScenarioOptions {
  const d = s.defaults;
  const sizes = v.sizes
    ? v.sizes.split(',').map((x) => parseCount(x, '--sizes', 2))
    : (d.sizes ?? [100, 250, 500, 1000, 2000]);
  const fraction = v.fraction === undefined ? (d.fraction ?? 0.1) : Number(v.fraction);
  if (!(fraction > 0 && fraction <= 1))
    throw new UsageError(`--fraction: expected a number in (0, 1], got '${v.fraction}'`);
  return {
    participants: v.participants
      ? parseCount(v.participants, '--participants')
      : s.name === 'sweep'
        ? Math.max(...sizes)
        : (d.participants ?? 100),
    rate: v.rate ? parseRate(v.rate) : (d.rate ?? 10),
    duration: v.duration ? parseDuration(v.duration, '--duration') : (d.duration ?? 30_000),
    ramp: v.ramp ? parseDuration(v.ramp, '--ramp') : (d.ramp ?? 10_000),
    fraction,
    count: v.count ? parseCount(v.count, '--count') : (d.count ?? 5),
    sizes,
  };
}

/** The scenario's thresholds plus `--threshold`s, checked against the metrics before the run. */
function thresholdsOf(s: Scenario, extra: readonly string[]): Thresholds {
  try {
    const t = withThresholdOptions(s.thresholds, extra);
    compileThresholds(t, METRICS);
    return t;
  } catch (e) {
    throw new UsageError(`--threshold: ${(e as Error).message}`);
  }
}

async function writeOut(dir: string, s: Summary): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'summary.json'), JSON.stringify(s));
  await writeFile(join(dir, 'report.html'), renderReport(s));
}

async function main(argv: string[]): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals.length === 0) {
    console.log(HELP);
    return v.help ? 0 : EXIT_USAGE;
  }
  const [command, ...rest] = positionals;
  const color = process.stdout.isTTY === true;

  if (command === 'merge') {
    if (rest.length === 0) throw new UsageError('merge: name the summary.json files to merge');
    let merged: Summary;
    try {
      merged = await mergeFiles(rest);
    } catch (e) {
      throw new LoadError(`merge: ${(e as Error).message}`);
    }
    console.log(renderSummary(merged, { color }));
    if (v.out) await writeOut(v.out, merged);
    return merged.thresholdsOk ? 0 : EXIT_THRESHOLDS;
  }

  if (command === 'meeting') {
    if (!v.server) throw new UsageError('meeting: --server URL is required');
    const links = await createMeeting(v.server);
    console.log(`export CANOPY_LOAD_HOST_LINK='${links.hostLink}'`);
    console.log(`export CANOPY_LOAD_LINK='${links.participantLink}'`);
    return 0;
  }

  const scenario = SCENARIOS.get(command);
  if (!scenario)
    throw new UsageError(
      `unknown scenario '${command}' (one of: ${[...SCENARIOS.keys()].join(', ')})`,
    );
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const options = scenarioOptions(scenario, v);
  let segment: Segment = { index: 1, count: 1 };
  if (v.segment) {
    try {
      segment = parseSegment(v.segment);
    } catch (e) {
      throw new UsageError(`--segment: ${(e as Error).message}`);
    }
  }
  const hostLink = v['host-link'] ?? process.env.CANOPY_LOAD_HOST_LINK;
  const link = v.link ?? process.env.CANOPY_LOAD_LINK;
  if (v.server) {
    try {
      const u = new URL(v.server);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--server: expected an http(s) URL, got '${v.server}'`);
    }
  }
  if (segment.count > 1 && (!v.server || !link || (segment.index === 1 && !hostLink)))
    throw new UsageError(
      'slices join one meeting: give --server, --link and (slice 1) --host-link ' +
        '(`npm run load -- meeting --server URL` makes them)',
    );
  if ((hostLink || link) && !v.server) throw new UsageError('--host-link and --link need --server');
  const workers = v.workers ? parseCount(v.workers, '--workers', 1, 256) : availableParallelism();
  const probes = v.probes ? parseCount(v.probes, '--probes', 0, 16) : 0;
  const thresholds = thresholdsOf(scenario, v.threshold ?? []);
  const joinTimeout = v['join-timeout']
    ? parseDuration(v['join-timeout'], '--join-timeout')
    : 120_000;
  const quiet = v.quiet === true;
  const out = (line: string) => console.log(line);
  if (!quiet) {
    out(`canopy load: ${scenario.name} ${JSON.stringify(options)}`);
    out(`  ${workers} worker thread(s); ${machineDescription()}`);
    if (segment.count > 1) out(`  slice ${segment.index}/${segment.count}`);
  }
  const summary = await runLoad({
    scenario,
    options,
    thresholds,
    server: v.server,
    hostLink,
    link,
    segment,
    workers,
    probes,
    joinTimeout,
    sharedVerify: v['verify-each'] !== true,
    quiet,
    progressMs: quiet ? 0 : process.stdout.isTTY ? 1_000 : 5_000,
    print: out,
  });
  console.log(renderSummary(summary, { color }));
  if (v.out) {
    await writeOut(v.out, summary);
    if (!quiet)
      out(`summary: ${join(v.out, 'summary.json')}, report: ${join(v.out, 'report.html')}`);
  }
  return summary.thresholdsOk ? 0 : EXIT_THRESHOLDS;
}

// an interrupt ends the run (and, on exit, the embedded server)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`load: ${signal}: stopped`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`load: ${e.message}`);
      process.exit(EXIT_USAGE);
    }
    if (e instanceof LoadError) {
      console.error(`load: ${e.message}`);
      process.exit(EXIT_FAILED);
    }
    console.error(`load: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.CANOPY_LOAD_DEBUG) console.error(e);
    process.exit(EXIT_FAILED);
  },
);
