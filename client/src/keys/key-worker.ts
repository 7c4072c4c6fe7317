/**
 * The key worker: the participant core (MLS) in a dedicated Worker, so the
 * page's main thread never holds a group secret or a media key.
 *
 * Design: this worker owns the meeting's one WebSocket. The server binds
 * media to MLS membership on the same connection (`meeting.join` succeeds
 * only for a connection that is a member of that meeting's group), so the
 * main thread's JSON signaling (mediasoup) is relayed through here: text
 * frames both ways, binary frames (the delivery service's MLS protocol)
 * never leave this worker. This needs nothing new on the server — no ticket
 * to issue, expire or steal — and keeps the membership check exact: one
 * connection, one member, one leaf index.
 *
 * Per applied epoch the SFrame base key goes to the transform worker over a
 * MessagePort the page transferred here at start (the page cannot read a
 * port it gave away); the main thread gets only the epoch number, leaf
 * index, verified roster and security code.
 *
 * A member whose connection is lost (its heartbeat unanswered, or closed)
 * reconnects by itself: `signal-closed` (the page's media over it ended),
 * `reconnecting` with the attempt and its delay, then a new connection that
 * resumes the member's place with the DS's resume ticket (no lobby) and a new
 * participant core with fresh keys. After its first epoch the page rejoins
 * the media, giving a new transform worker's port (`media-keys`), which gets
 * the epoch in force at once. The ticket never leaves this worker.
 */
import { type CipherSuite, createSodiumProvider, getCipherSuite } from '@canopy/shared/crypto';
import sodium from 'libsodium-wrappers';
import {
  Participant,
  ParticipantError,
  type WebSocketConstructor,
} from '../participant/participant.js';
import {
  type FromKeyWorker,
  type MediaKeyMessage,
  parseToKeyWorker,
  type ToKeyWorker,
} from './messages.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<unknown>) => void) | null;
  postMessage(message: FromKeyWorker): void;
}
const scope = globalThis as unknown as WorkerScope;

let participant: Participant | undefined;
let socket: WebSocket | undefined;
let keys: MessagePort | undefined;
/** JSON signaling sent before the socket opened. */
const early: string[] = [];

function post(message: FromKeyWorker): void {
  scope.postMessage(message);
}

function toMedia(message: MediaKeyMessage): void {
  keys?.postMessage(message);
}

/**
 * MLS suite 1 with X25519 and Ed25519 from libsodium (WebAssembly, synchronous
 * once loaded, so every MLS state change stays atomic) and noble for the rest:
 * in Chromium a 1,000-member join takes 258 ms instead of 585 ms, in Firefox
 * 199 ms instead of 1.58 s (`npm run bench -- browser`). Noble alone if the
 * WebAssembly cannot load.
 */
let mlsCrypto: 'libsodium' | 'noble' = 'noble';
const suiteReady: Promise<CipherSuite> = sodium.ready.then(
  () => {
    mlsCrypto = 'libsodium';
    return getCipherSuite(1, createSodiumProvider(sodium));
  },
  (e: unknown) => {
    console.warn('[canopy] libsodium did not load; MLS runs on noble', e);
    return getCipherSuite(1);
  },
);
let starting = false;

/**
 * Reconnecting: a member whose connection is lost (closed, or its heartbeat
 * unanswered) connects again after a backoff and resumes its place with the
 * DS's resume ticket, as a new participant core (fresh MLS keys, a new leaf).
 * Only a member reconnects; a removal, the end of the meeting, leaving, the
 * page closing or a server refusal other than `try-again` end it for good.
 */
const RECONNECT = { attempts: 10, firstDelayMs: 500, maxDelayMs: 15_000 } as const;
/** The page's start message, kept for each reconnect. */
let options: Extract<ToKeyWorker, { type: 'start' }> | undefined;
let suite: CipherSuite | undefined;
/** The DS's resume ticket, from the latest connection that had one. */
let ticket: Uint8Array | undefined;
let attempt = 0;
/** Removed, ended, left, refused or closed by the page: no more reconnects. */
let over = false;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
/** The epoch in force (for a transform worker that attaches later). */
let current: { epoch: bigint; baseKey: Uint8Array; leafIndex: number } | undefined;

async function start(m: Extract<ToKeyWorker, { type: 'start' }>): Promise<void> {
  if (participant || starting) return;
  starting = true;
  suite = await suiteReady;
  keys = m.mediaKeys;
  options = m;
  connect();
}

/** One connection: a participant core on a new socket, resuming with the ticket if there is one. */
function connect(): void {
  const m = options!;
  let closeCode = 1006;
  let closeReason = '';
  // The participant opens the socket; this worker relays its text frames.
  // (a class: the participant calls it with `new`; it returns the real socket)
  class RelayedSocket {
    constructor(url: string) {
      const ws = new WebSocket(url);
      socket = ws;
      ws.addEventListener('open', () => {
        if (socket !== ws) return;
        post({ type: 'open' });
        for (const text of early.splice(0)) ws.send(text);
      });
      ws.addEventListener('message', (ev: MessageEvent) => {
        if (socket === ws && typeof ev.data === 'string') post({ type: 'signal', text: ev.data });
      });
      ws.addEventListener('close', (ev: CloseEvent) => {
        closeCode = ev.code;
        closeReason = ev.reason;
      });
      // biome-ignore lint/correctness/noConstructorReturn: the participant gets the real socket
      return ws;
    }
  }
  const Ws = RelayedSocket as unknown as WebSocketConstructor;
  const p = new Participant({
    url: m.url,
    token: m.token,
    displayName: m.displayName,
    asPublicKey: m.asPublicKey,
    suite: suite!,
    WebSocket: Ws,
    heartbeat: { intervalMs: m.heartbeatMs ?? 3_000, misses: 3 },
    ...(ticket && { resume: ticket }),
  });
  participant = p;
  /** A server refusal that a retry cannot fix (an expired link, say). */
  let refused = false;
  let unanswered = false;
  p.on('identity', (id) =>
    post({
      type: 'identity',
      userId: id.userId,
      displayName: id.displayName,
      role: id.role,
      mlsCrypto,
    }),
  );
  p.on('lobby', () => post({ type: 'lobby' }));
  p.on('lobby-list', (entries) =>
    post({
      type: 'lobby-list',
      entries: entries.map((e) => ({ userId: e.userId, displayName: e.displayName })),
    }),
  );
  p.on('rejected', ({ what, error }) =>
    post({
      type: 'rejected',
      what,
      message: (error instanceof Error ? error.message : String(error)).slice(0, 300),
    }),
  );
  p.on('epoch', (info) => {
    attempt = 0;
    ticket = p.resumeTicket ?? ticket;
    current = {
      epoch: info.epoch,
      baseKey: info.sframeBaseKey.slice(),
      leafIndex: info.leafIndex,
    };
    // Keys first: by the time the page hears of the epoch, receivers hold it.
    toMedia({ type: 'epoch', ...current, baseKey: current.baseKey.slice() });
    post({
      type: 'epoch',
      epoch: info.epoch,
      leafIndex: info.leafIndex,
      securityCode: info.securityCode,
      roster: info.roster.map((r) => ({ ...r })),
    });
  });
  p.on('switch', ({ epoch }) => {
    toMedia({ type: 'switch', epoch });
    post({ type: 'switch', epoch });
  });
  p.on('removed', ({ reason }) => {
    over = true;
    post({ type: 'removed', reason });
  });
  p.on('ended', () => {
    over = true;
    post({ type: 'ended' });
  });
  p.on('error', (e) => {
    const serverCode = e instanceof ParticipantError ? e.serverCode : undefined;
    if (serverCode !== undefined && serverCode !== 'try-again') refused = true;
    if (e.code === 'connection-lost') unanswered = true;
    // a lost connection of a member is not news: it reconnects (see 'closed')
    if (e.code === 'connection-lost' && canResume()) return;
    if (serverCode === 'try-again' && canResume()) return;
    post({
      type: 'error',
      code: e.code,
      message: e.message,
      ...(serverCode !== undefined && { serverCode }),
    });
  });
  p.on('closed', () => {
    if (participant !== p) return;
    ticket = p.resumeTicket ?? ticket;
    socket = undefined;
    participant = undefined;
    current = undefined;
    early.length = 0;
    post({ type: 'signal-closed', code: closeCode, reason: closeReason });
    if (over || refused || !canResume()) {
      over = true;
      post({ type: 'closed', code: closeCode, reason: closeReason });
      return;
    }
    attempt++;
    const delayMs = Math.round(
      Math.min(RECONNECT.maxDelayMs, RECONNECT.firstDelayMs * 2 ** (attempt - 1)) *
        (0.75 + Math.random() / 2),
    );
    const cause = unanswered
      ? 'the heartbeat went unanswered'
      : `closed (${closeCode}${closeReason ? `: ${closeReason}` : ''})`;
    post({ type: 'reconnecting', attempt, delayMs, cause });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (!over) connect();
    }, delayMs);
  });
  p.connect().catch(() => {
    // reported through the events above
  });
}

/** Whether a lost connection is worth another: a member (it holds a ticket) with attempts left. */
function canResume(): boolean {
  return !over && ticket !== undefined && attempt < RECONNECT.attempts;
}

/** The page gave up the meeting: no reconnect, the connection closes. */
function stop(): void {
  over = true;
  clearTimeout(reconnectTimer);
  if (participant) participant.disconnect();
  else post({ type: 'closed', code: 1000, reason: 'closed by the page' });
}

/** A host action, passed to the participant core (the DS checks the role). */
function host(m: Extract<ToKeyWorker, { type: 'host' }>): void {
  const p = participant;
  if (!p) return;
  switch (m.action) {
    case 'admit':
      if (m.userId) p.admit(m.userId);
      return;
    case 'deny':
      if (m.userId) p.deny(m.userId);
      return;
    case 'remove':
      if (m.userId) p.remove(m.userId);
      return;
    case 'lock':
      p.lock();
      return;
    case 'unlock':
      p.unlock();
      return;
    case 'end':
      p.end();
      return;
  }
}

// The page is untrusted too: only well-formed messages get through.
scope.onmessage = (event) => {
  const m = parseToKeyWorker(event.data);
  if (
    !m &&
    (event.data as { type?: unknown } | null)?.type === 'start' &&
    !participant &&
    !starting
  ) {
    // the page waits for the first epoch: tell it rather than leave it waiting
    post({ type: 'error', code: 'invalid-start', message: 'malformed start message' });
    return;
  }
  switch (m?.type) {
    case 'start':
      void start(m);
      break;
    case 'signal':
      if (socket?.readyState === 1) socket.send(m.text);
      // before the first connection opens; never across connections (stale requests)
      else if ((!socket && !options) || socket?.readyState === 0) early.push(m.text);
      break;
    case 'host':
      host(m);
      break;
    case 'media-keys':
      keys?.close();
      keys = m.port;
      // a new transform worker: the epoch in force now (its senders start on it)
      if (current) toMedia({ type: 'epoch', ...current, baseKey: current.baseKey.slice() });
      break;
    case 'leave':
      over = true;
      participant?.leave();
      break;
    case 'close':
      stop();
      break;
  }
};
