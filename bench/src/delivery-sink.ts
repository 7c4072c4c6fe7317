// The members' side of the fan-out benchmark, in a child process of its own
// (so N client sockets do not share the delivery service's event loop or its
// file-descriptor limit): opens N real WebSocket connections to the server and
// counts the binary frames that arrive, by frame type (a frame's first byte).
// Driven over IPC by delivery-fanout.ts; erasable TypeScript only, so Node
// runs it without a loader.
import WebSocket from 'ws';

export type SinkRequest =
  | { type: 'open'; url: string; count: number; concurrency: number }
  | { type: 'expect'; id: number; tag: number; count: number }
  | { type: 'stats' }
  | { type: 'close' };

export type SinkReply =
  | { type: 'opened'; count: number }
  | { type: 'armed'; id: number }
  | { type: 'reached'; id: number }
  | { type: 'stats'; bytes: number; frames: number; open: number }
  | { type: 'failed'; message: string };

const sockets: WebSocket[] = [];
let bytes = 0;
let frames = 0;
let open = 0;
const received = new Map<number, number>();
let waiting: { id: number; tag: number; count: number } | undefined;

function reply(m: SinkReply): void {
  process.send?.(m);
}

function onFrame(data: Buffer): void {
  bytes += data.length;
  frames++;
  const tag = data[0];
  const n = (received.get(tag) ?? 0) + 1;
  received.set(tag, n);
  if (waiting && tag === waiting.tag && n >= waiting.count) {
    reply({ type: 'reached', id: waiting.id });
    waiting = undefined;
  }
}

function connect(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('open', () => {
      open++;
      sockets.push(ws);
      resolve();
    });
    ws.on('error', reject);
    ws.on('close', () => open--);
    ws.on('message', (data, isBinary) => {
      if (isBinary) onFrame(data as Buffer);
    });
  });
}

async function openAll(url: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await connect(url);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

process.on('message', (raw) => {
  const m = raw as SinkRequest;
  switch (m.type) {
    case 'open':
      openAll(m.url, m.count, m.concurrency).then(
        () => reply({ type: 'opened', count: sockets.length }),
        (e: unknown) => reply({ type: 'failed', message: String(e) }),
      );
      return;
    case 'expect':
      received.set(m.tag, 0);
      waiting = { id: m.id, tag: m.tag, count: m.count };
      reply({ type: 'armed', id: m.id });
      return;
    case 'stats':
      reply({ type: 'stats', bytes, frames, open });
      return;
    case 'close':
      for (const ws of sockets) ws.terminate();
      process.disconnect?.();
      return;
  }
});
