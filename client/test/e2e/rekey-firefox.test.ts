// Rekeying with Chromium and Firefox pages in one meeting run by a headless
// host: a Chromium page leaves, a Firefox page is removed, a Firefox page joins
// later and has its connection dropped; the lobby, lock and tampered link with
// Firefox pages; the end. Runs inside a private network namespace (netns.ts:
// Firefox cannot reach an SFU on loopback); run from outside one, this file
// runs itself again inside one. The tests themselves: rekey-suite.ts.
import { fileURLToPath } from 'node:url';
import { engineSuite } from './netns.js';
import { rekeySuite } from './rekey-suite.js';

const TITLE =
  'rekeying media in Chromium and Firefox: leave, removal, join, lobby, lock, drop, end';

engineSuite(TITLE, fileURLToPath(import.meta.url), (listenIp) =>
  rekeySuite({
    title: TITLE,
    meeting: 'e2e-rekey-engines',
    listenIp,
    stay: [
      { name: 'Ada', engine: 'chromium' },
      { name: 'Fox', engine: 'firefox' },
    ],
    leaver: { name: 'Lee', engine: 'chromium' },
    removed: { name: 'Rem', engine: 'firefox' },
    joiner: { name: 'Jo', engine: 'firefox' },
    outsider: 'firefox',
  }),
);
