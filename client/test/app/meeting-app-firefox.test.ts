// The meeting app across engines: a host in Firefox admits a participant in
// Chromium, then a host in Chromium admits one in Firefox, each through the
// same click-through as in Chromium alone (app-suite.ts); the error screens
// are shown in Firefox. It runs inside a private network namespace
// (../e2e/netns.ts: Firefox cannot reach an SFU on loopback); run from outside
// one, this file runs itself again inside one.
import { fileURLToPath } from 'node:url';
import { engineSuite } from '../e2e/netns.js';
import { appSuite } from './app-suite.js';

const TITLE = 'the meeting app in Firefox and Chromium (host in one, participant in the other)';

engineSuite(TITLE, fileURLToPath(import.meta.url), (listenIp) => {
  appSuite({
    title: `${TITLE}: host in Firefox, participant in Chromium`,
    host: 'firefox',
    guest: 'chromium',
    listenIp,
  });
  appSuite({
    title: `${TITLE}: host in Chromium, participant in Firefox`,
    host: 'chromium',
    guest: 'firefox',
    listenIp,
    errorScreens: true,
  });
});
