// The meeting app in Chromium, host and participant in one browser, against
// the real server and mediasoup worker on 127.0.0.1: the landing page, the
// lobby, the grid and encryption panel, mute and camera off, host controls,
// every error screen and reconnecting. The tests themselves: app-suite.ts.
import {
  chromium as chromiumTool,
  mediasoupTestModule,
  withTools,
} from '../../../shared/test/support/tools.js';
import { appSuite } from './app-suite.js';

const TITLE = 'the meeting app in Chromium (landing, lobby, host controls, errors)';

if (withTools(TITLE, [chromiumTool(), mediasoupTestModule()])) {
  appSuite({
    title: TITLE,
    host: 'chromium',
    guest: 'chromium',
    errorScreens: true,
    reconnect: true,
  });
}
