// The media e2e suite, for any mix of browser engines: pages join one meeting
// on the real server and mediasoup worker, each an MLS member through its key
// worker, all in the same epoch with the same security code; they must decode
// (decrypt) each other's video and audio, whichever engine encrypted it; a
// page that is not a member of the meeting's group (its link is for another
// meeting) gets no media; the page's main thread never receives key bytes;
// a server-side consumer checks that the SFU relays only SFrame under the
// current epoch's key. A headless member (the participant core in Node)
// observes the epochs and their keys. media.test.ts runs it in Chromium,
// media-firefox.test.ts with Chromium and Firefox in one meeting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCipherSuite } from '@canopy/shared/crypto';
import { decodeHeader, SFrameError, SFrameReceiver } from '@canopy/shared/sframe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { nodeProvider } from '../../../server/src/crypto/index.js';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup, type RtpTap } from '../../../server/src/sfu/index.js';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  mediasoupTestModule,
} from '../../../shared/test/support/tools.js';
import { expectedKid, FIRST_CONTEXT, KID_LAYOUT, SFRAME_SUITE } from '../../src/e2ee/media-keys.js';
import { type EpochInfo, Participant } from '../../src/participant/index.js';
import { buildPublicDir, suiteServerConfig } from '../support/app-server.js';
import { until as pollUntil } from '../support/until.js';
import { type Engine, launchBrowser, type TestBrowser, type TestPage } from './browsers.js';
import { isVp8Keyframe, parseRtp, Vp8FrameAssembler } from './rtp.js';

/** One participant's page. */
export interface PageSpec {
  /** Display name, unique in the meeting. */
  name: string;
  engine: Engine;
  /** Force the insertable-streams fallback (`?transform=encoded-streams`, Chromium only). */
  encodedStreams?: boolean;
  /** Opens this meeting's page with another meeting's link: not a member, so no media. */
  stranger?: boolean;
}

export interface MediaSuiteOptions {
  title: string;
  /** A label for this meeting's artefacts (screenshots); the meeting itself comes from a signed link. */
  meeting: string;
  pages: PageSpec[];
  /** Address the SFU's transports listen on (default 127.0.0.1; in a network namespace, its address). */
  listenIp?: string;
}

export interface Counters {
  encrypted: number;
  decrypted: number;
  decryptFailed: number;
  encryptFailed: number;
  noKey: number;
  wrongSender: number;
}

export interface Snapshot {
  state: string;
  error?: string;
  /** The MLS epoch, security code and roster size the page shows (no key). */
  epoch?: string;
  securityCode?: string;
  roster?: number;
  /** Which library runs MLS's X25519/Ed25519 in the page's key worker. */
  mlsCrypto?: string;
  participantId: string;
  senderIndex: number;
  mode: string;
  counters: Counters;
  e2eeErrors: string[];
  local: { producerId: string; kind: string; context: number }[];
  remote: {
    producerId: string;
    participantId: string;
    kind: 'audio' | 'video';
    counters: Counters;
    packetsReceived: number;
    framesDecoded: number;
    totalSamplesReceived: number;
    concealedSamples: number;
    totalAudioEnergy: number;
  }[];
  firstFrameMs: Record<string, number>;
  joinToFirstFrameMs?: number;
}

/** What a page's meeting reports: its tracks, their stats, SFrame counters. */
export async function snapshot(page: TestPage): Promise<Snapshot> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's debug handle (client/src/app/main.ts)
    const c = (window as any).canopy;
    const m = c.meeting;
    const keys = {
      epoch: c.epoch === undefined ? undefined : String(c.epoch.epoch),
      securityCode: c.epoch?.securityCode,
      roster: c.epoch?.roster.length,
      mlsCrypto: c.mlsCrypto,
    };
    if (!m) return { state: c.state, error: c.error, ...keys } as never;
    const stats: { producerId: string }[] = await m.getStats();
    return {
      state: c.state,
      error: c.error,
      ...keys,
      participantId: m.participantId,
      senderIndex: m.senderIndex,
      mode: m.transformMode,
      counters: m.frameCounters,
      e2eeErrors: [...m.e2eeErrors],
      local: m.localTracks.map((t: { producerId: string; kind: string; context: number }) => ({
        producerId: t.producerId,
        kind: t.kind,
        context: t.context,
      })),
      remote: m.remoteTracks.map(
        (t: { producerId: string; participantId: string; kind: string; transformId: string }) => ({
          producerId: t.producerId,
          participantId: t.participantId,
          kind: t.kind,
          counters: m.frameCountersOf(t.transformId),
          ...stats.find((s) => s.producerId === t.producerId),
        }),
      ),
      firstFrameMs: { ...c.firstFrameMs },
      joinToFirstFrameMs: c.joinToFirstFrameMs,
    };
  });
}

interface Picture {
  producerId: string;
  width: number;
  /** Luma mean and variance over the frame. */
  mean: number;
  variance: number;
  /** Mean of max(R, G, B) − min(R, G, B): 0 for black, white and grey. */
  saturation: number;
}

/** What each remote video shows, drawn to a small canvas. */
async function pictures(page: TestPage): Promise<Picture[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLVideoElement>('.tile:not(.local) video[data-producer-id]'),
    ].map((video) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 36;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      let sumSq = 0;
      let sat = 0;
      const n = d.length / 4;
      for (let i = 0; i < d.length; i += 4) {
        const y = 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
        sum += y;
        sumSq += y * y;
        sat += Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!);
      }
      const mean = sum / n;
      return {
        producerId: video.dataset.producerId!,
        width: video.videoWidth,
        mean,
        variance: sumSq / n - mean * mean,
        saturation: sat / n,
      };
    }),
  );
}

/** `until` polling every 500 ms (the media suites' pace). */
export const until = <T>(probe: () => Promise<T | undefined | false>, ms: number, what: string) =>
  pollUntil(probe, ms, what, 500);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Installed in every page before its scripts: records every message the main
 * thread receives (from workers, ports, other windows), keeping each binary
 * value's bytes as hex, and counts WebSockets opened on the main thread.
 */
interface MainThreadSeen {
  /** Message events the main thread received. */
  messages: number;
  /** Hex of every binary value in them. */
  binaries: string[];
  /** Every string value in them (each cut at 2,000 characters). */
  strings: string[];
  /** WebSockets opened on the main thread. */
  sockets: number;
}

function recordMainThreadMessages(): void {
  const seen = { messages: 0, binaries: [] as string[], strings: [] as string[], sockets: 0 };
  (window as unknown as { __canopySeen: typeof seen }).__canopySeen = seen;
  const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const scan = (v: unknown, depth: number): void => {
    if (depth > 8 || v === null || v === undefined) return;
    if (typeof v === 'string') {
      if (seen.strings.length < 5_000) seen.strings.push(v.slice(0, 2_000));
    } else if (v instanceof ArrayBuffer) {
      if (seen.binaries.length < 5_000) seen.binaries.push(toHex(new Uint8Array(v)));
    } else if (ArrayBuffer.isView(v)) {
      if (seen.binaries.length < 5_000)
        seen.binaries.push(toHex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
    } else if (typeof v === 'object') {
      for (const x of Object.values(v as object)) scan(x, depth + 1);
    }
  };
  const record = (e: Event) => {
    seen.messages++;
    scan((e as MessageEvent).data, 0);
  };
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      this.addEventListener('message', record);
    }
  };
  const NativeChannel = window.MessageChannel;
  window.MessageChannel = class extends NativeChannel {
    constructor() {
      super();
      this.port1.addEventListener('message', record);
      this.port2.addEventListener('message', record);
    }
  };
  window.addEventListener('message', record, true);
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      seen.sockets++;
      this.addEventListener('message', record);
    }
  };
}

/** Registers the suite (call inside a test file, after checking the tools with `withTools`). */
export function mediaSuite(options: MediaSuiteOptions): void {
  const { title, meeting, pages: specs } = options;
  /** The real meeting id and its participant link, once the server runs. */
  let meetingId = '';
  let link = '';
  /** Another meeting's link: the stranger's. */
  let otherLink = '';
  /** A member in Node: it created the group and sees every epoch's key (pages never show one). */
  let observer: Participant;
  const epochKeys = new Map<bigint, EpochInfo>();
  const strangers = specs.filter((s) => s.stranger);
  if (strangers.length !== 1 || specs.length - strangers.length < 2)
    throw new Error('mediaSuite wants one stranger page and at least two members');
  const strangerSpec = strangers[0]!;
  const goodSpecs = specs.filter((s) => !s.stranger);
  const modeOf = (s: PageSpec) => (s.encodedStreams ? 'encoded-streams' : 'script-transform');
  const label = (s: PageSpec) => `${s.name} (${s.engine}, ${modeOf(s)})`;

  describe(title, () => {
    let server: CanopyServer;
    const browsers: TestBrowser[] = [];
    const dirs: string[] = [];
    const pages = new Map<PageSpec, TestPage>();
    const snaps = new Map<PageSpec, Snapshot>();
    const pageOf = (s: PageSpec) => pages.get(s)!;
    const idOf = (s: PageSpec) => snaps.get(s)!.participantId;
    const specOfId = (id: string) => specs.find((s) => snaps.get(s)?.participantId === id);

    beforeAll(async () => {
      const publicDir = await buildPublicDir();
      dirs.push(publicDir);

      const mediasoup = await loadMediasoup(mediasoupTestModule().path!);
      server = await startServer(suiteServerConfig(publicDir, options.listenIp), mediasoup.api, {
        log: (m, e) => console.error(`[server] ${m}`, e ?? ''),
      });

      const created = await server.links.create(server.url);
      meetingId = created.meetingId;
      link = created.participantLink;
      otherLink = (await server.links.create(server.url)).participantLink;
      const url = new URL(link);
      observer = new Participant({
        url: `${server.url.replace('http', 'ws')}/ws`,
        token: url.searchParams.get('t')!,
        displayName: 'Observer',
        asPublicKey: new Uint8Array(
          Buffer.from(new URLSearchParams(url.hash.slice(1)).get('as')!, 'base64url'),
        ),
        suite: getCipherSuite(1, nodeProvider),
      });
      observer.on('epoch', (info) => epochKeys.set(info.epoch, info));
      await observer.connect();
      const byEngine = new Map<Engine, TestBrowser>();
      for (const engine of new Set(specs.map((s) => s.engine))) {
        const tool = engine === 'chromium' ? chromiumTool() : firefoxTool();
        const browser = await launchBrowser(engine, {
          executablePath: tool.path!,
          onConsole: (page, e) => {
            if (e.type === 'pageerror' || e.type === 'error' || e.type.startsWith('warn'))
              console.error(
                `[page ${[...pages].find(([, p]) => p === page)?.[0].name}] ${e.type}: ${e.text}`,
              );
          },
        });
        browsers.push(browser);
        byEngine.set(engine, browser);
      }
      for (const spec of specs) {
        const page = await byEngine.get(spec.engine)!.newPage();
        pages.set(spec, page);
        await page.addInitScript(recordMainThreadMessages);
        // The link as the host hands it out (token in the query, AS key in the fragment).
        const target = new URL(spec.stranger ? otherLink : link);
        target.pathname = `/m/${meetingId}`;
        target.searchParams.set('name', spec.name);
        if (spec.encodedStreams) target.searchParams.set('transform', 'encoded-streams');
        await page.goto(`${server.url}${target.pathname}${target.search}${target.hash}`);
      }
    }, 120_000);

    // When a test fails, a screenshot of every page, kept for whoever reads the failure.
    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail') return;
      const dir = mkdtempSync(join(tmpdir(), `canopy-e2e-${meeting}-`));
      for (const [spec, page] of pages)
        await page.screenshot(join(dir, `${spec.name}-${spec.engine}.png`)).catch(() => {});
      console.error(`[e2e] screenshots of every page after the failure: ${dir}`);
    });

    afterAll(async () => {
      observer?.disconnect();
      for (const b of browsers) await b.close().catch(() => {});
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test("every member page joins, sends audio and video, and receives every other page's tracks", async () => {
      for (const spec of goodSpecs) {
        const s = await until(
          async () => {
            const s = await snapshot(pageOf(spec));
            if (s.state === 'failed') throw new Error(s.error);
            return s.state === 'joined' && s.remote.length === 2 * (goodSpecs.length - 1)
              ? s
              : undefined;
          },
          60_000,
          `every remote track at ${label(spec)}`,
        );
        snaps.set(spec, s);
        expect(s.local.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
        expect(s.e2eeErrors).toEqual([]);
        expect(s.mode).toBe(modeOf(spec));
      }
      const senderIndices = goodSpecs.map((s) => snaps.get(s)!.senderIndex);
      expect(new Set(senderIndices).size).toBe(goodSpecs.length);
      // Each page names every member that sends media, however the joins interleaved.
      const everyone = goodSpecs.map((s) => s.name).sort();
      for (const spec of goodSpecs) {
        const names = await pageOf(spec).evaluate(() =>
          [...document.querySelectorAll('.tile .name')].map((e) => e.textContent ?? '').sort(),
        );
        expect(names).toEqual(everyone);
      }
    }, 90_000);

    test('every member page is in the same epoch as the others, with the same security code', async () => {
      const epoch = observer.current!;
      const pagesAt = await until(
        async () => {
          const all = await Promise.all(goodSpecs.map((s) => snapshot(pageOf(s))));
          const e = observer.current!;
          return all.every((x) => x.epoch === String(e.epoch)) ? all : undefined;
        },
        30_000,
        `every page at the observer's epoch (${epoch.epoch})`,
      );
      const now = observer.current!;
      for (const s of pagesAt) {
        expect(s.securityCode).toBe(now.securityCode);
        expect(s.roster).toBe(now.roster.length);
        // libsodium's WebAssembly loaded under the page's CSP (not the noble fallback)
        expect(s.mlsCrypto).toBe('libsodium');
      }
      // The senders' indices are their MLS leaves, as the verified roster says.
      for (const spec of goodSpecs) {
        const leaf = now.roster.find((r) => r.displayName === spec.name)?.leafIndex;
        expect(snaps.get(spec)!.senderIndex).toBe(leaf);
      }
      console.log(
        `[e2e] every page at epoch ${now.epoch}, security code ${now.securityCode}, ${now.roster.length} members`,
      );
    }, 60_000);

    test("every page decodes every other member page's video, which keeps coming and is not black", async () => {
      const goodIds = new Set(goodSpecs.map(idOf));
      for (const spec of goodSpecs) {
        const page = pageOf(spec);
        const me = idOf(spec);
        const videos = (s: Snapshot) =>
          s.remote.filter(
            (t) => t.kind === 'video' && goodIds.has(t.participantId) && t.participantId !== me,
          );
        // Each has started decoding (a joiner waits for a keyframe under keys it holds)...
        const before = await until(
          async () => {
            const v = videos(await snapshot(page));
            return v.length === goodSpecs.length - 1 && v.every((t) => t.framesDecoded > 0)
              ? v
              : undefined;
          },
          30_000,
          `every video to start decoding at ${label(spec)}`,
        );
        // ...and framesDecoded keeps increasing for each of them.
        await until(
          async () => {
            const now = videos(await snapshot(page));
            return now.every((t) => {
              const b = before.find((x) => x.producerId === t.producerId)!;
              return b.framesDecoded > 0 && t.framesDecoded > b.framesDecoded + 10;
            });
          },
          30_000,
          `frames to keep being decoded at ${label(spec)}`,
        );
        // The picture is not black: bright enough, and a picture rather than a grey field. Chromium's
        // fake camera turns a pie on a green field (luma varies across the frame: sample a few frames
        // and keep the most varied); Firefox's is one saturated colour whose hue cycles.
        const wanted = new Set(before.map((t) => t.producerId));
        const best = new Map<string, Picture>();
        const shows = (x: Picture) =>
          x.width > 0 && x.mean > 20 && (x.variance > 100 || x.saturation > 60);
        await until(
          async () => {
            for (const x of await pictures(page)) {
              if (!wanted.has(x.producerId)) continue;
              const b = best.get(x.producerId);
              if (
                !b ||
                (shows(x) && !shows(b)) ||
                (shows(x) === shows(b) && x.variance > b.variance)
              )
                best.set(x.producerId, x);
            }
            const p = [...best.values()];
            if (p.length === wanted.size && p.every(shows)) return p;
            throw new Error(`best so far ${JSON.stringify(Object.fromEntries(best))}`);
          },
          30_000,
          `non-black video at ${label(spec)}`,
        );
        // Each of those videos was decrypted here, with no failure: the key is right whichever
        // engine encrypted it.
        const after = videos(await snapshot(page));
        for (const t of after) {
          expect(t.counters.decrypted).toBeGreaterThan(0);
          expect(t.counters.decryptFailed).toBe(0);
        }
        console.log(
          `[e2e] ${label(spec)} sees: ${after
            .map((t) => {
              const x = best.get(t.producerId)!;
              return (
                `${specOfId(t.participantId)?.name} (${specOfId(t.participantId)?.engine}) ` +
                `${x.width}px mean=${Math.round(x.mean)} var=${Math.round(x.variance)} ` +
                `sat=${Math.round(x.saturation)}, ` +
                `${t.counters.decrypted} frames decrypted, ${t.counters.decryptFailed} failed`
              );
            })
            .join('; ')}`,
        );
      }
    }, 180_000);

    test('every page hears every other member page (decoded audio, not concealment)', async () => {
      const goodIds = new Set(goodSpecs.map(idOf));
      for (const spec of goodSpecs) {
        const page = pageOf(spec);
        const me = idOf(spec);
        const audio = (s: Snapshot) =>
          s.remote.filter(
            (t) => t.kind === 'audio' && goodIds.has(t.participantId) && t.participantId !== me,
          );
        const before = audio(await snapshot(page));
        expect(before).toHaveLength(goodSpecs.length - 1);
        await until(
          async () => {
            const now = audio(await snapshot(page));
            return now.every((t) => {
              const b = before.find((x) => x.producerId === t.producerId)!;
              const samples = t.totalSamplesReceived - b.totalSamplesReceived;
              const concealed = t.concealedSamples - b.concealedSamples;
              return (
                samples > 48_000 &&
                concealed < samples / 2 &&
                t.totalAudioEnergy > b.totalAudioEnergy &&
                t.counters.decrypted > 0 &&
                t.counters.decryptFailed === 0
              );
            });
          },
          30_000,
          `audio to be decoded at ${label(spec)}`,
        );
      }
    }, 180_000);

    test("a page that is not in the meeting's MLS group gets no media", async () => {
      // Its link is another meeting's: its key worker is a member there, and the
      // server refuses it media here.
      const s = await until(
        async () => {
          const x = await snapshot(pageOf(strangerSpec));
          return x.state === 'failed' ? x : undefined;
        },
        30_000,
        'the stranger to be refused',
      );
      expect(s.error).toMatch(/not-member|MLS group/);
      expect(server.meetings.get(meetingId)!.size).toBe(goodSpecs.length);
      for (const spec of goodSpecs) {
        const names = await pageOf(spec).evaluate(() =>
          [...document.querySelectorAll('.tile .name')].map((e) => e.textContent ?? ''),
        );
        expect(names).not.toContain(strangerSpec.name);
      }
      console.log(`[e2e] ${label(strangerSpec)} was refused: ${s.error}`);
    }, 60_000);

    test("the pages' main threads never receive key bytes (only epochs and security codes)", async () => {
      const keys = [...epochKeys.values()].map((e) => hex(e.sframeBaseKey));
      expect(keys.length).toBeGreaterThan(1);
      for (const spec of goodSpecs) {
        const seen = await pageOf(spec).evaluate(
          () => (window as unknown as { __canopySeen: MainThreadSeen }).__canopySeen,
        );
        // The recorder saw the key worker's messages (epochs, relayed signaling)...
        expect(seen.messages).toBeGreaterThan(10);
        expect(seen.strings).toContain('epoch');
        // ...and no key among them, in bytes or as hex text; no socket on this thread.
        for (const k of keys) {
          expect(seen.binaries.some((b) => b.includes(k))).toBe(false);
          expect(seen.strings.some((t) => t.toLowerCase().includes(k))).toBe(false);
        }
        expect(seen.sockets).toBe(0);
        console.log(
          `[e2e] ${label(spec)}: main thread got ${seen.messages} messages (${seen.binaries.length} binary values), no key`,
        );
      }
    }, 60_000);

    test("the SFU relays only SFrame: RTP payloads carry the codec's clear bytes, then the sender's KID in the current epoch", async () => {
      // One sender per engine and transform mode.
      const senders = goodSpecs.filter(
        (s, i) =>
          goodSpecs.findIndex((o) => o.engine === s.engine && modeOf(o) === modeOf(s)) === i,
      );
      for (const spec of senders) {
        const sender = await snapshot(pageOf(spec));
        const room = server.meetings.get(meetingId)!.room;
        // The epoch every page is in (the previous test waited for it): its key, from a member.
        const epoch = observer.current!;
        const receiver = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        receiver.addEpoch(epoch.epoch, epoch.sframeBaseKey);
        const wrongKey = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        wrongKey.addEpoch(
          epoch.epoch,
          epoch.sframeBaseKey.map((b) => b ^ 1),
        );

        const taps: RtpTap[] = [];
        try {
          // Video: whole frames, reassembled from the packets the SFU forwards.
          const video = sender.local.find((t) => t.kind === 'video')!;
          expect(video.context).toBe(FIRST_CONTEXT.video);
          const videoTap = await room.tap(video.producerId);
          taps.push(videoTap);
          const vp8 = videoTap.rtpParameters.codecs.find(
            (c) => c.mimeType.toLowerCase() === 'video/vp8',
          )!;
          const assembler = new Vp8FrameAssembler();
          const frames: Uint8Array[] = [];
          videoTap.on('rtp', (packet) => {
            const rtp = parseRtp(new Uint8Array(packet));
            if (rtp?.payloadType !== vp8.payloadType) return;
            const frame = assembler.push(rtp);
            if (frame) frames.push(frame);
          });
          // Audio: one Opus frame per packet.
          const audio = sender.local.find((t) => t.kind === 'audio')!;
          const audioTap = await room.tap(audio.producerId);
          taps.push(audioTap);
          const opus = audioTap.rtpParameters.codecs.find(
            (c) => c.mimeType.toLowerCase() === 'audio/opus',
          )!;
          const opusFrames: Uint8Array[] = [];
          audioTap.on('rtp', (packet) => {
            const rtp = parseRtp(new Uint8Array(packet));
            if (rtp?.payloadType === opus.payloadType) opusFrames.push(rtp.payload.slice());
          });
          await until(
            async () =>
              frames.some(isVp8Keyframe) && frames.length >= 20 && opusFrames.length >= 50,
            30_000,
            `a keyframe, 20 video frames and 50 audio packets at the tap on ${label(spec)}`,
          );

          const videoKid = expectedKid(sender.senderIndex, video.context, epoch.epoch);
          let lastCtr = -1n;
          let keyframes = 0;
          for (const frame of frames) {
            const keyframe = isVp8Keyframe(frame);
            const clear = keyframe ? 10 : 3;
            if (keyframe) {
              keyframes++;
              // The VP8 keyframe start code stays in clear for the SFU (RFC 6386 §9.1)...
              expect([...frame.subarray(3, 6)]).toEqual([0x9d, 0x01, 0x2a]);
            }
            // ...and right after the clear bytes comes an SFrame header with the sender's KID.
            const header = decodeHeader(frame.subarray(clear));
            expect(header.kid).toBe(videoKid);
            expect(header.ctr).toBeGreaterThan(lastCtr);
            lastCtr = header.ctr;
            // It is ciphertext under the meeting key: it decrypts (authenticated) with it, not without it.
            const plain = receiver.decryptFrame(frame, clear);
            expect(plain.length).toBe(frame.length - header.length - 16);
            expect([...plain.subarray(0, clear)]).toEqual([...frame.subarray(0, clear)]);
            // The payload is not the frame: what follows the header differs from the plaintext.
            const n = Math.min(16, plain.length - clear);
            if (n >= 8) {
              const sent = frame.subarray(clear + header.length, clear + header.length + n);
              expect(Buffer.compare(sent, plain.subarray(clear, clear + n))).not.toBe(0);
            }
            expect(() => wrongKey.decryptFrame(frame, clear)).toThrow(SFrameError);
          }
          expect(keyframes).toBeGreaterThan(0);

          const audioKid = expectedKid(sender.senderIndex, audio.context, epoch.epoch);
          for (const frame of opusFrames) {
            const header = decodeHeader(frame.subarray(1)); // Opus: the TOC byte is clear
            expect(header.kid).toBe(audioKid);
            expect(receiver.decryptFrame(frame, 1).length).toBe(frame.length - header.length - 16);
          }
          console.log(
            `[e2e] SFU tap on ${label(spec)}: ${frames.length} video frames (${keyframes} keyframes, ` +
              `KID ${videoKid}), ${opusFrames.length} audio frames (KID ${audioKid}), all SFrame`,
          );
        } finally {
          for (const t of taps) t.close();
        }
      }
    }, 120_000);

    test('figures: time to first frame, frame counts, SFrame counters per page and per engine', async () => {
      const all = new Map(
        await Promise.all(goodSpecs.map(async (s) => [s, await snapshot(pageOf(s))] as const)),
      );
      for (const [spec, s] of all) {
        const decoded = s.remote.filter((t) => t.kind === 'video').map((t) => t.framesDecoded);
        console.log(
          `[e2e] ${label(spec)}: join → first remote frame ${s.joinToFirstFrameMs ?? '-'} ms; ` +
            `track arrival → first frame ${Object.values(s.firstFrameMs).join(', ') || '-'} ms; ` +
            `video frames decoded per sender ${decoded.join(', ')}; SFrame ${JSON.stringify(s.counters)}`,
        );
      }
      // Frames (audio and video) by sending engine → receiving engine.
      const flows = new Map<string, { decrypted: number; failed: number }>();
      const encrypted = new Map<Engine, number>();
      for (const spec of goodSpecs) {
        const s = all.get(spec)!;
        encrypted.set(spec.engine, (encrypted.get(spec.engine) ?? 0) + s.counters.encrypted);
        for (const t of s.remote) {
          const from = specOfId(t.participantId);
          if (!from) continue;
          const key = `${from.engine} → ${spec.engine}`;
          const f = flows.get(key) ?? { decrypted: 0, failed: 0 };
          f.decrypted += t.counters.decrypted;
          f.failed += t.counters.decryptFailed;
          flows.set(key, f);
        }
      }
      console.log(
        `[e2e] SFrame frames encrypted by engine: ${[...encrypted].map(([e, n]) => `${e} ${n}`).join(', ')}; ` +
          `decrypted (failed) by sender → receiver: ${[...flows]
            .map(([k, f]) => `${k} ${f.decrypted} (${f.failed})`)
            .join(', ')}`,
      );
      for (const f of flows.values()) expect(f.failed).toBe(0);
      for (const s of all.values()) expect(s.counters.wrongSender).toBe(0);
    });

    test('no page reported an uncaught error (nor a CSP violation)', () => {
      const errors = specs.flatMap((s) =>
        pageOf(s)
          .console.filter((e) => e.type === 'pageerror')
          .map((e) => `${label(s)}: ${e.text}`),
      );
      expect(errors).toEqual([]);
    });
  });
}
