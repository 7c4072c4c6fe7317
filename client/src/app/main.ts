/**
 * The meeting page: /m/<meetingId>?name=<display name> joins that meeting,
 * sends camera and microphone, and shows everyone's video.
 *
 * Media keys: the FIXED TEST KEY (see e2ee/media-keys.ts), which the page
 * announces. For tests, `?key=<hex>` replaces it and `?transform=` forces
 * `script-transform` or `encoded-streams`.
 *
 * `window.canopy` exposes the meeting and a few timings for diagnostics and
 * the browser tests.
 */

// First: zod must be jitless before any schema is built (see zod-jitless.ts).
import './zod-jitless.js';
import { FIXED_TEST_KEY, hexToBytes, type MediaKey } from '../e2ee/media-keys.js';
import type { TransformMode } from '../e2ee/transforms.js';
import { CanopyMeeting, type RemoteTrack } from '../meeting.js';

interface PageState {
  state: 'starting' | 'joined' | 'failed' | 'closed';
  error?: string;
  meeting?: CanopyMeeting;
  /** performance.now() when joining started. */
  joinStartedAt: number;
  /** Milliseconds from a remote video track's arrival to its first rendered frame, by producer id. */
  firstFrameMs: Record<string, number>;
  /** Milliseconds from starting to join to the first rendered remote frame. */
  joinToFirstFrameMs?: number;
}

declare global {
  interface Window {
    canopy: PageState;
  }
}

const page: PageState = { state: 'starting', joinStartedAt: performance.now(), firstFrameMs: {} };
window.canopy = page;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(text: string): void {
  $('status').textContent = text;
}

function tile(id: string, name: string, local = false): HTMLElement {
  let el = document.getElementById(`tile-${id}`);
  if (!el) {
    el = document.createElement('div');
    el.id = `tile-${id}`;
    el.className = local ? 'tile local' : 'tile';
    el.dataset.participantId = id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // audio plays through separate <audio> elements
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = name;
    el.append(video, label);
    $('tiles').append(el);
  }
  return el;
}

function showRemote(meeting: CanopyMeeting, remote: RemoteTrack): void {
  const name =
    meeting.participants.find((p) => p.participantId === remote.participantId)?.displayName ?? '?';
  const el = tile(remote.participantId, name);
  if (remote.kind === 'video') {
    const video = el.querySelector('video')!;
    video.dataset.producerId = remote.producerId;
    video.srcObject = new MediaStream([remote.track]);
    const arrived = performance.now();
    video.requestVideoFrameCallback(() => {
      const now = performance.now();
      page.firstFrameMs[remote.producerId] ??= Math.round(now - arrived);
      page.joinToFirstFrameMs ??= Math.round(now - page.joinStartedAt);
    });
  } else {
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.dataset.producerId = remote.producerId;
    audio.srcObject = new MediaStream([remote.track]);
    el.append(audio);
    audio.play().catch(() => {
      const button = $('enable-audio');
      button.hidden = false;
      button.onclick = () => {
        for (const a of document.querySelectorAll('audio')) void a.play();
        button.hidden = true;
      };
    });
  }
}

function dropRemote(remote: RemoteTrack): void {
  const el = document.getElementById(`tile-${remote.participantId}`);
  if (!el) return;
  if (remote.kind === 'video') {
    const video = el.querySelector('video');
    if (video?.dataset.producerId === remote.producerId) video.srcObject = null;
  } else {
    el.querySelector(`audio[data-producer-id="${CSS.escape(remote.producerId)}"]`)?.remove();
  }
}

async function start(
  meetingId: string,
  displayName: string,
  key: MediaKey,
  mode?: TransformMode,
): Promise<void> {
  $('meeting-name').textContent = meetingId;
  setStatus('asking for camera and microphone…');
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } },
  });
  setStatus('joining…');
  page.joinStartedAt = performance.now();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const meeting = await CanopyMeeting.join({
    signalingUrl: `${scheme}://${location.host}/ws`,
    meetingId,
    displayName,
    key,
    workerUrl: new URL('./e2ee-worker.js', import.meta.url),
    ...(mode && { transformMode: mode }),
  });
  page.meeting = meeting;
  const local = tile(meeting.participantId, displayName, true).querySelector('video')!;
  local.srcObject = new MediaStream(stream.getVideoTracks());
  for (const remote of meeting.remoteTracks) showRemote(meeting, remote);
  meeting.on('track', (remote) => showRemote(meeting, remote));
  meeting.on('trackended', dropRemote);
  meeting.on('participantleft', (id) => document.getElementById(`tile-${id}`)?.remove());
  meeting.on('closed', (reason) => {
    page.state = 'closed';
    setStatus(reason);
  });
  for (const track of stream.getTracks()) await meeting.publish(track);
  page.state = 'joined';
  setStatus(`in the meeting (sender index ${meeting.senderIndex})`);
  setInterval(() => {
    const c = meeting.frameCounters;
    $('e2ee').textContent =
      `SFrame (${meeting.transformMode}): ${c.encrypted} frames encrypted, ${c.decrypted} decrypted, ` +
      `${c.decryptFailed} failed to decrypt`;
  }, 1000);
  window.addEventListener('pagehide', () => void meeting.leave());
}

function main(): void {
  const match = /^\/m\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  const params = new URLSearchParams(location.search);
  if (!match) {
    const form = $<HTMLFormElement>('start');
    form.hidden = false;
    setStatus('');
    form.onsubmit = (event) => {
      event.preventDefault();
      const data = new FormData(form);
      location.href = `/m/${encodeURIComponent(String(data.get('meeting')))}?name=${encodeURIComponent(String(data.get('name')))}`;
    };
    return;
  }
  const name = (params.get('name') ?? '').trim() || `Guest ${Math.floor(Math.random() * 1000)}`;
  let key = FIXED_TEST_KEY;
  const keyHex = params.get('key');
  if (keyHex) {
    key = { epoch: 0n, baseKey: hexToBytes(keyHex) };
    $('test-key-warning').append(' This page uses a key from its URL (testing).');
  }
  const mode = params.get('transform');
  start(
    match[1]!,
    name.slice(0, 64),
    key,
    mode === 'encoded-streams' || mode === 'script-transform' ? mode : undefined,
  ).catch((e: unknown) => {
    page.state = 'failed';
    page.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    setStatus(`could not join: ${page.error}`);
    console.error(e);
  });
}

main();
