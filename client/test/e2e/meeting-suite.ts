// The media e2e suite, for any mix of browser engines: pages join one meeting
// on the real server and mediasoup worker; those with the fixed test key must
// decode (decrypt) each other's video and audio, whichever engine encrypted it;
// one page with another key must decode nothing; a server-side consumer checks
// that the SFU relays only SFrame. media.test.ts runs it in Chromium,
// media-firefox.test.ts with Chromium and Firefox in one meeting.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHeader, SFrameError, SFrameReceiver } from '@canopy/shared/sframe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG } from '../../../server/src/config.js';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup, type RtpTap } from '../../../server/src/sfu/index.js';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  mediasoupTestModule,
} from '../../../shared/test/support/tools.js';
import { buildClient } from '../../build.mjs';
import {
  expectedKid,
  FIRST_CONTEXT,
  FIXED_TEST_KEY,
  KID_LAYOUT,
  SFRAME_SUITE,
} from '../../src/e2ee/media-keys.js';
import { type Engine, launchBrowser, type TestBrowser, type TestPage } from './browsers.js';
import { isVp8Keyframe, parseRtp, Vp8FrameAssembler } from './rtp.js';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** One participant's page. */
export interface PageSpec {
  /** Display name, unique in the meeting. */
  name: string;
  engine: Engine;
  /** Force the insertable-streams fallback (`?transform=encoded-streams`, Chromium only). */
  encodedStreams?: boolean;
  /** Hex of a key other than the fixed test key: this page can read nobody and nobody can read it. */
  otherKey?: string;
}

export interface MediaSuiteOptions {
  title: string;
  meeting: string;
  pages: PageSpec[];
  /** Address the SFU's transports listen on (default 127.0.0.1; in a network namespace, its address). */
  listenIp?: string;
}

interface Counters {
  encrypted: number;
  decrypted: number;
  decryptFailed: number;
  encryptFailed: number;
  noKey: number;
}

interface Snapshot {
  state: string;
  error?: string;
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
async function snapshot(page: TestPage): Promise<Snapshot> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's debug handle (client/src/app/main.ts)
    const c = (window as any).canopy;
    const m = c.meeting;
    if (!m) return { state: c.state, error: c.error } as never;
    const stats: { producerId: string }[] = await m.getStats();
    return {
      state: c.state,
      error: c.error,
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

export async function until<T>(
  probe: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
}

/** Registers the suite (call inside a test file, after checking the tools with `withTools`). */
export function mediaSuite(options: MediaSuiteOptions): void {
  const { title, meeting, pages: specs } = options;
  const strangers = specs.filter((s) => s.otherKey);
  if (strangers.length !== 1 || specs.length - strangers.length < 2)
    throw new Error(
      'mediaSuite wants one page with another key and at least two with the test key',
    );
  const strangerSpec = strangers[0]!;
  const goodSpecs = specs.filter((s) => !s.otherKey);
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
      const publicDir = mkdtempSync(join(tmpdir(), 'canopy-public-'));
      dirs.push(publicDir);
      mkdirSync(join(publicDir, 'build'));
      for (const f of ['index.html', 'app.css'])
        copyFileSync(join(clientDir, 'public', f), join(publicDir, f));
      await buildClient({ outdir: join(publicDir, 'build') });

      const mediasoup = await loadMediasoup(mediasoupTestModule().path!);
      server = await startServer(
        {
          ...DEFAULT_CONFIG,
          port: 0,
          workers: 1,
          publicDir,
          ...(options.listenIp && { listenIp: options.listenIp }),
        },
        mediasoup.api,
        { log: (m, e) => console.error(`[server] ${m}`, e ?? '') },
      );

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
        const query = new URLSearchParams({ name: spec.name });
        if (spec.encodedStreams) query.set('transform', 'encoded-streams');
        if (spec.otherKey) query.set('key', spec.otherKey);
        await page.goto(`${server.url}/m/${meeting}?${query}`);
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
      for (const b of browsers) await b.close().catch(() => {});
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test("every page joins, sends audio and video, and receives every other page's tracks", async () => {
      for (const spec of specs) {
        const s = await until(
          async () => {
            const s = await snapshot(pageOf(spec));
            if (s.state === 'failed') throw new Error(s.error);
            return s.state === 'joined' && s.remote.length === 2 * (specs.length - 1)
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
      const senderIndices = specs.map((s) => snaps.get(s)!.senderIndex);
      expect(new Set(senderIndices).size).toBe(specs.length);
      // Each page names everyone, however the joins interleaved.
      const everyone = specs.map((s) => s.name).sort();
      for (const spec of specs) {
        const names = await pageOf(spec).evaluate(() =>
          [...document.querySelectorAll('.tile .name')].map((e) => e.textContent ?? '').sort(),
        );
        expect(names).toEqual(everyone);
      }
    }, 90_000);

    test("every page decodes every other same-key page's video, which keeps coming and is not black", async () => {
      const goodIds = new Set(goodSpecs.map(idOf));
      for (const spec of goodSpecs) {
        const page = pageOf(spec);
        const me = idOf(spec);
        const videos = (s: Snapshot) =>
          s.remote.filter(
            (t) => t.kind === 'video' && goodIds.has(t.participantId) && t.participantId !== me,
          );
        const before = videos(await snapshot(page));
        expect(before).toHaveLength(goodSpecs.length - 1);
        // framesDecoded keeps increasing for each of them.
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

    test('every page hears every other same-key page (decoded audio, not concealment)', async () => {
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

    test('a page with a different key decodes nothing, and its decryption failures climb', async () => {
      const stranger = pageOf(strangerSpec);
      const s0 = await snapshot(stranger);
      await until(
        async () => {
          const s = await snapshot(stranger);
          return s.counters.decryptFailed > s0.counters.decryptFailed + 50 &&
            s.remote.every((t) => t.packetsReceived > 0)
            ? s
            : undefined;
        },
        30_000,
        'failures to climb',
      );
      const s1 = await snapshot(stranger);
      expect(s1.counters.decrypted).toBe(0);
      for (const t of s1.remote.filter((x) => x.kind === 'video')) expect(t.framesDecoded).toBe(0);
      for (const t of s1.remote) expect(t.counters.decryptFailed).toBeGreaterThan(0);
      // ...and nobody with the test key can read what the stranger sends.
      const strangerId = s1.participantId;
      for (const spec of goodSpecs) {
        const fromStranger = (await snapshot(pageOf(spec))).remote.filter(
          (t) => t.participantId === strangerId,
        );
        expect(fromStranger).toHaveLength(2);
        for (const t of fromStranger) {
          expect(t.counters.decrypted).toBe(0);
          expect(t.counters.decryptFailed).toBeGreaterThan(0);
          if (t.kind === 'video') expect(t.framesDecoded).toBe(0);
        }
      }
      console.log(
        `[e2e] ${label(strangerSpec)}: ${s1.counters.decryptFailed} frames failed to decrypt, ${s1.counters.decrypted} decrypted`,
      );
    }, 60_000);

    test("the SFU relays only SFrame: RTP payloads carry the codec's clear bytes, then the sender's KID", async () => {
      // One sender per engine and transform mode.
      const senders = goodSpecs.filter(
        (s, i) =>
          goodSpecs.findIndex((o) => o.engine === s.engine && modeOf(o) === modeOf(s)) === i,
      );
      for (const spec of senders) {
        const sender = await snapshot(pageOf(spec));
        const room = server.meetings.get(meeting)!.room;
        const receiver = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        receiver.addEpoch(FIXED_TEST_KEY.epoch, FIXED_TEST_KEY.baseKey);
        const wrongKey = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        wrongKey.addEpoch(0n, hexBytes(strangerSpec.otherKey!));

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

          const videoKid = expectedKid(sender.senderIndex, video.context, FIXED_TEST_KEY.epoch);
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

          const audioKid = expectedKid(sender.senderIndex, audio.context, FIXED_TEST_KEY.epoch);
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
        await Promise.all(specs.map(async (s) => [s, await snapshot(pageOf(s))] as const)),
      );
      for (const [spec, s] of all) {
        const decoded = s.remote.filter((t) => t.kind === 'video').map((t) => t.framesDecoded);
        console.log(
          `[e2e] ${label(spec)}: join → first remote frame ${s.joinToFirstFrameMs ?? '-'} ms; ` +
            `track arrival → first frame ${Object.values(s.firstFrameMs).join(', ') || '-'} ms; ` +
            `video frames decoded per sender ${decoded.join(', ')}; SFrame ${JSON.stringify(s.counters)}`,
        );
      }
      // Frames (audio and video) by sending engine → receiving engine, test-key pages only.
      const flows = new Map<string, { decrypted: number; failed: number }>();
      const encrypted = new Map<Engine, number>();
      for (const spec of goodSpecs) {
        const s = all.get(spec)!;
        encrypted.set(spec.engine, (encrypted.get(spec.engine) ?? 0) + s.counters.encrypted);
        for (const t of s.remote) {
          const from = specOfId(t.participantId);
          if (!from || from.otherKey) continue;
          const key = `${from.engine} → ${spec.engine}`;
          const f = flows.get(key) ?? { decrypted: 0, failed: 0 };
          f.decrypted += t.counters.decrypted;
          f.failed += t.counters.decryptFailed;
          flows.set(key, f);
        }
      }
      const strangerFailed = all.get(strangerSpec)!.counters.decryptFailed;
      console.log(
        `[e2e] SFrame frames encrypted by engine: ${[...encrypted].map(([e, n]) => `${e} ${n}`).join(', ')}; ` +
          `decrypted (failed) by sender → receiver: ${[...flows]
            .map(([k, f]) => `${k} ${f.decrypted} (${f.failed})`)
            .join(', ')}; the stranger failed to decrypt ${strangerFailed}`,
      );
      for (const f of flows.values()) expect(f.failed).toBe(0);
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
