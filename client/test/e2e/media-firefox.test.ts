// Media through the SFU, encrypted with MLS epoch keys, in Chromium and
// Firefox at once: two Chromium pages (one on the insertable-streams
// fallback) and one Firefox page, members of one meeting, and a Chromium page
// with another meeting's link. Every member page must decrypt and decode
// every other one's video and audio, so frames Firefox encrypts are read in
// Chromium and the reverse (meeting-suite.ts has the tests). It runs inside a
// private network namespace (netns.ts): run from outside one, this file runs
// itself again inside one.
import { fileURLToPath } from 'node:url';
import { mediaSuite } from './meeting-suite.js';
import { engineSuite } from './netns.js';

const TITLE = 'media through the SFU in Chromium and Firefox';

engineSuite(TITLE, fileURLToPath(import.meta.url), (listenIp) =>
  mediaSuite({
    title: TITLE,
    meeting: 'e2e-media-engines',
    listenIp,
    pages: [
      { name: 'Ada', engine: 'chromium' },
      { name: 'Fox', engine: 'firefox' },
      { name: 'Cy', engine: 'chromium', encodedStreams: true },
      { name: 'Stranger', engine: 'chromium', stranger: true },
    ],
  }),
);
