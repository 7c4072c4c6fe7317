// Media through the SFU, encrypted with MLS epoch keys, in Chromium and
// Firefox at once: two Chromium pages (one on the insertable-streams
// fallback) and one Firefox page, members of one meeting, and a Chromium page
// with another meeting's link. Every member page must decrypt and decode
// every other one's video and audio, so frames Firefox encrypts are read in
// Chromium and the reverse (meeting-suite.ts has the tests). It runs inside a
// private network namespace (netns.ts): run from outside one, this file runs
// itself again inside one.
import { fileURLToPath } from 'node:url';
import {
  chromium as chromiumTool,
  firefox as firefoxTool,
  mediasoupTestModule,
  networkNamespace,
  withTools,
} from '../../../shared/test/support/tools.js';
import { mediaSuite } from './meeting-suite.js';
import { namespaceIp, runInNamespaceSuite } from './netns.js';

const TITLE = 'media through the SFU in Chromium and Firefox';

const netns = networkNamespace();
const tools = [chromiumTool(), firefoxTool(), mediasoupTestModule(), netns];

if (withTools(TITLE, tools)) {
  const listenIp = namespaceIp();
  if (listenIp) {
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
    });
  } else runInNamespaceSuite(TITLE, netns.path!, fileURLToPath(import.meta.url));
}
