// One small interface over the two browser engines the e2e tests drive:
// Chromium through playwright-core (CDP) and Firefox ESR through puppeteer-core
// (WebDriver BiDi). Both run headless with a fake camera and microphone that
// need no permission prompt, on the machine's own browser binaries (nothing is
// downloaded). Which binaries: shared/test/support/tools.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
} from '../../../shared/test/support/tools.js';

export type Engine = 'chromium' | 'firefox';

/** What a page printed: console messages, and uncaught errors as type `pageerror`. */
export interface ConsoleEntry {
  readonly type: string;
  readonly text: string;
}

export interface TestPage {
  readonly engine: Engine;
  /** Everything the page printed so far, oldest first. */
  readonly console: readonly ConsoleEntry[];
  goto(url: string): Promise<void>;
  /** Runs `fn` in every document this page loads, before the page's own scripts. */
  addInitScript(fn: () => void): Promise<void>;
  /** Runs `fn` in the page (serialized: it must not close over test variables) and returns its JSON result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>;
  /** A PNG of the viewport; also written to `path` when given. */
  screenshot(path?: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface TestBrowser {
  readonly engine: Engine;
  newPage(): Promise<TestPage>;
  /** Closes every page and the browser, and removes its profile. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** The browser binary (tools.ts `chromium()` / `firefox()`). */
  executablePath: string;
  /** Called for each console message or page error as it happens. */
  onConsole?: (page: TestPage, entry: ConsoleEntry) => void;
  /** Chromium only: flags added to CHROMIUM_FLAGS. */
  extraArgs?: readonly string[];
}

/** Chromium flags: headless on a machine without GPU or sandbox, fake media, no network chatter. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  // Several pages share one browser and only one is in front: without these,
  // the others' timers (the app's audio-level polling, the tests' probes) are
  // throttled to once a second or less, and what they sample becomes chance.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Firefox preferences: fake camera and microphone without a prompt, autoplay,
 * and real host addresses in ICE candidates (Firefox hides them behind mDNS
 * names otherwise, which an SFU cannot resolve).
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};

/** Launches `engine` from the machine's binary for it (tools.ts). */
export function launchEngine(
  engine: Engine,
  onConsole?: LaunchOptions['onConsole'],
): Promise<TestBrowser> {
  const tool = engine === 'chromium' ? chromiumTool() : firefoxTool();
  return launchBrowser(engine, { executablePath: tool.path!, ...(onConsole && { onConsole }) });
}

export function launchBrowser(engine: Engine, options: LaunchOptions): Promise<TestBrowser> {
  return engine === 'chromium' ? launchChromium(options) : launchFirefox(options);
}

async function launchChromium(options: LaunchOptions): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'canopy-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: options.executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(options.extraArgs ?? [])],
    });
    return {
      engine: 'chromium',
      async newPage() {
        const page = await context.newPage();
        const log: ConsoleEntry[] = [];
        const wrapped: TestPage = {
          engine: 'chromium',
          console: log,
          async goto(url) {
            await page.goto(url);
          },
          async addInitScript(fn) {
            await page.addInitScript(fn);
          },
          evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
          async screenshot(path) {
            return new Uint8Array(await page.screenshot(path ? { path } : {}));
          },
          close: () => page.close(),
        };
        const record = (entry: ConsoleEntry) => {
          log.push(entry);
          options.onConsole?.(wrapped, entry);
        };
        page.on('console', (m) => record({ type: m.type(), text: m.text() }));
        page.on('pageerror', (e) => record({ type: 'pageerror', text: e.message }));
        return wrapped;
      },
      async close() {
        try {
          await context.close();
        } finally {
          rmSync(profile, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

async function launchFirefox(options: LaunchOptions): Promise<TestBrowser> {
  // puppeteer makes a temporary profile with these prefs and removes it on close.
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: options.executablePath,
    headless: true,
    // Chromium's (Playwright's) default viewport, so both engines' screenshots compare.
    defaultViewport: { width: 1280, height: 720 },
    extraPrefsFirefox: FIREFOX_PREFS,
  });
  return {
    engine: 'firefox',
    async newPage() {
      const page = await browser.newPage();
      const log: ConsoleEntry[] = [];
      const wrapped: TestPage = {
        engine: 'firefox',
        console: log,
        async goto(url) {
          await page.goto(url);
        },
        async addInitScript(fn) {
          await page.evaluateOnNewDocument(fn);
        },
        evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
        async screenshot(path) {
          return new Uint8Array(await page.screenshot(path ? { path } : {}));
        },
        close: () => page.close(),
      };
      const record = (entry: ConsoleEntry) => {
        log.push(entry);
        options.onConsole?.(wrapped, entry);
      };
      page.on('console', (m) => record({ type: m.type(), text: m.text() }));
      page.on('pageerror', (e) =>
        record({ type: 'pageerror', text: e instanceof Error ? e.message : String(e) }),
      );
      return wrapped;
    },
    close: () => browser.close(),
  };
}
