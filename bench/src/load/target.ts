/**
 * The server a run loads, and one meeting on it: either the embedded server
 * (the one `npm start` runs: built with esbuild and run with plain node as a
 * child process, on a free port) or any deployment given by URL. Either way a
 * fresh meeting comes from `POST /api/meetings` unless links are given; the AS
 * public key travels in the links' `#as=` fragment.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildClient, buildServer, chooseMediasoup, spawnServer } from '../../../scripts/start.mjs';

/** A clear, one-line failure (the CLI prints its message, never a stack). */
export class LoadError extends Error {}

export interface Target {
  /** The server's HTTP origin. */
  readonly server: string;
  readonly hostLink?: string;
  readonly participantLink: string;
  /** The embedded server's pid (its CPU and memory are read from /proc). */
  readonly pid?: number;
  close(): Promise<void>;
}

export interface TargetOptions {
  readonly server?: string;
  readonly hostLink?: string;
  readonly link?: string;
  /** The embedded server's participant cap (CANOPY_MAX_PARTICIPANTS). */
  readonly maxParticipants: number;
  /** Build the web app too (media probes load it). */
  readonly webApp: boolean;
  readonly log: (line: string) => void;
}

/** The link's parts a participant needs. */
export function parseLink(link: string): { ws: string; token: string; asKey: string } {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new LoadError(`not a meeting link: ${link}`);
  }
  const token = u.searchParams.get('t');
  const asKey = new URLSearchParams(u.hash.slice(1)).get('as');
  if (!token || !asKey)
    throw new LoadError('a meeting link needs its token (?t=) and AS key (#as=)');
  return { ws: `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/ws`, token, asKey };
}

/** A new meeting on `server`: its host and participant links. */
export async function createMeeting(
  server: string,
): Promise<{ hostLink: string; participantLink: string }> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/meetings', server), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new LoadError(`cannot reach the server at ${server} (${cause})`);
  }
  if (res.status !== 201)
    throw new LoadError(`${server} refused to create a meeting (HTTP ${res.status})`);
  const body = (await res.json()) as { hostLink?: string; participantLink?: string };
  if (!body.hostLink || !body.participantLink)
    throw new LoadError(`${server} answered POST /api/meetings without links`);
  return { hostLink: body.hostLink, participantLink: body.participantLink };
}

export async function openTarget(o: TargetOptions): Promise<Target> {
  if (o.server) {
    const server = new URL(o.server).origin;
    if (o.link)
      return { server, hostLink: o.hostLink, participantLink: o.link, close: async () => {} };
    if (o.hostLink) throw new LoadError('--host-link needs the participant link too (--link)');
    const links = await createMeeting(server);
    return { server, ...links, close: async () => {} };
  }
  return startEmbedded(o);
}

/** The embedded server, as `npm start` runs it, on a free port. */
async function startEmbedded(o: TargetOptions): Promise<Target> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CANOPY_PORT: '0',
    CANOPY_HOST: '127.0.0.1',
    CANOPY_LOG_LEVEL: 'warn',
    CANOPY_MAX_PARTICIPANTS: String(Math.max(1000, o.maxParticipants + 16)),
    CANOPY_MAX_CONNECTIONS_PER_ADDRESS: String(Math.max(5000, o.maxParticipants * 2 + 64)),
  };
  const quiet: string[] = [];
  if (
    !(await chooseMediasoup(
      env,
      (l) => quiet.push(l),
      (l) => quiet.push(l),
    ))
  )
    throw new LoadError(
      'the embedded server needs a mediasoup worker: set CANOPY_MEDIASOUP_DIR (see `npm start`)',
    );
  if (o.webApp) await buildClient();
  const main = await buildServer();
  const child = spawnServer(main, env, ['ignore', 'pipe', 'pipe']);
  // however the runner ends (an interrupt included), its server ends with it
  const orphan = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', orphan);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const fail = (why: string) =>
      reject(new LoadError(`the embedded server did not start: ${why}`));
    child.stdout!.on('data', (b: Buffer) => {
      out += b;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b;
    });
    child.once('exit', (code) => fail(`${err.trim().split('\n')[0] ?? ''} (exit ${code})`));
    setTimeout(() => fail('no "listening on" within 60 s'), 60_000).unref();
  });
  // its warnings and errors (pino JSON lines) are findings: say them
  let pending = '';
  child.stdout!.on('data', (b: Buffer) => {
    pending += b;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (Number(j.level ?? 0) < 40) continue;
        const { level: _l, time: _t, pid: _p, hostname: _h, msg, err, ...fields } = j;
        const cause = (err as { message?: string } | undefined)?.message;
        const detail = Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        o.log(
          `server: ${String(msg ?? '')}${cause ? ` (${cause})` : ''}${detail ? ` ${detail}` : ''}`,
        );
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    for (const line of String(b).trim().split('\n')) if (line) o.log(`server: ${line}`);
  });
  o.log(`embedded server ${url} (pid ${child.pid})`);
  const links = await createMeeting(url);
  return { server: url, ...links, pid: child.pid, close: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 6_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU (% of one core since the last call) and resident bytes of a process, from /proc. */
export class ProcStat {
  readonly #pid: number;
  #last: { cpu: number; at: number } | undefined;
  static readonly #tick = 100; // USER_HZ on Linux
  static readonly #page = 4096;
  constructor(pid: number) {
    this.#pid = pid;
  }
  sample(): { cpu: number; rss: number } | undefined {
    try {
      const stat = readFileSync(`/proc/${this.#pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after the name: state(0) … utime(11) stime(12) … rss(21)
      const cpu = (Number(f[11]) + Number(f[12])) / ProcStat.#tick;
      const rss = Number(f[21]) * ProcStat.#page;
      const at = performance.now();
      const last = this.#last;
      this.#last = { cpu, at };
      const pct = last ? ((cpu - last.cpu) / ((at - last.at) / 1000)) * 100 : 0;
      return { cpu: pct, rss };
    } catch {
      return undefined;
    }
  }
}

/** The server's /metrics as name{labels} → value (undefined when unreachable). */
export async function scrapeMetrics(server: string): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(new URL('/metrics', server), { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return undefined;
    const out = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Sum of every series of `name` (any labels) matching `filter`. */
export function sumSeries(m: Map<string, number>, name: string, filter = ''): number {
  let s = 0;
  for (const [k, v] of m)
    if ((k === name || k.startsWith(`${name}{`)) && k.includes(filter)) s += v;
  return s;
}
