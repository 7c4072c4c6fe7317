// The meeting app as people use it, for any pair of browser engines, against
// the real server and mediasoup worker: the landing page creates a meeting,
// copies its invite link and opens its host link; a participant (in the same
// or the other engine) asks for a name, waits in the lobby until the host
// admits it by clicking; both grids show verified names and decoded video;
// both encryption panels show the same epoch and security code; speaking
// rings, a muted microphone and a camera turned off reach the other page; the
// host denies someone, removes the participant (the next epoch is shown),
// locks the meeting and ends it; an invalid, expired or incomplete link and a
// browser without encoded transforms get their screens. Screenshots of each
// screen are kept in a temporary directory whose path is printed, named
// <engine>-<screen>.png. meeting-app.test.ts runs it in Chromium,
// meeting-app-firefox.test.ts with the host in one engine and the
// participant in the other, both ways.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup } from '../../../server/src/sfu/index.js';
import { mediasoupTestModule } from '../../../shared/test/support/tools.js';
import { type Engine, launchEngine, type TestBrowser, type TestPage } from '../e2e/browsers.js';
import { buildPublicDir, suiteServerConfig } from '../support/app-server.js';
import { until } from '../support/until.js';

export interface AppSuiteOptions {
  title: string;
  /** The engine of the page that creates and hosts the meeting. */
  host: Engine;
  /** The engine of the participant it admits, and of the pages it denies and turns away. */
  guest: Engine;
  /** Address the SFU's transports listen on (default 127.0.0.1; in a network namespace, its address). */
  listenIp?: string;
  /** Also the screens of bad links and of a browser that cannot encrypt (in the guest's engine). */
  errorScreens?: boolean;
  /** Also a dropped connection and reconnecting (in the guest's engine). */
  reconnect?: boolean;
}

/** What the page's test hook says (client/src/app/main.ts `window.canopy`). */
interface Hook {
  state: string;
  screen: string;
  outcome?: string;
  error?: string;
  role?: string;
  userId?: string;
  lobby: { userId: string; displayName: string }[];
  warnings: string[];
  /** Times the key worker started reconnecting; the "reconnecting" banner's text while shown. */
  reconnects: number;
  banner?: string;
}

const hook = (page: TestPage) =>
  page.evaluate(() => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's test hook
    const c = (window as any).canopy;
    return c
      ? {
          state: c.state,
          screen: c.screen,
          outcome: c.outcome,
          error: c.error,
          role: c.role,
          userId: c.userId,
          lobby: c.lobby,
          warnings: c.warnings,
          reconnects: c.reconnects,
          banner: c.banner,
        }
      : undefined;
  }) as Promise<Hook | undefined>;

/** Clicks the element `selector` matches, as a person would (it must be visible and enabled). */
async function click(page: TestPage, selector: string): Promise<void> {
  await until(
    () =>
      page.evaluate((sel) => {
        const e = document.querySelector<HTMLElement>(sel);
        if (!e || e.offsetParent === null || (e as HTMLButtonElement).disabled) return false;
        e.click();
        return true;
      }, selector),
    15_000,
    `${selector} to be clickable`,
  );
}

const text = (page: TestPage, selector: string) =>
  page.evaluate((sel) => document.querySelector(sel)?.textContent?.trim() ?? '', selector);

const visible = (page: TestPage, selector: string) =>
  page.evaluate((sel) => {
    const e = document.querySelector<HTMLElement>(sel);
    return !!e && e.offsetParent !== null;
  }, selector);

/** Opens a side-panel pane with its control-bar button unless it is open already. */
async function openPane(page: TestPage, pane: 'people' | 'security'): Promise<void> {
  if (!(await visible(page, `#pane-${pane}`))) await click(page, `#${pane}-button`);
}

/** Records what the page copies to the clipboard (headless browsers have none to read back). */
function recordClipboard(): void {
  // biome-ignore lint/suspicious/noExplicitAny: the test's record on the page
  const w = window as any;
  w.__copied = [];
  if (!navigator.clipboard) return;
  Object.defineProperty(navigator.clipboard, 'writeText', {
    value: async (text: string) => {
      w.__copied.push(text);
    },
  });
}

const copied = (page: TestPage) =>
  // biome-ignore lint/suspicious/noExplicitAny: the test's record on the page
  page.evaluate(() => ((window as any).__copied ?? []) as string[]);

/** The other participant's tile on `page` (a page of two has one remote tile). */
const REMOTE = '.tile:not(.local)';

/** Classes and badge of the one remote tile on `page`. */
const remoteTile = (page: TestPage) =>
  page.evaluate((sel) => {
    const t = document.querySelector<HTMLElement>(sel);
    const badge = t?.querySelector<HTMLElement>('.muted-ico');
    return {
      live: !!t?.classList.contains('live'),
      speaking: !!t?.classList.contains('speaking'),
      micOff: !!t?.classList.contains('mic-off'),
      camOff: !!t?.classList.contains('camera-off'),
      badge: !!badge && !badge.hidden && badge.offsetParent !== null,
      state: t?.querySelector('.state')?.textContent ?? '',
      name: t?.querySelector('.name')?.textContent ?? '',
    };
  }, REMOTE);

export function appSuite(options: AppSuiteOptions): void {
  const { title } = options;
  describe(title, () => {
    let server: CanopyServer;
    const browsers = new Map<Engine, TestBrowser>();
    const browserOf = (engine: Engine) => browsers.get(engine)!;
    const guestBrowser = () => browserOf(options.guest);
    let publicDir: string;
    const shots = mkdtempSync(join(tmpdir(), 'canopy-app-screens-'));
    const shot = async (page: TestPage, name: string) => {
      const path = join(shots, `${page.engine}-${name}.png`);
      await page.screenshot(path);
      console.log(`[app] screenshot ${path}`);
    };
    let host: TestPage;
    let guest: TestPage;
    /** (who acts, who sees it): the participant first, then the host. */
    const bothWays = () =>
      [
        [guest, host],
        [host, guest],
      ] as const;
    /** The meeting the landing page created, and its invite link. */
    let invite = '';
    const pageErrors: string[] = [];

    beforeAll(async () => {
      publicDir = await buildPublicDir();
      const mediasoup = await loadMediasoup(mediasoupTestModule().path!);
      server = await startServer(suiteServerConfig(publicDir, options.listenIp), mediasoup.api, {
        log: (m, e) => console.error(`[server] ${m}`, e ?? ''),
      });
      for (const engine of new Set([options.host, options.guest]))
        browsers.set(
          engine,
          await launchEngine(engine, (page, e) => {
            if (e.type === 'pageerror') {
              pageErrors.push(`${page.engine}: ${e.text}`);
              console.error(`[page ${page.engine}] ${e.type}: ${e.text}`);
            }
          }),
        );
    }, 120_000);

    afterAll(async () => {
      for (const b of browsers.values()) await b.close().catch(() => {});
      await server?.close();
      rmSync(publicDir, { recursive: true, force: true });
      console.log(`[app] screenshots in ${shots}`);
    });

    /** Waits for `page` to show an error or closing screen, and returns its hook then. */
    const errorScreen = (page: TestPage, ms: number, what: string) =>
      until(
        async () => {
          const h = await hook(page);
          return h?.screen === 'error' ? h : undefined;
        },
        ms,
        what,
      );

    /** Opens `url` in the guest's engine and waits for its error screen. */
    async function errorPage(
      url: string,
      what: string,
      prepare?: (page: TestPage) => Promise<void>,
    ) {
      const page = await guestBrowser().newPage();
      await prepare?.(page);
      await page.goto(url);
      return { page, h: await errorScreen(page, 20_000, what) };
    }

    if (options.errorScreens) {
      test('a link without a token shows the incomplete-link screen', async () => {
        const { page, h } = await errorPage(`${server.url}/m/some-meeting`, 'the error screen');
        expect(h.outcome).toBe('bad-link');
        expect(await text(page, '#error-title')).toMatch(/incomplete/i);
        await shot(page, 'error-incomplete-link');
        await page.close();
      });

      test('a link the server refuses shows the invalid-link screen', async () => {
        const real = new URL((await server.links.create(server.url)).participantLink);
        // A forged token (its signature does not verify) with the real AS key.
        const forged = `${real.searchParams.get('t')!.slice(0, -4)}AAAA`;
        const { page, h } = await errorPage(
          `${server.url}${real.pathname}?t=${forged}&name=Mallory${real.hash}`,
          'the error screen',
        );
        expect(h.outcome).toBe('invalid-link');
        expect(await text(page, '#error-title')).toMatch(/not valid/i);
        expect(await visible(page, '#meeting')).toBe(false);
        await shot(page, 'error-invalid-link');
        await page.close();
      });

      test('an expired link shows the expired-link screen', async () => {
        const link = new URL((await server.links.create(server.url, 1)).participantLink);
        await new Promise((r) => setTimeout(r, 2_100));
        link.searchParams.set('name', 'Tardy');
        const { page, h } = await errorPage(link.href, 'the error screen');
        expect(h.outcome).toBe('expired-link');
        expect(await text(page, '#error-title')).toMatch(/expired/i);
        await shot(page, 'error-expired-link');
        await page.close();
      });

      test('a browser without encoded transforms is told it cannot join', async () => {
        const real = (await server.links.create(server.url)).participantLink;
        const { page, h } = await errorPage(real, 'the error screen', (page) =>
          page.addInitScript(() => {
            // biome-ignore lint/suspicious/noExplicitAny: removing the APIs the app needs
            const w = window as any;
            delete w.RTCRtpScriptTransform;
            delete w.RTCRtpSender.prototype.createEncodedStreams;
          }),
        );
        expect(h.outcome).toBe('unsupported');
        expect(await text(page, '#error-title')).toMatch(/cannot encrypt/i);
        await shot(page, 'error-unsupported');
        await page.close();
      });
    }

    test('the landing page creates a meeting, copies its invite link, and opens it as host', async () => {
      host = await browserOf(options.host).newPage();
      await host.addInitScript(recordClipboard);
      await host.goto(`${server.url}/`);
      await until(async () => (await hook(host))?.screen === 'landing', 10_000, 'the landing page');
      await host.evaluate(() => {
        (document.getElementById('create-name') as HTMLInputElement).value = 'Hana Host';
      });
      await shot(host, 'landing');
      await click(host, '#create-button');
      await until(() => visible(host, '#created'), 10_000, 'the created meeting');
      const shown = await host.evaluate(
        () => (document.getElementById('invite-link') as HTMLInputElement).value,
      );
      expect(shown).toMatch(/\/m\/[A-Za-z0-9_-]+\?t=[^#]+#as=/);
      await click(host, '#copy-invite');
      await until(
        async () => (await text(host, '#copy-invite')) === 'Copied ✓',
        5_000,
        'the copied mark',
      );
      // The participant joins with what the host copied.
      invite = (await copied(host)).at(-1) ?? '';
      expect(invite).toBe(shown);
      await shot(host, 'landing-created');
      await click(host, '#open-meeting');
      const h = await until(
        async () => {
          const h = await hook(host);
          if (h?.screen === 'error') throw new Error(h.error);
          return h?.state === 'joined' ? h : undefined;
        },
        30_000,
        'the host to join',
      );
      expect(h.role).toBe('host');
      expect(await visible(host, '#end-button')).toBe(true);
      expect(await visible(host, '#invite-button')).toBe(true);
      // From the meeting, the host copies the same invite again.
      await click(host, '#invite-button');
      await until(
        async () => (await copied(host)).length === 1 && (await text(host, '#toast')) !== '',
        5_000,
        'the invite copied from the meeting',
      );
      expect(await copied(host)).toEqual([invite]);
      expect(await text(host, '#toast')).toBe('Invite link copied');
    }, 60_000);

    test('a participant asks for a name, waits in the lobby, and the host (muted) admits it by clicking', async () => {
      guest = await guestBrowser().newPage();
      await guest.goto(invite); // no ?name=: the join page asks
      await until(() => visible(guest, '#join-form'), 10_000, 'the join page');
      await guest.evaluate(() => {
        (document.getElementById('join-name') as HTMLInputElement).value = 'Gus Guest';
      });
      await until(
        () => guest.evaluate(() => !!document.querySelector('#join .preview.live')),
        10_000,
        'the camera preview',
      );
      await shot(guest, 'join');
      await click(guest, '#join-button');
      await until(
        async () => (await text(guest, '#waiting-title')).includes('host to let you in'),
        20_000,
        'the lobby screen',
      );
      expect((await hook(guest))?.state).toBe('starting');
      await shot(guest, 'lobby');
      // The host sees the request (a badge on People, the lobby list) and admits.
      await until(async () => (await hook(host))?.lobby.length === 1, 15_000, 'the lobby list');
      await until(() => visible(host, '#lobby-dot'), 5_000, 'the lobby badge');
      await openPane(host, 'people');
      expect(await text(host, '#lobby-list li .who span')).toBe('Gus Guest');
      await shot(host, 'host-lobby');
      // The host mutes before admitting: the newcomer learns it from its join, not from a change.
      await click(host, '#mic-toggle');
      await click(host, '#lobby-list button[data-action="admit"]');
      await until(
        async () => {
          const h = await hook(guest);
          if (h?.screen === 'error') throw new Error(h.error);
          return h?.state === 'joined';
        },
        30_000,
        'the guest to join',
      );
      await until(async () => (await hook(host))?.lobby.length === 0, 10_000, 'an empty lobby');
      await until(
        async () => {
          const t = await remoteTile(guest);
          return t.micOff && t.badge;
        },
        20_000,
        "the host's muted microphone on the newcomer's page",
      );
      await click(host, '#mic-toggle');
      await until(
        async () => !(await remoteTile(guest)).micOff,
        15_000,
        "the host's microphone back on the newcomer's page",
      );
    }, 90_000);

    test("both pages decode each other's video and their encryption panels show the same epoch and security code", async () => {
      for (const page of [host, guest])
        await until(
          async () => (await remoteTile(page)).live,
          30_000,
          `the remote tile to show decrypted video (${page.engine})`,
        );
      for (const page of [host, guest]) {
        const names = await page.evaluate(() =>
          [...document.querySelectorAll('.tile .name')].map((e) => e.textContent),
        );
        expect(names.sort()).toEqual(['Gus Guest', 'Hana Host']);
        expect(
          await page.evaluate(() => document.querySelectorAll('.tile.unverified').length),
        ).toBe(0);
      }
      await shot(host, 'meeting-host');
      await shot(guest, 'meeting-guest');
      const panel = async (page: TestPage) => {
        await openPane(page, 'security');
        return {
          epoch: await text(page, '#panel-epoch'),
          code: await page.evaluate(() =>
            [...document.querySelectorAll('#security-code .group')].map((g) => g.textContent),
          ),
          roster: await page.evaluate(() =>
            [...document.querySelectorAll('#roster li .sub')].map((g) => g.textContent),
          ),
        };
      };
      const both = await until(
        async () => {
          const [a, b] = [await panel(host), await panel(guest)];
          return a.epoch === b.epoch && a.code.join() === b.code.join() ? [a, b] : undefined;
        },
        15_000,
        'the same epoch and code on both pages',
      );
      const [a] = both;
      expect(a!.code).toHaveLength(12);
      for (const g of a!.code) expect(g).toMatch(/^\d{5}$/);
      expect(a!.roster.some((r) => r?.startsWith('Host'))).toBe(true);
      expect(a!.roster.some((r) => r?.startsWith('Participant'))).toBe(true);
      for (const page of [host, guest]) {
        expect(await text(page, '#epoch')).toBe(a!.epoch);
        expect((await hook(page))?.warnings).toEqual([]);
      }
      expect(
        await host.evaluate(() =>
          document.getElementById('tab-security')?.getAttribute('aria-selected'),
        ),
      ).toBe('true');
      expect(
        await host.evaluate(() =>
          document.getElementById('tab-people')?.getAttribute('aria-selected'),
        ),
      ).toBe('false');
      await shot(host, 'encryption-panel-host');
      await shot(guest, 'encryption-panel-guest');
      console.log(`[app] both pages: epoch ${a!.epoch}, code ${a!.code.join(' ')}`);
      for (const page of [host, guest]) await click(page, '#panel-close');
    }, 60_000);

    test("speaking rings from decoded audio: each page lights the other participant's tile, and its own", async () => {
      // Both engines' fake microphones make sound (Chromium beeps, Firefox a
      // steady tone). A remote tile's level is the decoded audio energy between
      // two reads of the receiver's statistics, so no sound falls between polls.
      for (const page of [host, guest])
        await until(
          async () => (await remoteTile(page)).speaking,
          30_000,
          `the other participant's tile to show speaking (${page.engine})`,
        );
      // The own tile reads the microphone through Web Audio. Firefox's
      // AudioContext never leaves 'suspended' on a machine without an audio
      // output device (as here); Chromium's runs on a fake one.
      for (const page of [host, guest]) {
        const lit = until(
          () => page.evaluate(() => !!document.querySelector('.tile.speaking.local')),
          page.engine === 'chromium' ? 30_000 : 3_000,
          `the own tile to show speaking (${page.engine})`,
        );
        if (page.engine === 'chromium') await lit;
        else
          console.log(
            `[app] own tile speaking in ${page.engine}: ${await lit.then(
              () => true,
              () => false,
            )}`,
          );
      }
      await shot(host, 'meeting-speaking');
    }, 90_000);

    test('a muted microphone shows on the other page, and unmuting clears it', async () => {
      for (const [who, other] of bothWays()) {
        await click(who, '#mic-toggle');
        expect(await text(who, '#mic-toggle .label')).toBe('Unmute');
        expect(await visible(who, '.tile.local .muted-ico')).toBe(true);
        // The other page shows the badge, and the ring goes out (no sound comes).
        await until(
          async () => {
            const t = await remoteTile(other);
            return t.micOff && t.badge && !t.speaking;
          },
          15_000,
          `the muted badge on the ${other.engine} page`,
        );
        await shot(other, 'meeting-remote-muted');
        await click(who, '#mic-toggle');
        expect(await text(who, '#mic-toggle .label')).toBe('Mute');
        await until(
          async () => {
            const t = await remoteTile(other);
            return !t.micOff && !t.badge;
          },
          15_000,
          `the muted badge to go on the ${other.engine} page`,
        );
        // Sound comes again: the ring lights up again.
        await until(
          async () => (await remoteTile(other)).speaking,
          30_000,
          `the ring to come back on the ${other.engine} page`,
        );
      }
    }, 120_000);

    test('a camera turned off shows the avatar and name on the other page, not a frozen frame', async () => {
      for (const [who, other] of bothWays()) {
        await click(who, '#cam-toggle');
        expect(
          await who.evaluate(() =>
            document.getElementById('cam-toggle')?.getAttribute('aria-pressed'),
          ),
        ).toBe('false');
        const off = await until(
          async () => {
            const t = await remoteTile(other);
            return t.camOff && !t.live ? t : undefined;
          },
          15_000,
          `the camera-off tile on the ${other.engine} page`,
        );
        expect(off.state).toBe('Camera off');
        expect(off.name).toBe(who === host ? 'Hana Host' : 'Gus Guest');
        expect(
          await other.evaluate(
            (sel) =>
              document.querySelector<HTMLElement>(`${sel} .placeholder .avatar`)?.offsetParent !==
              null,
            REMOTE,
          ),
        ).toBe(true);
        await shot(other, 'meeting-camera-off');
        await click(who, '#cam-toggle');
        // Frames come again, decrypted under the same SFrame context (its counter went on).
        await until(
          async () => {
            const t = await remoteTile(other);
            return !t.camOff && t.live;
          },
          20_000,
          `the video to come back on the ${other.engine} page`,
        );
      }
    }, 120_000);

    test('the host denies someone in the lobby: they see the not-let-in screen', async () => {
      const url = new URL(invite);
      url.searchParams.set('name', 'Dee Denied');
      const dee = await guestBrowser().newPage();
      await dee.goto(url.href);
      await until(async () => (await hook(host))?.lobby.length === 1, 20_000, 'the lobby list');
      await openPane(host, 'people');
      await shot(host, 'host-controls');
      await click(host, '#lobby-list button[data-action="deny"]');
      const h = await errorScreen(dee, 20_000, 'the denied screen');
      expect(h.outcome).toBe('denied');
      expect(await text(dee, '#error-title')).toMatch(/not let in/i);
      await shot(dee, 'error-denied');
      await until(async () => (await hook(host))?.lobby.length === 0, 10_000, 'an empty lobby');
      await dee.close();
    }, 60_000);

    test('the host removes the participant by clicking: the participant sees the removed screen, the host the next epoch', async () => {
      await openPane(host, 'security');
      const before = BigInt(await text(host, '#panel-epoch'));
      await openPane(host, 'people');
      const guestId = (await hook(guest))!.userId!;
      await click(host, `#people-list li[data-user-id="${guestId}"] button[data-action="remove"]`);
      const g = await errorScreen(guest, 20_000, 'the removed screen');
      expect(g.outcome).toBe('removed');
      expect(await text(guest, '#error-title')).toMatch(/removed/i);
      await shot(guest, 'error-removed');
      await openPane(host, 'security');
      const after = await until(
        async () => {
          const e = BigInt((await text(host, '#panel-epoch')) || '0');
          return e > before ? e : undefined;
        },
        20_000,
        'the next epoch on the host page',
      );
      expect(await text(host, '#epoch')).toBe(String(after));
      expect(await text(host, '#panel-members')).toBe('1 verified');
      await until(
        () => host.evaluate(() => document.querySelectorAll('.tile:not(.local)').length === 0),
        10_000,
        "the removed member's tile to go",
      );
      // The removed member's tile went; nothing looked unverified on the way.
      expect((await hook(host))?.warnings).toEqual([]);
      await shot(host, 'encryption-panel-after-removal');
      console.log(`[app] removal: epoch ${before} → ${after}`);
      await guest.close();
    }, 60_000);

    test('a locked meeting turns a newcomer away with the locked screen', async () => {
      await openPane(host, 'people');
      await click(host, '#lock-toggle');
      expect(await text(host, '#lock-toggle span')).toBe('Meeting locked');
      const url = new URL(invite);
      url.searchParams.set('name', 'Lou Late');
      const { page: late, h } = await errorPage(url.href, 'the locked screen');
      expect(h.outcome).toBe('locked');
      await shot(late, 'error-locked');
      await late.close();
    }, 60_000);

    test('the host ends the meeting for everyone (two clicks)', async () => {
      await click(host, '#end-button');
      expect(await text(host, '#end-button')).toMatch(/again/);
      await click(host, '#end-button');
      const h = await errorScreen(host, 20_000, 'the ended screen');
      expect(h.outcome).toBe('ended');
      await shot(host, 'error-ended');
      await host.close();
    }, 60_000);

    if (options.reconnect) {
      test('a dropped connection: the meeting shows it is reconnecting and comes back by itself', async () => {
        const link = new URL((await server.links.create(server.url)).participantLink);
        link.searchParams.set('name', 'Rei Reconnect');
        const page = await guestBrowser().newPage();
        await page.goto(link.href);
        await until(async () => (await hook(page))?.state === 'joined', 30_000, 'the page to join');
        const userId = (await hook(page))!.userId;
        // The network drops: the server loses every connection (only this page's is open).
        for (const c of server.signaling.connections) c.close(1011, 'network lost');
        const lost = await until(
          async () => {
            const h = await hook(page);
            return h && h.reconnects > 0 ? h : undefined;
          },
          20_000,
          'the page to notice',
        );
        expect(lost.screen).toBe('meeting');
        expect(lost.outcome).toBeUndefined();
        const back = await until(
          async () => {
            const h = await hook(page);
            return h?.state === 'joined' && h.screen === 'meeting' && h.banner === undefined
              ? h
              : undefined;
          },
          60_000,
          'the page to be back in the meeting',
        );
        // the same member (its resume ticket), with an epoch of its new leaf
        expect(back.userId).toBe(userId);
        expect(await visible(page, '#reconnecting')).toBe(false);
        await shot(page, 'meeting-after-reconnect');
        await click(page, '#leave-button');
        const left = await errorScreen(page, 10_000, 'the left screen');
        expect(left.outcome).toBe('left');
        expect(await visible(page, '#error-actions button[data-action="rejoin"]')).toBe(true);
        await page.close();
      }, 120_000);
    }

    test('no page reported an uncaught error (nor a CSP violation)', () => {
      expect(pageErrors).toEqual([]);
    });
  });
}
