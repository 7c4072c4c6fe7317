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

async function start(m: Extract<ToKeyWorker, { type: 'start' }>): Promise<void> {
  if (participant || starting) return;
  starting = true;
  const suite = await suiteReady;
  keys = m.mediaKeys;
  // The participant opens the socket; this worker relays its text frames.
  // (a class: the participant calls it with `new`; it returns the real socket)
  class RelayedSocket {
    constructor(url: string) {
      const ws = new WebSocket(url);
      socket = ws;
      ws.addEventListener('open', () => {
        post({ type: 'open' });
        for (const text of early.splice(0)) ws.send(text);
      });
      ws.addEventListener('message', (ev: MessageEvent) => {
        if (typeof ev.data === 'string') post({ type: 'signal', text: ev.data });
      });
      ws.addEventListener('close', (ev: CloseEvent) =>
        post({ type: 'closed', code: ev.code, reason: ev.reason }),
      );
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
    suite,
    WebSocket: Ws,
  });
  participant = p;
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
    // Keys first: by the time the page hears of the epoch, receivers hold it.
    toMedia({
      type: 'epoch',
      epoch: info.epoch,
      baseKey: info.sframeBaseKey.slice(),
      leafIndex: info.leafIndex,
    });
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
  p.on('removed', ({ reason }) => post({ type: 'removed', reason }));
  p.on('ended', () => post({ type: 'ended' }));
  p.on('error', (e) =>
    post({
      type: 'error',
      code: e.code,
      message: e.message,
      ...(e instanceof ParticipantError &&
        e.serverCode !== undefined && { serverCode: e.serverCode }),
    }),
  );
  p.connect().catch(() => {
    // reported through the events above
  });
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
      else if (!socket || socket.readyState === 0) early.push(m.text);
      break;
    case 'host':
      host(m);
      break;
    case 'leave':
      participant?.leave();
      break;
    case 'close':
      participant?.disconnect();
      break;
  }
};
