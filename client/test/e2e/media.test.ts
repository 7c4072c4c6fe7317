// Media through the SFU, encrypted with MLS epoch keys, in Chromium: three
// member pages in one meeting (one of them on the insertable-streams
// fallback) and a page with another meeting's link, the real server and
// mediasoup worker on 127.0.0.1, and a server-side consumer that looks at
// what the SFU relays. The tests themselves: meeting-suite.ts.
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
      { name: 'Stranger', engine: 'chromium', stranger: true },
    ],
  });
}
