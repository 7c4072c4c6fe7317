// The browser-driver abstraction (browsers.ts), in each engine: a page on
// http://127.0.0.1 (a secure context) gets a fake camera and microphone without
// a prompt, has RTCRtpScriptTransform, and its console, errors and screenshots
// reach the test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  type ToolProbe,
  withTools,
} from '../../../shared/test/support/tools.js';
import { type Engine, launchBrowser, type TestBrowser } from './browsers.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<body style="background:#c00"><script>console.log('hello from the page');</script></body>`;

const engines: [Engine, () => ToolProbe][] = [
  ['chromium', chromiumTool],
  ['firefox', firefoxTool],
];

for (const [engine, probe] of engines) {
  const name = `browser driver: ${engine}`;
  if (!withTools(name, [probe()])) continue;
  describe(name, () => {
    let http: Server;
    let url: string;
    let browser: TestBrowser;

    beforeAll(async () => {
      http = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(PAGE);
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
      browser = await launchBrowser(engine, { executablePath: probe().path! });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((r) => http?.close(r));
    });

    test('a page gets a fake camera and microphone without a prompt, and RTCRtpScriptTransform', async () => {
      const page = await browser.newPage();
      await page.goto(url);
      const got = await page.evaluate(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const kinds = stream.getTracks().map((t) => t.kind);
        for (const t of stream.getTracks()) t.stop();
        return {
          kinds: kinds.sort(),
          secure: window.isSecureContext,
          scriptTransform: typeof (window as { RTCRtpScriptTransform?: unknown })
            .RTCRtpScriptTransform,
        };
      });
      expect(got).toEqual({ kinds: ['audio', 'video'], secure: true, scriptTransform: 'function' });
      await page.close();
    });

    test('evaluate takes an argument; console messages and page errors are recorded', async () => {
      const page = await browser.newPage();
      await page.goto(url);
      expect(await page.evaluate((n: number) => n * 2, 21)).toBe(42);
      await page.evaluate(() => {
        console.warn('careful');
        setTimeout(() => {
          throw new Error('boom in the page');
        });
      });
      const until = Date.now() + 10_000;
      while (!page.console.some((e) => e.type === 'pageerror') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 100));
      expect(page.console).toContainEqual({ type: 'log', text: 'hello from the page' });
      expect(page.console.some((e) => /warn/.test(e.type) && e.text === 'careful')).toBe(true);
      expect(page.console.find((e) => e.type === 'pageerror')?.text).toMatch(/boom in the page/);
      await page.close();
    });

    test('a screenshot is a PNG of the page', async () => {
      const page = await browser.newPage();
      await page.goto(url);
      const png = await page.screenshot();
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBeGreaterThan(100);
      await page.close();
    });
  });
}
