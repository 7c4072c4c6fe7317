/**
 * The meeting page: /m/<meetingId>?t=<token>&name=<display name>#as=<AS key>
 * (a meeting link) joins that meeting's MLS group in the key worker, then its
 * media on the same connection, sends camera and microphone, and shows
 * everyone's video. Media keys are each MLS epoch's, handed by the key worker
 * to the SFrame transform worker; this thread sees the epoch number and the
 * security code, never a key. For tests, `?transform=` forces
 * `script-transform` or `encoded-streams`.
 *
 * `window.canopy` exposes the meeting, the epoch and a few timings for
 * diagnostics and the browser tests.
 */

// First: zod must be jitless before any schema is built (see zod-jitless.ts).
import './zod-jitless.js';
import type { TransformMode } from '../e2ee/transforms.js';
import { type EpochView, KeyWorker } from '../keys/keys.js';
import { CanopyMeeting, type RemoteTrack } from '../meeting.js';
import { SignalingClient } from '../signaling.js';

interface PageState {
  state: 'starting' | 'joined' | 'failed' | 'closed';
  error?: string;
  meeting?: CanopyMeeting;
  /** The MLS epoch in force here, its security code and verified roster (no key). */
  epoch?: EpochView;
  /** The last epoch the DS switched senders to. */
  switchedEpoch?: bigint;
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

function showEpoch(view: EpochView): void {
  page.epoch = view;
  $('epoch').textContent = `epoch ${view.epoch}`;
  $('security-code').textContent = view.securityCode;
}

async function start(
  meetingId: string,
  token: string,
  asPublicKey: Uint8Array,
  displayName: string,
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
  // Keys travel key worker → transform worker on this channel; this thread keeps neither end.
  const channel = new MessageChannel();
  const keys = new KeyWorker(new URL('./key-worker.js', import.meta.url));
  keys.on('epoch', showEpoch);
  keys.on('switch', (epoch) => {
    page.switchedEpoch = epoch;
  });
  keys.on('lobby', () => setStatus('waiting for a host to let you in…'));
  keys.on('removed', (reason) => setStatus(`you are no longer in the meeting (${reason})`));
  keys.on('ended', () => setStatus('the meeting has ended'));
  try {
    await keys.start({
      url: `${scheme}://${location.host}/ws`,
      token,
      displayName,
      asPublicKey,
      mediaKeys: channel.port1,
    });
  } catch (e) {
    keys.close();
    throw e;
  }
  let meeting: CanopyMeeting;
  try {
    meeting = await CanopyMeeting.join({
      signaling: SignalingClient.over(keys.signaling()),
      meetingId,
      displayName,
      mediaKeys: channel.port2,
      workerUrl: new URL('./e2ee-worker.js', import.meta.url),
      ...(mode && { transformMode: mode }),
    });
  } catch (e) {
    keys.close();
    throw e;
  }
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
    keys.close();
  });
  for (const track of stream.getTracks()) await meeting.publish(track);
  page.state = 'joined';
  setStatus(`in the meeting (leaf ${meeting.senderIndex})`);
  setInterval(() => {
    const c = meeting.frameCounters;
    $('e2ee').textContent =
      `SFrame (${meeting.transformMode}): ${c.encrypted} frames encrypted, ${c.decrypted} decrypted, ` +
      `${c.decryptFailed} failed to decrypt`;
  }, 1000);
  window.addEventListener('pagehide', () => {
    keys.leave();
    void meeting.leave();
  });
}

/** Creates a meeting (POST /api/meetings) and opens it as its host. */
async function createMeeting(name: string): Promise<void> {
  setStatus('creating a meeting…');
  const res = await fetch('/api/meetings', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json()) as { hostLink?: string; error?: { message: string } };
  if (!res.ok || !body.hostLink) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  const link = new URL(body.hostLink);
  link.searchParams.set('name', name);
  location.href = link.href;
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
      const name = String(new FormData(form).get('name') ?? '');
      void createMeeting(name).catch((e: unknown) => {
        setStatus(`could not create a meeting: ${e instanceof Error ? e.message : String(e)}`);
      });
    };
    return;
  }
  const name = (params.get('name') ?? '').trim() || `Guest ${Math.floor(Math.random() * 1000)}`;
  const mode = params.get('transform');
  const token = params.get('t');
  const asPublicKey = base64url(new URLSearchParams(location.hash.slice(1)).get('as'));
  if (!token || !asPublicKey) {
    page.state = 'failed';
    page.error = 'no-link';
    setStatus('This page needs a meeting link: ask the host for one.');
    return;
  }
  start(
    match[1]!,
    token,
    asPublicKey,
    name.slice(0, 64),
    mode === 'encoded-streams' || mode === 'script-transform' ? mode : undefined,
  ).catch((e: unknown) => {
    page.state = 'failed';
    page.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    setStatus(`could not join: ${page.error}`);
    console.error(e);
  });
}

/** Decodes base64url (the AS key in the link's fragment); undefined if it is not. */
function base64url(text: string | null): Uint8Array | undefined {
  if (!text || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

main();
