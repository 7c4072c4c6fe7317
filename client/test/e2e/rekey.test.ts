// Rekeying in Chromium: four member pages in a meeting run by a headless host
// (the participant core in Node); one leaves, one is removed, one joins later
// and has its connection dropped; the lobby, lock, a tampered link and the
// end. The real server and mediasoup worker on 127.0.0.1. The tests
// themselves: rekey-suite.ts.
import {
  chromium as chromiumTool,
  mediasoupTestModule,
  withTools,
} from '../../../shared/test/support/tools.js';
import { rekeySuite } from './rekey-suite.js';

const TITLE = 'rekeying media in Chromium: leave, removal, join, lobby, lock, drop, end';

if (withTools(TITLE, [chromiumTool(), mediasoupTestModule()])) {
  rekeySuite({
    title: TITLE,
    meeting: 'e2e-rekey',
    stay: [
      { name: 'Ada', engine: 'chromium' },
      { name: 'Bo', engine: 'chromium' },
    ],
    leaver: { name: 'Lee', engine: 'chromium' },
    removed: { name: 'Rem', engine: 'chromium' },
    joiner: { name: 'Jo', engine: 'chromium' },
    outsider: 'chromium',
  });
}
