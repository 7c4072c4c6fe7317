/**
 * Serves the meeting web app: files under one directory (GET and HEAD only,
 * no directory listings, no path escapes), `index.html` for `/` and for
 * meeting links `/m/<meetingId>`, and `/healthz`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " +
    "worker-src 'self' blob:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; " +
    "frame-ancestors 'none'",
};

/** An HTTP request handler serving files from `root`. */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const base = resolve(root);
  return (req, res) => {
    void serve(base, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  };
}

function send(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(text);
}

async function serve(base: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    return;
  }
  // The path exactly as sent (not through URL parsing, which would read `//x`
  // as a host): percent-decoded once, then confined to `base` below.
  let path: string;
  try {
    const raw = (req.url ?? '').split(/[?#]/, 1)[0] ?? '';
    if (!raw.startsWith('/')) throw new URIError('not an origin-form path');
    path = decodeURIComponent(raw);
  } catch {
    send(res, 400, 'bad request');
    return;
  }
  if (path === '/healthz') {
    send(res, 200, 'ok');
    return;
  }
  if (path === '/' || /^\/m\/[A-Za-z0-9_-]{1,64}\/?$/.test(path)) path = '/index.html';
  if (path.includes('\0')) {
    send(res, 400, 'bad request');
    return;
  }
  const file = normalize(join(base, path));
  if (!file.startsWith(base + sep)) {
    send(res, 404, 'not found');
    return;
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    send(res, 404, 'not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(info.size),
    'Cache-Control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // pipeline, not pipe: when the client goes away mid-download it destroys the
  // file stream too (closing its file handle); pipe() would leave it open.
  await pipeline(createReadStream(file), res).catch(() => res.destroy());
}
