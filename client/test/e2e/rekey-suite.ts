// The rekey e2e suite, for any mix of browser engines: a meeting run by a
// headless host (the participant core in Node, with a host link: it admits
// pages from the lobby and removes, denies, locks and ends), browser pages as
// MLS members through their key workers, the real server and mediasoup
// worker. A page leaves and another is removed: the others keep decoding
// across each epoch switch, the removed page decrypts nothing under the new
// epochs, and the SFU relays only SFrame under the epoch in force (checked
// with the host's keys). Measured and printed, never asserted: the removal
// window (host's remove → the last frame the removed page decrypted) and a
// joiner's first frame (host's admit → first decrypted and first rendered
// frame). Then the lobby (deny), lock, a tampered and an expired link, a
// silently dropped connection (through a TCP proxy the test freezes): the
// page notices with its heartbeat and shows it is reconnecting, and once the
// network is back it resumes its place without the lobby and decodes the
// others again; a removal is never undone by a reconnect; and the end of the
// meeting; and before that end, a commit the pages cannot process (the DS
// re-adds each page, which then rejoins the media by itself).
// rekey.test.ts runs it in Chromium, rekey-firefox.test.ts with Chromium and
// Firefox pages in one meeting.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCipherSuite } from '@canopy/shared/crypto';
import type { CommitOutput, MlsGroup } from '@canopy/shared/mls';
import { type CommitReason, decodeServerFrame, encodeServerFrame } from '@canopy/shared/protocol';
import { decodeHeader, SFrameReceiver } from '@canopy/shared/sframe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { nodeProvider } from '../../../server/src/crypto/index.js';
import { DEFAULT_MEETING_OPTIONS } from '../../../server/src/delivery/index.js';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup, type RtpTap } from '../../../server/src/sfu/index.js';
import { TcpProxy } from '../../../server/test/support/tcp-proxy.js';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  mediasoupTestModule,
} from '../../../shared/test/support/tools.js';
import { KID_LAYOUT, SFRAME_SUITE } from '../../src/e2ee/media-keys.js';
import { type EpochInfo, Participant } from '../../src/participant/index.js';
import { buildPublicDir, suiteServerConfig } from '../support/app-server.js';
import { type Engine, launchBrowser, type TestBrowser, type TestPage } from './browsers.js';
import { type FrameTap, pageTimes, recordPageTimes, tappedWorkerSource } from './frame-tap.js';
import { until } from './meeting-suite.js';
import { isVp8Keyframe, parseRtp, Vp8FrameAssembler } from './rtp.js';

/**
 * The test's headless members, which can spoil a commit: its membership tag
 * flipped (the commit's last byte), which the DS cannot check and accepts,
 * while every page fails to process it, reports it, and is removed and
 * re-added by the DS. These members get the intact commit instead (so one of
 * them can commit the re-adds: the DS never names the spoiler again).
 */
class Host extends Participant {
  /** Spoiled commits (hex) and the intact ones. */
  static readonly #intact = new Map<string, Uint8Array>();
  #spoil = false;

  spoilNextCommit(): void {
    this.#spoil = true;
  }

  protected override createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    const out = super.createCommit(group, reason);
    // (until one is accepted: a commit the DS refused is made again)
    if (!this.#spoil) return out;
    const bad = out.commit.slice();
    bad[bad.length - 1]! ^= 1;
    Host.#intact.set(Buffer.from(bad).toString('hex'), out.commit);
    return { ...out, commit: bad };
  }

  protected override receive(bytes: Uint8Array): void {
    if (Host.#intact.size > 0) {
      const f = decodeServerFrame(bytes);
      const good =
        f.type === 'commit' ? Host.#intact.get(Buffer.from(f.message).toString('hex')) : undefined;
      if (f.type === 'commit' && good) {
        this.#spoil = false;
        bytes = encodeServerFrame({ ...f, message: good });
      }
    }
    super.receive(bytes);
  }
}

export interface RekeyPage {
  /** Display name, unique in the meeting. */
  name: string;
  engine: Engine;
}

export interface RekeySuiteOptions {
  title: string;
  /** A label for this meeting's artefacts (screenshots). */
  meeting: string;
  /** Address the SFU's transports listen on (default 127.0.0.1). */
  listenIp?: string;
  /** Members that stay to the end (at least two). */
  stay: RekeyPage[];
  /** A member that leaves (its page closes). */
  leaver: RekeyPage;
  /** A member the host removes. */
  removed: RekeyPage;
  /** Joins the running meeting later, through a TCP proxy the test then cuts. */
  joiner: RekeyPage;
  /** Engine of the pages that never get in (denied, locked out, tampered link). */
  outsider: Engine;
}

/** How long after a switch a frame under the previous epoch may still reach the SFU. */
const GRACE_MS = 2_000;
/** The server's WebSocket ping interval here: a silent connection is dropped after one or two. */
const HEARTBEAT_MS = 2_000;
/** The joiner page's own heartbeat (`?heartbeat=`): it notices a silent loss within about 4 of them. */
const PAGE_HEARTBEAT_MS = 2_000;
const EPOCH_MASK = (1n << BigInt(KID_LAYOUT.epochBits)) - 1n;

/** What a page's meeting shows of its media (no key). */
interface MediaState {
  state: string;
  error?: string;
  /** The "reconnecting" banner's text, while it shows. */
  banner?: string;
  reconnects: number;
  /** Why each reconnect began. */
  losses: string[];
  epoch?: string;
  securityCode?: string;
  status: string;
  counters?: { decrypted: number; decryptFailed: number; noKey: number; wrongSender: number };
  remote: { senderIndex: number; kind: string; framesDecoded: number }[];
}

async function mediaState(page: TestPage): Promise<MediaState> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's debug handle (client/src/app/main.ts)
    const c = (window as any).canopy;
    const m = c?.meeting;
    const status = (document.getElementById('status')?.textContent ?? '').slice(0, 200);
    const base = {
      state: String(c?.state),
      error: c?.error,
      banner: c?.banner,
      reconnects: Number(c?.reconnects ?? 0),
      losses: (c?.losses ?? []) as string[],
      epoch: c?.epoch === undefined ? undefined : String(c.epoch.epoch),
      securityCode: c?.epoch?.securityCode,
      status,
    };
    if (!m || m.closed) return { ...base, counters: m?.frameCounters, remote: [] };
    const stats: { producerId: string; framesDecoded: number }[] = await m.getStats();
    return {
      ...base,
      counters: m.frameCounters,
      remote: m.remoteTracks.map(
        (t: { senderIndex: number; kind: string; producerId: string }) => ({
          senderIndex: t.senderIndex,
          kind: t.kind,
          framesDecoded: stats.find((s) => s.producerId === t.producerId)?.framesDecoded ?? 0,
        }),
      ),
    };
  });
}

/** Frames a page's transform worker decrypted, in all. */
function decryptedIn(tap: FrameTap): number {
  return Object.values(tap)
    .filter((t) => t.role === 'decrypt')
    .reduce((n, t) => n + t.out, 0);
}

/** One frame the SFU relayed, as the tap saw it. */
interface TappedFrame {
  t: number;
  sender: string;
  kind: 'audio' | 'video';
  frame: Uint8Array;
  clear: number;
}

export function rekeySuite(options: RekeySuiteOptions): void {
  const { title, stay, leaver, removed, joiner } = options;
  const members = [...stay, leaver, removed];
  if (stay.length < 2) throw new Error('rekeySuite wants at least two members that stay');
  const label = (p: RekeyPage) => `${p.name} (${p.engine})`;

  describe(title, () => {
    let server: CanopyServer;
    let proxy: TcpProxy;
    let host: Host;
    let hostToken = '';
    let meetingId = '';
    let link = '';
    const browsers = new Map<Engine, TestBrowser>();
    const dirs: string[] = [];
    const pages = new Map<string, TestPage>();
    const pageOf = (p: RekeyPage) => pages.get(p.name)!;
    // What the host sees: every epoch's key, the switches, the lobby.
    const epochs = new Map<bigint, EpochInfo>();
    const switches: { t: number; epoch: bigint }[] = [];
    /** When the host applied each epoch (Date.now). */
    const appliedAt = new Map<bigint, number>();
    const policy = new Map<string, 'admit' | 'deny'>();
    const decided = new Set<string>();
    const lobbySeen = new Set<string>();
    const admittedAt = new Map<string, number>();
    const departures: { t: number; userId: string; reason: string }[] = [];
    const resumes: { t: number; userId: string; tookOver: boolean }[] = [];
    const recoveries: { t: number; userId: string }[] = [];
    // What the SFU relays from the members that stay.
    const taps: RtpTap[] = [];
    const tapped: TappedFrame[] = [];
    let tapsFrom = 0;
    /** Epoch switches: the one that removed the leaver, the removed page, the joiner. */
    const events: { what: string; epoch: bigint; switchAt: number }[] = [];

    const leafOf = (name: string) => host.current!.roster.find((r) => r.displayName === name);
    const nameOfLeaf = (leaf: number) =>
      host.current!.roster.find((r) => r.leafIndex === leaf)?.displayName ??
      [...epochs.values()].flatMap((e) => e.roster).find((r) => r.leafIndex === leaf)?.displayName;

    async function openPage(p: RekeyPage, via: 'direct' | 'proxy' = 'direct', token?: string) {
      const page = await browsers.get(p.engine)!.newPage();
      pages.set(p.name, page);
      await page.addInitScript(recordPageTimes);
      const target = new URL(link);
      if (token) target.searchParams.set('t', token);
      target.searchParams.set('name', p.name);
      // the page whose connection the test breaks notices sooner
      if (via === 'proxy') target.searchParams.set('heartbeat', String(PAGE_HEARTBEAT_MS));
      const base = via === 'proxy' ? `http://127.0.0.1:${proxy.port}` : server.url;
      await page.goto(`${base}${target.pathname}${target.search}${target.hash}`);
      return page;
    }

    /** Waits until the page is in the meeting, receiving every other member's two tracks. */
    async function joined(p: RekeyPage, others: number): Promise<MediaState> {
      return until(
        async () => {
          const s = await mediaState(pageOf(p));
          if (s.state === 'failed') throw new Error(`${label(p)} failed: ${s.error}`);
          return s.state === 'joined' && s.remote.length === 2 * others ? s : undefined;
        },
        60_000,
        `${label(p)} to join and receive ${others} members`,
      );
    }

    /** Waits until the page gave up (or was turned away): state failed or closed. */
    async function outcome(p: RekeyPage, ms = 30_000): Promise<MediaState> {
      return until(
        async () => {
          const s = await mediaState(pageOf(p));
          return s.state === 'failed' || s.state === 'closed' ? s : undefined;
        },
        ms,
        `${label(p)} to be turned away or closed`,
      );
    }

    /** The host's first epoch where `name` is (not) in the roster, and its switch. */
    async function epochWhere(
      present: boolean,
      name: string,
      after = 0n,
    ): Promise<{ epoch: bigint; switchAt: number }> {
      const epoch = await until(
        async () => {
          for (const [e, info] of [...epochs].sort(([a], [b]) => (a < b ? -1 : 1)))
            if (
              e > after &&
              info.roster.some((r) => r.displayName === name) === present &&
              epochs.get(e - 1n)?.roster.some((r) => r.displayName === name) !== present
            )
              return e;
          return undefined;
        },
        20_000,
        `an epoch where ${name} is ${present ? '' : 'no longer '}a member`,
      );
      const sw = await until(
        async () => switches.find((s) => s.epoch >= epoch),
        20_000,
        `the switch to epoch ${epoch}`,
      );
      return { epoch, switchAt: sw.t };
    }

    /**
     * The pages keep decoding each other's video after a switch: each remote
     * video of `senders` decodes 10 more frames than at `from`. Returns the
     * decryption failures and no-key drops each page counted since `before`.
     */
    async function keepDecoding(
      receivers: RekeyPage[],
      senders: RekeyPage[],
      before: Map<string, MediaState>,
    ): Promise<string[]> {
      const out: string[] = [];
      for (const p of receivers) {
        const leaves = new Set(
          senders.filter((s) => s !== p).map((s) => leafOf(s.name)!.leafIndex),
        );
        const videos = (s: MediaState) =>
          s.remote.filter((t) => t.kind === 'video' && leaves.has(t.senderIndex));
        const from = videos(await mediaState(pageOf(p)));
        expect(from).toHaveLength(leaves.size);
        const after = await until(
          async () => {
            const s = await mediaState(pageOf(p));
            const now = videos(s);
            return now.length === from.length &&
              now.every(
                (t) =>
                  t.framesDecoded >
                  from.find((f) => f.senderIndex === t.senderIndex)!.framesDecoded + 10,
              )
              ? s
              : undefined;
          },
          30_000,
          `${label(p)} to keep decoding ${[...leaves].map(nameOfLeaf).join(', ')}`,
        );
        const b = before.get(p.name)!.counters!;
        const a = after.counters!;
        expect(a.wrongSender).toBe(0);
        out.push(
          `${label(p)}: ${a.decryptFailed - b.decryptFailed} failed, ${a.noKey - b.noKey} without key`,
        );
      }
      return out;
    }

    async function statesOf(ps: RekeyPage[]): Promise<Map<string, MediaState>> {
      return new Map(
        await Promise.all(ps.map(async (p) => [p.name, await mediaState(pageOf(p))] as const)),
      );
    }

    beforeAll(async () => {
      const publicDir = await buildPublicDir();
      dirs.push(publicDir);
      // The test build's transform worker reports per-frame times (frame-tap.ts).
      const worker = join(publicDir, 'build', 'e2ee-worker.js');
      writeFileSync(worker, tappedWorkerSource(readFileSync(worker, 'utf8')));

      const mediasoup = await loadMediasoup(mediasoupTestModule().path!);
      server = await startServer(suiteServerConfig(publicDir, options.listenIp), mediasoup.api, {
        log: (m, e) => console.error(`[server] ${m}`, e ?? ''),
        // Dead connections (a silent network loss) found within 2-4 s instead of 30-60.
        signaling: { heartbeatMs: HEARTBEAT_MS },
      });
      proxy = await TcpProxy.start(server.port);
      server.delivery.on('departed', (e) => {
        if (e.meetingId === meetingId) departures.push({ t: Date.now(), ...e });
      });
      server.delivery.on('recovery', (e) => {
        if (e.meetingId === meetingId) recoveries.push({ t: Date.now(), userId: e.userId });
      });
      server.delivery.on('resumed', (e) => {
        if (e.meetingId === meetingId) resumes.push({ t: Date.now(), ...e });
      });

      const created = await server.links.create(server.url);
      meetingId = created.meetingId;
      link = created.participantLink;
      const hostUrl = new URL(created.hostLink);
      hostToken = hostUrl.searchParams.get('t')!;
      host = new Host({
        url: `${server.url.replace('http', 'ws')}/ws`,
        token: hostUrl.searchParams.get('t')!,
        displayName: 'Host',
        asPublicKey: new Uint8Array(
          Buffer.from(new URLSearchParams(hostUrl.hash.slice(1)).get('as')!, 'base64url'),
        ),
        suite: getCipherSuite(1, nodeProvider),
      });
      host.on('epoch', (info) => {
        epochs.set(info.epoch, info);
        appliedAt.set(info.epoch, Date.now());
      });
      host.on('switch', ({ epoch }) => switches.push({ t: Date.now(), epoch }));
      host.on('lobby-list', (entries) => {
        for (const e of entries) {
          lobbySeen.add(e.displayName);
          const decision = policy.get(e.displayName);
          if (!decision || decided.has(e.userId)) continue;
          decided.add(e.userId);
          if (decision === 'admit') {
            admittedAt.set(e.displayName, Date.now());
            host.admit(e.userId);
          } else host.deny(e.userId);
        }
      });
      // The host is first: it creates the group, and from then on everyone waits in the lobby.
      await host.connect();

      for (const engine of new Set(
        [...members, joiner].map((p) => p.engine).concat(options.outsider),
      )) {
        const tool = engine === 'chromium' ? chromiumTool() : firefoxTool();
        browsers.set(
          engine,
          await launchBrowser(engine, {
            executablePath: tool.path!,
            onConsole: (page, e) => {
              if (e.type === 'pageerror' || e.type === 'error' || e.type.startsWith('warn'))
                console.error(
                  `[page ${[...pages].find(([, p]) => p === page)?.[0]}] ${e.type}: ${e.text}`,
                );
            },
          }),
        );
      }
      for (const p of members) policy.set(p.name, 'admit');
      for (const p of members) await openPage(p);
    }, 180_000);

    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail') return;
      const dir = mkdtempSync(join(tmpdir(), `canopy-e2e-${options.meeting}-`));
      for (const [name, page] of pages)
        await page.screenshot(join(dir, `${name}-${page.engine}.png`)).catch(() => {});
      console.error(`[e2e] screenshots of every page after the failure: ${dir}`);
    });

    afterAll(async () => {
      for (const t of taps) t.close();
      host?.disconnect();
      for (const b of browsers.values()) await b.close().catch(() => {});
      await proxy?.close();
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test('the host admits every member page from the lobby; all share its epoch and security code', async () => {
      for (const p of members) await joined(p, members.length - 1);
      for (const p of members) expect(lobbySeen).toContain(p.name);
      const all = await until(
        async () => {
          const s = await statesOf(members);
          const now = host.current!;
          return [...s.values()].every((x) => x.epoch === String(now.epoch)) ? s : undefined;
        },
        30_000,
        "every page at the host's epoch",
      );
      for (const s of all.values()) expect(s.securityCode).toBe(host.current!.securityCode);
      console.log(
        `[e2e] ${members.map(label).join(', ')} admitted by the host; all at epoch ${host.current!.epoch}, ` +
          `security code ${host.current!.securityCode}`,
      );
    }, 180_000);

    test('a page leaves (closes): the others keep decoding across the epoch switch', async () => {
      // From here on the SFU's frames from the members that stay are recorded (checked later).
      const room = server.meetings.get(meetingId)!.room;
      tapsFrom = Date.now();
      for (const peer of room.peers) {
        for (const producerId of peer.producerIds) {
          const tap = await room.tap(producerId);
          taps.push(tap);
          const mime = (m: string) =>
            tap.rtpParameters.codecs.find((c) => c.mimeType.toLowerCase() === m);
          const codec = mime('video/vp8') ?? mime('audio/opus')!;
          const kind: 'audio' | 'video' = codec.mimeType.toLowerCase().startsWith('video')
            ? 'video'
            : 'audio';
          const assembler = new Vp8FrameAssembler();
          const sender = peer.id;
          tap.on('rtp', (packet) => {
            const rtp = parseRtp(new Uint8Array(packet));
            if (rtp?.payloadType !== codec.payloadType) return;
            if (kind === 'audio') {
              tapped.push({ t: Date.now(), sender, kind, frame: rtp.payload.slice(), clear: 1 });
              return;
            }
            const frame = assembler.push(rtp);
            if (frame)
              tapped.push({
                t: Date.now(),
                sender,
                kind,
                frame,
                clear: isVp8Keyframe(frame) ? 10 : 3,
              });
          });
        }
      }
      const remaining = [...stay, removed];
      const before = await statesOf(remaining);
      const leftAt = Date.now();
      await pageOf(leaver).close();
      const { epoch, switchAt } = await epochWhere(false, leaver.name);
      events.push({ what: `${leaver.name} left`, epoch, switchAt });
      const failures = await keepDecoding(remaining, remaining, before);
      console.log(
        `[e2e] ${label(leaver)} closed its page: epoch ${epoch} switched ${switchAt - leftAt} ms later ` +
          `(the DS waits ${DEFAULT_MEETING_OPTIONS.disconnectGraceMs} ms for a dropped member); the others kept decoding; ` +
          `across the switch ${failures.join('; ')}`,
      );
    }, 120_000);

    test('the host removes a page: it decrypts nothing under the new epoch, the others keep decoding', async () => {
      const target = leafOf(removed.name)!;
      const before = await statesOf(stay);
      const removedAt = Date.now();
      host.remove(target.userId);
      const { epoch, switchAt } = await epochWhere(false, removed.name);
      events.push({ what: `${removed.name} removed`, epoch, switchAt });
      const failures = await keepDecoding(stay, stay, before);

      // The removed page is out: its meeting closed, its decryption stopped.
      const end = await outcome(removed);
      const t1 = await pageTimes(pageOf(removed));
      await new Promise((r) => setTimeout(r, 2_000));
      const t2 = await pageTimes(pageOf(removed));
      expect(decryptedIn(t2.tap)).toBe(decryptedIn(t1.tap));
      // It decrypted no frame under the removal's epoch or any later one (KID epoch bits).
      const later = new Set(
        [...epochs.keys()]
          .filter((e) => e >= epoch && e < epoch + 15n)
          .map((e) => String(e & EPOCH_MASK)),
      );
      let last = { t: 0, bits: '' };
      for (const t of Object.values(t2.tap)) {
        if (t.role !== 'decrypt') continue;
        for (const [bits, e] of Object.entries(t.epochs)) {
          expect(later.has(bits), `${label(removed)} decrypted a frame of epoch bits ${bits}`).toBe(
            false,
          );
          if (e.last > last.t) last = { t: e.last, bits };
        }
      }
      expect(last.t).toBeGreaterThan(0);
      // Frames under the new epochs that still reached it (it could not decrypt them).
      const undecryptable = Object.values(t2.tap)
        .filter((t) => t.role === 'decrypt')
        .flatMap((t) => Object.entries(t.epochsIn))
        .filter(([bits]) => later.has(bits))
        .reduce((n, [, e]) => n + e.n, 0);
      console.log(
        `[e2e] removal window ${label(removed)}: host's remove → last frame it decrypted ` +
          `${last.t - removedAt} ms (that frame under epoch bits ${last.bits}, ${switchAt - last.t} ms before ` +
          `the switch to epoch ${epoch}; the host applied that epoch's commit ${appliedAt.get(epoch)! - removedAt} ms ` +
          `and the switch came ${switchAt - removedAt} ms after the remove); ` +
          `${undecryptable} frames under the new epochs reached it; it then showed state ${end.state} ` +
          `"${end.status}"; across the switch ${failures.join('; ')}`,
      );
    }, 120_000);

    test("a page joining the running meeting: host's admit → its first decrypted and rendered frame", async () => {
      policy.set(joiner.name, 'admit');
      const openedAt = Date.now();
      await openPage(joiner, 'proxy');
      await joined(joiner, stay.length);
      const { epoch, switchAt } = await epochWhere(true, joiner.name);
      events.push({ what: `${joiner.name} joined`, epoch, switchAt });
      const leaves = new Set(stay.map((p) => leafOf(p.name)!.leafIndex));
      const times = await until(
        async () => {
          const t = await pageTimes(pageOf(joiner));
          const videos = Object.values(t.tap).filter(
            (x) =>
              x.role === 'decrypt' && x.kind === 'video' && leaves.has(x.senderIndex!) && x.out > 0,
          );
          return videos.length === leaves.size && Object.keys(t.firstRendered).length >= leaves.size
            ? { t, videos }
            : undefined;
        },
        30_000,
        `${label(joiner)} to decrypt and show every member's video`,
      );
      const admitted = admittedAt.get(joiner.name)!;
      const firstDecrypted = Math.min(
        ...times.videos.flatMap((v) => Object.values(v.epochs).map((e) => e.first)),
      );
      const firstRendered = Math.min(...Object.values(times.t.firstRendered));
      const allRendered = Math.max(...Object.values(times.t.firstRendered));
      const s = await mediaState(pageOf(joiner));
      expect(s.epoch).toBe(String(host.current!.epoch));
      console.log(
        `[e2e] joiner ${label(joiner)}: page opened → host's admit ${admitted - openedAt} ms; ` +
          `admit → first decrypted video frame ${firstDecrypted - admitted} ms, ` +
          `→ first rendered frame ${firstRendered - admitted} ms, → every member's video rendered ` +
          `${allRendered - admitted} ms (epoch ${epoch} switched ${switchAt - admitted} ms after the admit)`,
      );
    }, 120_000);

    test('the SFU relays only SFrame under the epoch in force (a short grace after each switch)', async () => {
      // Frames past the last switch's grace, then no more.
      const lastSwitch = Math.max(...events.map((e) => e.switchAt));
      await until(
        async () => tapped.some((f) => f.t > lastSwitch + GRACE_MS + 1_000),
        20_000,
        'frames at the tap after the last switch',
      );
      for (const t of taps) t.close();
      const sorted = [...switches].sort((a, b) => a.t - b.t);
      const inForce = (t: number) => {
        let e: bigint | undefined;
        for (const s of sorted) if (s.t <= t) e = s.epoch;
        return e;
      };
      // Epochs a frame seen at `t` may carry: the one in force GRACE_MS earlier, and any switched since.
      const allowed = (t: number) => {
        const set = new Set<bigint>();
        const then = inForce(t - GRACE_MS);
        if (then !== undefined) set.add(then);
        for (const s of sorted) if (s.t > t - GRACE_MS && s.t <= t + 200) set.add(s.epoch);
        return set;
      };
      const receivers = new Map<bigint, SFrameReceiver>();
      const receiverOf = (e: bigint) => {
        let r = receivers.get(e);
        if (!r) {
          r = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
          r.addEpoch(e, epochs.get(e)!.sframeBaseKey);
          receivers.set(e, r);
        }
        return r;
      };
      const byEpoch = new Map<string, number>();
      const lag = new Map<bigint, number>();
      expect(tapped.length).toBeGreaterThan(100);
      for (const f of tapped) {
        const header = decodeHeader(f.frame.subarray(f.clear));
        const bits = header.kid & EPOCH_MASK;
        const ok = [...allowed(f.t)].filter((e) => (e & EPOCH_MASK) === bits);
        expect(
          ok,
          `a ${f.kind} frame at +${f.t - tapsFrom} ms under epoch bits ${bits} (in force: ${[...allowed(f.t)].join(', ')})`,
        ).toHaveLength(1);
        const epoch = ok[0]!;
        // It is SFrame under that epoch's key: it decrypts (authenticated) with it.
        expect(() => receiverOf(epoch).decryptFrame(f.frame, f.clear)).not.toThrow();
        const k = `${epoch}`;
        byEpoch.set(k, (byEpoch.get(k) ?? 0) + 1);
        // How long after a newer epoch's switch this older one's frames kept coming.
        for (const s of sorted)
          if (s.epoch > epoch && s.t <= f.t)
            lag.set(s.epoch, Math.max(lag.get(s.epoch) ?? 0, f.t - s.t));
      }
      for (const ev of events) {
        const after = tapped.filter((f) => f.t > ev.switchAt + GRACE_MS);
        expect(after.length).toBeGreaterThan(0);
      }
      console.log(
        `[e2e] SFU tap: ${tapped.length} frames from ${stay.map(label).join(', ')} (and the others while they sent), ` +
          `all SFrame under the epoch in force; frames by epoch ${[...byEpoch].map(([e, n]) => `${e}: ${n}`).join(', ')}; ` +
          `switches ${events.map((e) => `${e.what} → epoch ${e.epoch}`).join(', ')}; ` +
          `old-epoch frames seen after a switch: ${[...lag].map(([e, ms]) => `${ms} ms after epoch ${e}'s`).join(', ') || 'none'}`,
      );
    }, 60_000);

    test('the lobby: a page the host denies is turned away and gets no media', async () => {
      const denied = { name: 'Denied', engine: options.outsider };
      policy.set(denied.name, 'deny');
      const size = server.meetings.get(meetingId)!.size;
      await openPage(denied);
      const s = await outcome(denied);
      expect(lobbySeen).toContain(denied.name);
      expect(s.error).toMatch(/denied/);
      expect(s.counters).toBeUndefined();
      expect(server.meetings.get(meetingId)!.size).toBe(size);
      expect(host.current!.roster.map((r) => r.displayName)).not.toContain(denied.name);
      console.log(
        `[e2e] ${label(denied)} waited in the lobby, was denied: "${s.status}" (${s.error})`,
      );
      await pageOf(denied).close();
    }, 60_000);

    test('a locked meeting turns a new page away; unlocked, the lobby works again', async () => {
      host.lock();
      await until(async () => server.delivery.meeting(meetingId)?.locked, 10_000, 'the lock');
      const late = { name: 'Late', engine: options.outsider };
      policy.set(late.name, 'admit');
      await openPage(late);
      const s = await outcome(late);
      expect(s.error).toMatch(/locked/);
      expect(lobbySeen).not.toContain(late.name);
      host.unlock();
      await until(async () => !server.delivery.meeting(meetingId)?.locked, 10_000, 'the unlock');
      console.log(
        `[e2e] ${label(late)} was refused by the locked meeting: "${s.status}" (${s.error})`,
      );
      await pageOf(late).close();
    }, 60_000);

    test('a page with a tampered link token never gets in or gets media', async () => {
      const forger = { name: 'Forger', engine: options.outsider };
      policy.set(forger.name, 'admit');
      const token = new URL(link).searchParams.get('t')!;
      // Another signature: the last character changed.
      // (a character inside the signature: the last one also carries padding bits)
      const i = token.lastIndexOf('.') + 5;
      const forged = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      const size = server.meetings.get(meetingId)!.size;
      await openPage(forger, 'direct', forged);
      const s = await outcome(forger);
      expect(s.error).toMatch(/invalid-link/);
      expect(s.counters).toBeUndefined();
      expect(lobbySeen).not.toContain(forger.name);
      expect(server.meetings.get(meetingId)!.size).toBe(size);
      console.log(`[e2e] ${label(forger)} with a tampered link: "${s.status}" (${s.error})`);
      await pageOf(forger).close();
    }, 60_000);

    test('a page with an expired link for this meeting never gets in or gets media', async () => {
      const late = { name: 'Expired', engine: options.outsider };
      policy.set(late.name, 'admit');
      const now = Math.floor(Date.now() / 1000);
      const expired = await server.links.sign(meetingId, 'participant', now - 120, now - 60);
      const size = server.meetings.get(meetingId)!.size;
      await openPage(late, 'direct', expired);
      const s = await outcome(late);
      expect(s.error).toMatch(/invalid-link: this meeting link has expired/);
      expect(s.counters).toBeUndefined();
      expect(lobbySeen).not.toContain(late.name);
      expect(server.meetings.get(meetingId)!.size).toBe(size);
      console.log(`[e2e] ${label(late)} with an expired link: "${s.status}" (${s.error})`);
      await pageOf(late).close();
    }, 60_000);

    /** When the joiner's connection froze, and the epoch that dropped it. */
    const loss = { at: 0, epoch: 0n };

    test('a silent network loss: the page notices and shows it is reconnecting; the server drops it and rekeys; it decrypts nothing meanwhile', async () => {
      const before = await statesOf(stay);
      const size = server.meetings.get(meetingId)!.size;
      const userId = userIdOf(joiner.name)!;
      const epochBefore = host.epoch!;
      loss.at = Date.now();
      proxy.freeze();
      // The page's own heartbeat notices: no frame, no close, yet it shows it is reconnecting.
      const noticed = await until(
        async () => {
          const s = await mediaState(pageOf(joiner));
          return s.state === 'reconnecting' ? s : undefined;
        },
        20_000,
        `${label(joiner)} to notice the loss`,
      );
      const noticedAt = Date.now();
      expect(noticed.banner).toMatch(/reconnecting/i);
      expect(noticed.reconnects).toBeGreaterThan(0);
      const { epoch, switchAt } = await epochWhere(false, joiner.name, epochBefore);
      loss.epoch = epoch;
      const departed = departures.find((d) => d.userId === userId && d.t >= loss.at);
      expect(departed?.reason).toBe('timeout');
      const failures = await keepDecoding(stay, stay, before);
      await until(
        async () => server.meetings.get(meetingId)!.size === size - 1,
        10_000,
        "the server to drop the page's media",
      );
      // Its media stopped with its connection (it never holds the new epoch's key).
      const t1 = await pageTimes(pageOf(joiner));
      await new Promise((r) => setTimeout(r, 2_000));
      const t2 = await pageTimes(pageOf(joiner));
      expect(decryptedIn(t2.tap)).toBe(decryptedIn(t1.tap));
      const s = await mediaState(pageOf(joiner));
      expect(s.state).toBe('reconnecting');
      console.log(
        `[e2e] silent loss of ${label(joiner)}'s connection: the page noticed after ${noticedAt - loss.at} ms ` +
          `(its heartbeat ${PAGE_HEARTBEAT_MS} ms) and shows "${s.banner}" (${s.reconnects} attempts so far); ` +
          `the server dropped it (heartbeat ${HEARTBEAT_MS} ms) and switched to epoch ${epoch} ` +
          `${switchAt - loss.at} ms after the loss; across the switch ${failures.join('; ')}`,
      );
    }, 120_000);

    test("the network back: the page reconnects by itself, without the lobby, with fresh keys, and decodes the others' video again; they decode its", async () => {
      const userId = userIdOf(joiner.name)!;
      const oldLeaf = epochs
        .get(loss.epoch - 1n)!
        .roster.find((r) => r.userId === userId)!.leafIndex;
      const restoredAt = Date.now();
      proxy.restore();
      const s = await joined(joiner, stay.length);
      const backAt = Date.now();
      // it resumed its place (the same user, no lobby: the host never admitted it again)
      const resumed = resumes.find((r) => r.userId === userId && r.t >= restoredAt);
      expect(resumed).toBeDefined();
      const { epoch, switchAt } = await epochWhere(true, joiner.name, loss.epoch);
      const entry = host.current!.roster.find((r) => r.displayName === joiner.name)!;
      expect(entry.userId).toBe(userId);
      expect(s.banner).toBeUndefined();
      // it decodes every member that stayed…
      const leaves = new Set(stay.map((p) => leafOf(p.name)!.leafIndex));
      await until(
        async () => {
          const now = await mediaState(pageOf(joiner));
          const videos = now.remote.filter((t) => t.kind === 'video' && leaves.has(t.senderIndex));
          return videos.length === leaves.size && videos.every((v) => v.framesDecoded > 10)
            ? now
            : undefined;
        },
        30_000,
        `${label(joiner)} to decode the others' video again`,
      );
      // …and they decode it, under its new leaf
      for (const p of stay)
        await until(
          async () => {
            const now = await mediaState(pageOf(p));
            return now.remote.some(
              (t) =>
                t.kind === 'video' && t.senderIndex === entry.leafIndex && t.framesDecoded > 10,
            );
          },
          30_000,
          `${label(p)} to decode ${label(joiner)} again`,
        );
      const after = await until(
        async () => {
          const now = await mediaState(pageOf(joiner));
          return now.epoch === String(host.current!.epoch) ? now : undefined;
        },
        20_000,
        `${label(joiner)} at the host's epoch`,
      );
      expect(after.securityCode).toBe(host.current!.securityCode);
      console.log(
        `[e2e] ${label(joiner)} reconnected by itself: network back → resumed (${resumed!.tookOver ? 'took over its old seat' : 'its old seat was gone'}) ` +
          `${resumed!.t - restoredAt} ms, → in the media again ${backAt - restoredAt} ms; epoch ${epoch} ` +
          `(switched ${switchAt - restoredAt} ms after), leaf ${oldLeaf} → ${entry.leafIndex}, ` +
          `${after.reconnects} reconnect attempts in all, ${resumes.filter((r) => r.userId === userId).length} resumed` +
          `${resumes
            .filter((r) => r.userId === userId && r.t < loss.at)
            .map((r) => ` (once ${Math.round((loss.at - r.t) / 1000)} s before the loss)`)
            .join('')}; ` +
          `it and the others decode each other; why it reconnected: ${after.losses.join('; ')}`,
      );
    }, 120_000);

    test('a removal is never undone by a reconnect: the removed page stays out', async () => {
      const userId = userIdOf(joiner.name)!;
      const removedAt = Date.now();
      host.remove(userId);
      const s = await outcome(joiner);
      expect(s.error).toMatch(/removed/);
      await new Promise((r) => setTimeout(r, 3_000));
      const later = await mediaState(pageOf(joiner));
      expect(later.state).toBe(s.state);
      expect(server.delivery.meeting(meetingId)!.isMember(userId)).toBe(false);
      expect(resumes.filter((r) => r.userId === userId && r.t >= removedAt)).toEqual([]);
      console.log(
        `[e2e] ${label(joiner)} removed after its reconnect: state ${s.state}, "${s.status}" (${s.error}); ` +
          `still ${later.state} 3 s later, no resume`,
      );
    }, 60_000);

    test('a commit the pages cannot process: the DS re-adds each, and each rejoins the media by itself', async () => {
      // A second headless member: it commits the re-adds (the DS never names the spoiler again).
      const hostUrl = new URL(link);
      const helper = new Host({
        url: `${server.url.replace('http', 'ws')}/ws`,
        token: hostToken,
        displayName: 'Helper',
        asPublicKey: new Uint8Array(
          Buffer.from(new URLSearchParams(hostUrl.hash.slice(1)).get('as')!, 'base64url'),
        ),
        suite: getCipherSuite(1, nodeProvider),
      });
      await helper.connect();
      await until(
        async () =>
          host.current!.roster.some((r) => r.displayName === 'Helper') ? true : undefined,
        20_000,
        'the helper in the group',
      );
      const ids = new Map(stay.map((p) => [p.name, leafOf(p.name)!.userId] as const));
      const oldLeaves = stay.map((p) => leafOf(p.name)!.leafIndex);
      const start = host.epoch!;
      const spoiledAt = Date.now();
      host.spoilNextCommit();
      host.update();
      await until(
        async () => [...ids.values()].every((id) => recoveries.some((r) => r.userId === id)),
        20_000,
        'every page to report the commit',
      );
      // every page back in the group (a later epoch whose roster has them all)…
      await until(
        async () =>
          host.epoch! > start + 1n && stay.every((p) => leafOf(p.name) !== undefined)
            ? true
            : undefined,
        30_000,
        'the DS to re-add every page',
      );
      // …and in the media: each decodes the others under their new leaves, at the host's epoch
      for (const p of stay) {
        const others = new Set(stay.filter((o) => o !== p).map((o) => leafOf(o.name)!.leafIndex));
        await until(
          async () => {
            const s = await mediaState(pageOf(p));
            if (s.state !== 'joined' || s.epoch !== String(host.current!.epoch)) return undefined;
            const videos = s.remote.filter((t) => t.kind === 'video' && others.has(t.senderIndex));
            return videos.length === others.size && videos.every((v) => v.framesDecoded > 10)
              ? s
              : undefined;
          },
          40_000,
          `${label(p)} to rejoin the media and decode the others`,
        );
      }
      const states = await statesOf(stay);
      for (const s of states.values()) expect(s.securityCode).toBe(host.current!.securityCode);
      console.log(
        `[e2e] a spoiled commit: ${stay.map(label).join(', ')} reported it, were re-added (leaves ${oldLeaves.join(', ')} → ` +
          `${stay.map((p) => leafOf(p.name)!.leafIndex).join(', ')}, epoch ${start} → ${host.epoch}) and decode each other again ` +
          `${Date.now() - spoiledAt} ms after the commit`,
      );
      helper.disconnect();
    }, 120_000);

    test("the host's end stops every page's media", async () => {
      const endedAt = Date.now();
      const ended = new Promise<void>((resolve) => host.on('ended', () => resolve()));
      host.end();
      await ended;
      for (const p of stay) {
        const s = await outcome(p);
        expect(s.state).toBe('closed');
        const t1 = await pageTimes(pageOf(p));
        await new Promise((r) => setTimeout(r, 1_000));
        expect(decryptedIn((await pageTimes(pageOf(p))).tap)).toBe(decryptedIn(t1.tap));
        console.log(
          `[e2e] ${label(p)} after the host ended the meeting (${Date.now() - endedAt} ms): ${s.state}, "${s.status}"`,
        );
      }
      await until(
        async () => (server.meetings.get(meetingId)?.size ?? 0) === 0,
        10_000,
        'the media meeting to empty',
      );
      expect(server.delivery.meeting(meetingId)).toBeUndefined();
    }, 60_000);

    test('no page reported an uncaught error (nor a CSP violation)', () => {
      // Firefox reports each WebSocket it could not open as a page error: the
      // joiner's reconnect attempts while its network was down are expected.
      const lostNetwork = (name: string, text: string) =>
        name === joiner.name &&
        /^(Firefox can.t establish a connection to the server at ws:|The connection to ws:\S+ was interrupted)/.test(
          text,
        );
      const errors = [...pages].flatMap(([name, page]) =>
        page.console
          .filter((e) => e.type === 'pageerror' && !lostNetwork(name, e.text))
          .map((e) => `${name}: ${e.text}`),
      );
      expect(errors).toEqual([]);
    });

    function userIdOf(name: string): string | undefined {
      return [...epochs.values()].flatMap((e) => e.roster).find((r) => r.displayName === name)
        ?.userId;
    }
  });
}
