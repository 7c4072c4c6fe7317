// Media through the SFU, encrypted, in Chromium: four pages in one meeting
// (three with the fixed test key — one of them on the insertable-streams
// fallback — and one with a different key), the real server and mediasoup
// worker on 127.0.0.1, and a server-side consumer that looks at what the SFU
// relays. The tests themselves: meeting-suite.ts.
import {
  chromium as chromiumTool,
  mediasoupTestModule,
  withTools,
} from '../../../shared/test/support/tools.js';
import { mediaSuite } from './meeting-suite.js';

const TITLE = 'media through the SFU in Chromium';

if (withTools(TITLE, [chromiumTool(), mediasoupTestModule()])) {
  mediaSuite({
    title: TITLE,
    meeting: 'e2e-media',
    pages: [
      { name: 'Ada', engine: 'chromium' },
      { name: 'Bo', engine: 'chromium' },
      { name: 'Cy', engine: 'chromium', encodedStreams: true },
      { name: 'Stranger', engine: 'chromium', otherKey: '00112233445566778899aabbccddeeff' },
    ],
  });
}
