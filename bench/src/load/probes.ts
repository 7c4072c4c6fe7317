/**
 * Media probes (`npm run load -- … --probes K`): K real Chromium pages, with a
 * fake camera and microphone, running the real meeting app from the server.
 * Each opens the participant link, enters its name on the join page and
 * joins; it waits in the lobby until the runner's host admits it, then sends
 * and receives SFrame-encrypted media like any participant.
 *
 * What a probe measures comes from the app's diagnostics handle
 * (`window.canopy`): when its member applied its first epoch, when the first
 * remote video frame was shown (decrypted and decoded), and when its SFrame
 * worker last decrypted a remote frame. All are wall-clock milliseconds
 * (Date.now() in the page, the same clock as the runner's on one machine).
 * The page's main thread never holds a key, and the probe reads nothing else.
 */
import { existsSync } from 'node:fs';
import {
  type ConsoleEntry,
  launchBrowser,
  type TestPage,
} from '../../../client/test/e2e/browsers.js';

export interface ProbeOptions {
  /** The meeting's participant link (`…/m/<meeting>?t=…#as=…`), as the host hands it out. */
  readonly participantLink: string;
  /** How many probes (pages). */
  readonly count: number;
  /** Progress lines and what the pages report as errors. */
  readonly log?: (line: string) => void;
  /** Display names are `${namePrefix}-1` … (default `probe`). */
  readonly namePrefix?: string;
  /** Chromium (default: $CANOPY_CHROMIUM, else /usr/bin/chromium). */
  readonly chromium?: string;
  /** How long `firstFrame()` waits, lobby included (default 10 minutes). */
  readonly timeoutMs?: number;
}

export interface Probe {
  /** Its display name in the meeting. */
  readonly name: string;
  /** Its user id (the one the host admits or removes), once the server has given it one. */
  userId(): Promise<string>;
  /**
   * Resolves once it is admitted and has shown a remote video frame:
   * `admittedAt` when its member applied its first epoch (Welcome processed),
   * `firstFrameAt` when the first remote video frame was decrypted, decoded
   * and shown. Rejects if the page is turned away or fails first.
   */
  firstFrame(): Promise<{ admittedAt: number; firstFrameAt: number }>;
  /** When its SFrame worker last decrypted a remote frame (audio or video), as of now. */
  lastDecryptedAt(): Promise<number>;
}

export interface Probes {
  readonly probes: Probe[];
  /** Closes every page and the browser. */
  close(): Promise<void>;
}

/** Probes could not start or measure (no Chromium, a page turned away, a timeout). */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

/** What a probe reads from its page (no key: times, state, ids). */
interface PageTimes {
  state: string;
  screen: string;
  error?: string;
  userId?: string;
  admittedAt?: number;
  firstFrameAt?: number;
  lastDecryptedAt?: number;
}

const POLL_MS = 100;

/** Starts `count` probe pages on the meeting; they ask to join at once and wait in the lobby. */
export async function startProbes(options: ProbeOptions): Promise<Probes> {
  const { count, log = () => {} } = options;
  if (!Number.isInteger(count) || count < 1)
    throw new ProbeError(`expected a probe count ≥ 1, got ${count}`);
  let link: URL;
  try {
    link = new URL(options.participantLink);
  } catch {
    throw new ProbeError(`not a meeting link: ${options.participantLink}`);
  }
  if (!/^https?:$/.test(link.protocol) || !link.pathname.startsWith('/m/'))
    throw new ProbeError(`not a meeting link (expected http(s)://host/m/<meeting>…): ${link.href}`);
  const executablePath = options.chromium ?? process.env.CANOPY_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new ProbeError(
      `media probes need Chromium at ${executablePath} (apt-get install -y chromium, or set CANOPY_CHROMIUM)`,
    );
  const prefix = options.namePrefix ?? 'probe';
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const names = new Map<TestPage, string>();
  const browser = await launchBrowser('chromium', {
    executablePath,
    // Camera and microphone need a secure context: http on anything but loopback is not one.
    extraArgs: isLoopback(link.hostname)
      ? []
      : [`--unsafely-treat-insecure-origin-as-secure=${link.origin}`],
    onConsole: (page, e: ConsoleEntry) => {
      if (e.type === 'pageerror' || e.type === 'error')
        log(`[${names.get(page) ?? 'probe'}] ${e.type}: ${e.text}`);
    },
  });
  let closed = false;
  const probes: Probe[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const name = `${prefix}-${i}`;
      const page = await browser.newPage();
      names.set(page, name);
      await page.goto(link.href);
      await until(() => submitJoin(page, name), 60_000, `${name}'s join page`);
      log(`[${name}] asked to join`);
      probes.push(probeOn(page, name, timeoutMs, () => closed));
    }
  } catch (e) {
    await browser.close().catch(() => {});
    throw e instanceof ProbeError ? e : new ProbeError(e instanceof Error ? e.message : String(e));
  }
  return {
    probes,
    async close() {
      if (closed) return;
      closed = true;
      await browser.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** Enters the name on the join page and joins, once the page is ready for it. */
function submitJoin(page: TestPage, name: string): Promise<boolean> {
  return page.evaluate((n: string) => {
    // (runs in the page; bench compiles without the DOM's types)
    // biome-ignore lint/suspicious/noExplicitAny: the page's window and the app's diagnostics handle
    const w = globalThis as any;
    const c = w.canopy;
    if (c?.state === 'failed') throw new Error(`the page failed: ${c.error}`);
    const form = w.document.getElementById('join-form');
    const input = w.document.getElementById('join-name');
    // The form gets its handler once the camera preview is up (submitting earlier would navigate).
    if (c?.screen !== 'join' || !form?.onsubmit || !input) return false;
    input.value = n;
    form.requestSubmit();
    return true;
  }, name);
}

function readTimes(page: TestPage): Promise<PageTimes> {
  return page.evaluate(() => {
    // biome-ignore lint/suspicious/noExplicitAny: the app's diagnostics handle (client/src/app/main.ts)
    const c = (globalThis as any).canopy;
    const t = c?.meeting?.decryptTimes ?? {};
    const last = Math.max(t.audio?.last ?? 0, t.video?.last ?? 0);
    return {
      state: String(c?.state),
      screen: String(c?.screen),
      error: c?.error,
      userId: c?.userId,
      admittedAt: c?.admittedAt,
      firstFrameAt: c?.firstFrameAt,
      lastDecryptedAt: last > 0 ? last : undefined,
    };
  });
}

function probeOn(page: TestPage, name: string, timeoutMs: number, closed: () => boolean): Probe {
  const read = async () => {
    if (closed()) throw new ProbeError(`${name}: the probes were closed`);
    return readTimes(page);
  };
  return {
    name,
    userId: () =>
      until(
        async () => {
          const t = await read();
          if (t.state === 'failed') throw new ProbeError(`${name} failed: ${t.error}`);
          return t.userId;
        },
        60_000,
        `${name}'s user id`,
      ),
    firstFrame: () =>
      until(
        async () => {
          const t = await read();
          if (t.state === 'failed' || t.state === 'closed')
            throw new ProbeError(`${name} left before its first frame: ${t.error ?? t.state}`);
          return t.admittedAt !== undefined && t.firstFrameAt !== undefined
            ? { admittedAt: t.admittedAt, firstFrameAt: t.firstFrameAt }
            : undefined;
        },
        timeoutMs,
        `${name}'s first remote video frame`,
      ),
    async lastDecryptedAt() {
      const t = await read();
      if (t.lastDecryptedAt === undefined)
        throw new ProbeError(`${name} has not decrypted a remote frame (state ${t.state})`);
      return t.lastDecryptedAt;
    },
  };
}

/**
 * Polls `probe` until it returns a value; a ProbeError it throws ends the wait
 * at once, anything else is retried (a page still loading).
 */
async function until<T>(
  probe: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof ProbeError) throw e;
      last = e;
    }
    if (Date.now() > end)
      throw new ProbeError(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
