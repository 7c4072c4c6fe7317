/**
 * The meeting app. `/` is the landing page (start a meeting, copy its invite
 * link); a meeting link `/m/<meetingId>?t=<token>[&name=<name>]#as=<AS key>`
 * asks for a name (joins at once when `?name=` gives one), waits in the lobby
 * while a host decides, then shows the meeting: the video grid, the controls,
 * the people and encryption panels and, for hosts, the lobby and host actions.
 *
 * Keys: the key worker (keys/) is this page's MLS member and owns the one
 * connection; it hands each epoch's media keys to the SFrame transform worker
 * over a port this thread gives away. This thread sees epoch numbers, the
 * verified roster, the security code and the lobby list, never a key.
 *
 * `window.canopy` exposes the meeting, the epoch, the screen and a few timings
 * for diagnostics, the browser tests and the load runner's media probes
 * (wall-clock admission and first frame; `meeting.decryptTimes`). For tests, `?transform=` forces
 * `script-transform` or `encoded-streams`.
 */

// First: zod must be jitless before any schema is built (see zod-jitless.ts).
import './zod-jitless.js';
import { detectTransformMode } from '../e2ee/transforms.js';
import { type EpochView, KeyWorker, KeyWorkerStartError, type LobbyEntry } from '../keys/keys.js';
import type { CanopyMeeting } from '../meeting.js';
import { $, type ScreenId, showScreen } from './dom.js';
import { FailureWindow } from './health.js';
import { setupLanding } from './landing.js';
import { cleanName, type MeetingLink, parseLocation } from './link.js';
import { MeetingView } from './meeting-view.js';
import {
  describeOutcome,
  type Outcome,
  outcomeOfRemoval,
  outcomeOfServerCode,
} from './outcomes.js';
import { joinMedia } from './session.js';

interface PageState {
  /** `reconnecting`: in the meeting, its media down until the connection (or membership) is back. */
  state: 'starting' | 'joined' | 'reconnecting' | 'failed' | 'closed';
  /** The screen on show. */
  screen: ScreenId;
  /** Why the page left (or never entered) the meeting. */
  outcome?: Outcome;
  error?: string;
  meeting?: CanopyMeeting;
  /** This participant's role from its verified credential. */
  role?: string;
  /** Which library runs MLS's X25519/Ed25519 in the key worker (libsodium unless it failed to load). */
  mlsCrypto?: 'libsodium' | 'noble';
  userId?: string;
  /** The MLS epoch in force here, its security code and verified roster (no key). */
  epoch?: EpochView;
  /** The last epoch the DS switched senders to. */
  switchedEpoch?: bigint;
  /** Hosts: who waits in the lobby. */
  lobby: LobbyEntry[];
  /** The encryption panel's warnings now. */
  warnings: string[];
  /** performance.now() when joining started. */
  joinStartedAt: number;
  /** Milliseconds from a remote video track's arrival to its first rendered frame, by producer id. */
  firstFrameMs: Record<string, number>;
  /** Milliseconds from starting to join to the first rendered remote frame. */
  joinToFirstFrameMs?: number;
  /** Date.now() when this page's member applied its first epoch (admitted: Welcome processed). */
  admittedAt?: number;
  /** Date.now() when the first remote video frame was shown (so decrypted and decoded). */
  firstFrameAt?: number;
  /** How many times the key worker started reconnecting. */
  reconnects: number;
  /** Why the connection was lost each time (the heartbeat, or how it closed). */
  losses: string[];
  /** The "reconnecting" banner's text while it shows. */
  banner?: string | undefined;
}

declare global {
  interface Window {
    canopy: PageState;
  }
}

const page: PageState = {
  state: 'starting',
  screen: 'waiting',
  joinStartedAt: performance.now(),
  firstFrameMs: {},
  lobby: [],
  warnings: [],
  reconnects: 0,
  losses: [],
};
window.canopy = page;

function show(screen: ScreenId): void {
  page.screen = screen;
  showScreen(screen);
}

/** Ends the page's meeting (if any) on an error or closing screen; the first outcome wins. */
function finish(outcome: Outcome, detail?: string): void {
  if (page.outcome) return;
  page.outcome = outcome;
  page.state = page.state === 'joined' || page.state === 'reconnecting' ? 'closed' : 'failed';
  if (detail) page.error ??= detail;
  else page.error ??= outcome;
  cleanup?.();
  const view = describeOutcome(outcome);
  $('error-title').textContent = view.title;
  $('error-text').textContent = view.text;
  $('error-icon').className =
    `big-icon ${view.icon === 'alert' ? '' : view.icon === 'lock' ? 'lock-icon' : 'info'}`;
  $('error-detail').textContent = outcome === 'failed' && detail ? detail : '';
  const actions = $('error-actions');
  actions.replaceChildren();
  for (const action of view.actions) {
    const b = document.createElement(action === 'home' ? 'a' : 'button');
    b.className = `button ${action === 'home' ? '' : 'primary'}`;
    b.dataset.action = action;
    if (b instanceof HTMLAnchorElement) {
      b.href = '/';
      b.textContent = 'Back to start';
    } else {
      b.type = 'button';
      b.textContent =
        action === 'reconnect' ? 'Reconnect' : action === 'rejoin' ? 'Rejoin' : 'Try again';
      b.onclick = () => location.reload();
    }
    actions.append(b);
  }
  show('error');
}

let cleanup: (() => void) | undefined;

function waiting(title: string, text: string, leave?: () => void): void {
  $('waiting-title').textContent = title;
  $('waiting-text').textContent = text;
  const b = $<HTMLButtonElement>('waiting-leave');
  b.hidden = !leave;
  if (leave) b.onclick = leave;
  show('waiting');
}

/** Asks for a name and shows the camera before joining. */
async function showJoin(link: MeetingLink): Promise<void> {
  show('join');
  const nameInput = $<HTMLInputElement>('join-name');
  nameInput.value = link.name ?? localStorage.getItem('canopy.name') ?? '';
  const prefs = { mic: true, cam: true };
  let stream: MediaStream | undefined;
  const preview = $<HTMLVideoElement>('join-preview');
  try {
    stream = await getMedia();
    preview.srcObject = new MediaStream(stream.getVideoTracks());
    preview.parentElement!.classList.add('live');
  } catch {
    $('join-preview-off').textContent = 'No camera access: allow it in the address bar';
  }
  const toggle = (id: string, key: 'mic' | 'cam', on: string, off: string) => {
    const b = $<HTMLButtonElement>(id);
    b.onclick = () => {
      prefs[key] = !prefs[key];
      b.setAttribute('aria-pressed', String(prefs[key]));
      b.textContent = prefs[key] ? on : off;
      if (key === 'cam') preview.parentElement!.classList.toggle('live', prefs.cam && !!stream);
    };
  };
  toggle('join-mic', 'mic', 'Microphone on', 'Microphone off');
  toggle('join-cam', 'cam', 'Camera on', 'Camera off');
  nameInput.focus();
  $<HTMLFormElement>('join-form').onsubmit = (event) => {
    event.preventDefault();
    const name = cleanName(nameInput.value);
    if (!name) return;
    localStorage.setItem('canopy.name', name);
    // A reload (reconnect) joins again under the same name.
    const url = new URL(location.href);
    url.searchParams.set('name', name);
    history.replaceState(null, '', url.href);
    void join(link, name, prefs, stream);
  };
}

function getMedia(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } },
  });
}

/** Joins the meeting's MLS group (key worker), then its media. */
async function join(
  link: MeetingLink,
  displayName: string,
  prefs: { mic: boolean; cam: boolean },
  preview?: MediaStream,
): Promise<void> {
  waiting('Joining securely…', 'Verifying identities and joining the encrypted group.');
  let stream = preview;
  try {
    stream ??= await getMedia();
  } catch (e) {
    finish('no-media', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    return;
  }
  const local = stream;
  page.joinStartedAt = performance.now();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // Keys travel key worker → transform worker on this channel; this thread keeps neither end.
  const channel = new MessageChannel();
  const keys = new KeyWorker(new URL('./key-worker.js', import.meta.url));
  const rejected: { what: string; message: string }[] = [];
  let view: MeetingView | undefined;
  cleanup = () => {
    cleanup = undefined;
    clearTimeout(media.retry);
    reconnecting(undefined);
    view?.close();
    if (page.meeting && !page.meeting.closed) void page.meeting.leave();
    keys.close();
    for (const t of local.getTracks()) t.stop();
  };
  const leave = () => {
    keys.leave();
    finish('left');
  };
  /**
   * The page's media: joined once a member, and joined again (a new transform
   * worker, new transports, the same camera and microphone) after the key
   * worker reconnected or the DS re-added this member (`membership-lost`).
   */
  const media = {
    /** Joined at least once (the first failure to join is final, later ones are retried). */
    joined: false,
    /** Out of the media until the next join. */
    down: false,
    entering: false,
    retries: 0,
    retry: undefined as ReturnType<typeof setTimeout> | undefined,
  };
  keys.on('identity', (id) => {
    page.role = id.role;
    page.userId = id.userId;
    page.mlsCrypto = id.mlsCrypto;
  });
  keys.on('lobby', () => {
    if (media.joined) {
      // the resume window ran out: a host has to let this browser in again
      reconnecting('Waiting for a host to let you back in…');
      return;
    }
    waiting(
      'Waiting for the host to let you in',
      `You asked to join as ${displayName}. You will join as soon as a host admits you.`,
      leave,
    );
    if (prefs.cam && local.getVideoTracks().length > 0) {
      $<HTMLVideoElement>('waiting-preview').srcObject = new MediaStream(local.getVideoTracks());
      $('waiting-preview-box').hidden = false;
    }
  });
  keys.on('lobby-list', (entries) => {
    page.lobby = entries;
    view?.setLobby(entries);
  });
  keys.on('epoch', (e) => {
    page.admittedAt ??= Date.now();
    page.epoch = e;
    view?.setEpoch(e);
    if (media.down) void enterMedia();
  });
  keys.on('switch', (epoch) => {
    page.switchedEpoch = epoch;
  });
  keys.on('rejected', (what, message) => {
    rejected.push({ what, message });
    view?.refresh();
  });
  keys.on('removed', (reason) => finish(outcomeOfRemoval(reason), `removed: ${reason}`));
  keys.on('ended', () => finish('ended'));
  keys.on('error', (e) => {
    // Fatal errors close the connection (and end the page there); others are a host action refused.
    if (page.state === 'joined') view?.notify(e.message.replace(/^server-error: [a-z-]+: /, ''));
  });
  keys.on('reconnecting', (attempt, delayMs, cause) => {
    page.reconnects++;
    if (page.losses.length < 20) page.losses.push(cause);
    mediaLost();
    reconnecting(
      `Connection lost. Reconnecting${attempt > 1 ? ` (attempt ${attempt}, in ${Math.ceil(delayMs / 1000)} s)` : ''}…`,
    );
  });
  keys.on('closed', (code, reason) =>
    finish('connection-lost', `connection closed (${code}${reason ? `: ${reason}` : ''})`),
  );

  /** The media ended but the meeting goes on here: back at the next epoch (or retry). */
  function mediaLost(): void {
    media.down = true;
    if (page.state === 'joined') page.state = 'reconnecting';
  }

  /** Joins the media (again), builds the meeting view and publishes the camera and microphone. */
  async function enterMedia(): Promise<void> {
    // no connection: the next epoch (after the key worker reconnected) brings this back
    if (media.entering || page.outcome || !keys.connected) return;
    media.entering = true;
    clearTimeout(media.retry);
    const first = !media.joined;
    // the first transform worker got its port at start; each later one gets a new channel
    const ports = first ? channel : new MessageChannel();
    if (!first) keys.attachMediaKeys(ports.port1);
    let meeting: CanopyMeeting;
    try {
      meeting = await joinMedia({
        keys,
        meetingId: link.meetingId,
        displayName,
        mediaKeys: ports.port2,
        ...(link.transform && { transformMode: link.transform }),
      });
    } catch (e) {
      media.entering = false;
      const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      if (first && !media.down) {
        page.error = detail;
        console.error(e);
        finish('failed', detail);
        return;
      }
      // not a member yet, or the connection went again: the next epoch (or this retry) brings it back
      media.down = true;
      media.joined = true;
      if (media.retries++ < 10) media.retry = setTimeout(() => void enterMedia(), 1_000);
      return;
    }
    media.entering = false;
    if (page.outcome) {
      void meeting.leave();
      return;
    }
    media.joined = true;
    media.down = false;
    media.retries = 0;
    page.meeting = meeting;
    meeting.on('closed', (reason) => {
      if (page.meeting !== meeting || page.outcome) return;
      if (/ended/.test(reason)) finish('ended', reason);
      else if (reason === 'left') finish('left', reason);
      else {
        // the connection dropped (the key worker reconnects, or says it gave up),
        // the DS is re-adding this member (membership-lost), or the SFU failed
        mediaLost();
        reconnecting('Reconnecting…');
        if (!/membership-lost|signaling closed/.test(reason))
          media.retry = setTimeout(() => void enterMedia(), 1_000);
      }
    });
    view?.close();
    $('tiles').replaceChildren();
    view = new MeetingView({
      meeting,
      keys,
      displayName,
      meetingId: link.meetingId,
      isHost: page.role === 'host',
      userId: page.userId ?? '',
      localStream: local,
      rejected,
      failures: new FailureWindow(),
      onFirstFrame: (producerId, ms) => {
        page.firstFrameMs[producerId] ??= ms;
        page.firstFrameAt ??= Date.now();
        page.joinToFirstFrameMs ??= Math.round(performance.now() - page.joinStartedAt);
      },
      onWarnings: (w) => {
        page.warnings = w;
      },
      onLeave: leave,
      onEnd: () => keys.host('end'),
    });
    if (keys.current) view.setEpoch(keys.current);
    view.setLobby(page.lobby);
    $('waiting-preview-box').hidden = true;
    show('meeting');
    for (const track of local.getTracks()) {
      // the first time as the join page asked; after a reconnect as the person left it
      const on = first ? (track.kind === 'audio' ? prefs.mic : prefs.cam) : track.enabled;
      const published = await meeting.publish(track);
      if (!on) await view.setSending(published.kind, false);
    }
    if (page.meeting !== meeting || meeting.closed || page.outcome) return;
    reconnecting(undefined);
    page.state = 'joined';
  }

  try {
    await keys.start({
      url: `${scheme}://${location.host}/ws`,
      token: link.token,
      displayName,
      asPublicKey: link.asPublicKey,
      mediaKeys: channel.port1,
      ...(link.heartbeatMs !== undefined && { heartbeatMs: link.heartbeatMs }),
    });
  } catch (e) {
    if (e instanceof KeyWorkerStartError) {
      const code = e.detail.serverCode;
      const expired = code === 'invalid-link' && /expired/i.test(e.detail.message);
      finish(expired ? 'expired-link' : outcomeOfServerCode(code), e.message);
    } else finish('failed', e instanceof Error ? e.message : String(e));
    return;
  }
  if (page.outcome) return;
  $('waiting-preview-box').hidden = true;
  waiting('Joining securely…', 'Connecting your camera and microphone, encrypted end to end.');
  window.addEventListener('pagehide', () => {
    keys.leave();
    void page.meeting?.leave();
  });
  await enterMedia();
}

/** Shows (with a text) or hides the meeting's "reconnecting" banner. */
function reconnecting(text: string | undefined): void {
  const banner = $('reconnecting');
  banner.hidden = text === undefined;
  if (text !== undefined) $('reconnecting-text').textContent = text;
  page.banner = text;
}

function main(): void {
  const where = parseLocation(new URL(location.href));
  if (where.kind === 'landing') {
    show('landing');
    setupLanding();
    return;
  }
  if (where.kind === 'bad-link') {
    finish('bad-link', `no ${where.missing === 'token' ? 'token (?t=)' : 'AS key (#as=)'}`);
    return;
  }
  const link = where.link;
  if (!detectTransformMode() || (link.transform === 'encoded-streams' && !hasEncodedStreams())) {
    finish('unsupported');
    return;
  }
  if (link.name) void join(link, link.name, { mic: true, cam: true });
  else void showJoin(link);
}

function hasEncodedStreams(): boolean {
  return typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype;
}

main();
