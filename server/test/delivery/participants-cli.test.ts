// The headless-participants entry point (bench/src/participants.ts) against a
// delivery service behind real signed links.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { MeetingLinks } from '../../src/auth/index.js';
import { startDelivery, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('participants CLI', () => {
  test('starts N participants from a link; they share one epoch and security code', async () => {
    const links = new MeetingLinks();
    env = await startDelivery({}, { links });
    const meeting = await links.create(env.url.replace('ws://', 'http://').replace(/\/ws$/, ''));
    const asKey = Buffer.from(env.as.publicKey).toString('base64url');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/src/participants.ts',
        '--link',
        `${meeting.participantLink}#as=${asKey}`,
        '-n',
        '4',
        '--quiet',
      ],
      { cwd: root, timeout: 60_000 },
    );
    expect(stdout).toContain('4/4 in the group');
    expect(stdout).toContain('all participants share one epoch and security code');
  }, 90_000);
});
