// The meeting app's logic that needs no browser: the key worker's check of
// the page's messages (the page is untrusted), the meeting link parser, the
// encryption panel's warnings, the error screens' mapping, and the sentence a
// new epoch shows, and the speaking ring's level and hysteresis.
import { describe, expect, test } from 'vitest';
import {
  assessHealth,
  codeGroups,
  FAILURE_WARN_THRESHOLD,
  FAILURE_WINDOW_MS,
  FailureWindow,
} from '../../src/app/health.js';
import { parseLocation } from '../../src/app/link.js';
import { epochChange, participantInvite } from '../../src/app/notices.js';
import { describeOutcome, outcomeOfRemoval, outcomeOfServerCode } from '../../src/app/outcomes.js';
import {
  EnergyLevels,
  loudestBlockLevel,
  SPEAKING_HOLD_MS,
  SPEAKING_OFF,
  SPEAKING_ON,
  SpeakingState,
} from '../../src/app/speaking.js';
import { parseToKeyWorker } from '../../src/keys/messages.js';

describe('parseToKeyWorker: the key worker drops anything from the page that is not exactly a message', () => {
  const port = () => new MessageChannel().port1;
  const start = () => ({
    type: 'start',
    url: 'ws://127.0.0.1:8080/ws',
    token: 'a.b.c',
    displayName: 'Ada',
    asPublicKey: new Uint8Array(32),
    mediaKeys: port(),
  });

  test('well-formed messages pass, with only their known fields', () => {
    const s = start();
    const parsed = parseToKeyWorker({ ...s, extra: 'dropped' });
    expect(parsed).toEqual(s);
    expect(parsed).not.toHaveProperty('extra');
    expect(parseToKeyWorker({ type: 'signal', text: '{}' })).toEqual({
      type: 'signal',
      text: '{}',
    });
    expect(parseToKeyWorker({ type: 'host', action: 'admit', userId: 'u_1-x' })).toEqual({
      type: 'host',
      action: 'admit',
      userId: 'u_1-x',
    });
    expect(parseToKeyWorker({ type: 'host', action: 'lock' })).toEqual({
      type: 'host',
      action: 'lock',
    });
    expect(parseToKeyWorker({ type: 'leave' })).toEqual({ type: 'leave' });
    expect(parseToKeyWorker({ type: 'close' })).toEqual({ type: 'close' });
    const withHeartbeat = { ...start(), heartbeatMs: 500 };
    expect(parseToKeyWorker(withHeartbeat)).toEqual(withHeartbeat);
    const p2 = port();
    expect(parseToKeyWorker({ type: 'media-keys', port: p2, extra: 1 })).toEqual({
      type: 'media-keys',
      port: p2,
    });
    for (const p of [...Object.values(s), ...Object.values(withHeartbeat), p2])
      if (p instanceof MessagePort) p.close();
  });

  test.each([
    ['not an object', 'start'],
    ['null', null],
    ['an unknown type', { type: 'keys' }],
    ['a signal that is not text', { type: 'signal', text: new Uint8Array(3) }],
    ['an oversized signal', { type: 'signal', text: 'x'.repeat((1 << 20) + 1) }],
    ['an unknown host action', { type: 'host', action: 'promote', userId: 'u' }],
    ['admit without a user', { type: 'host', action: 'admit' }],
    ['remove with a malformed user', { type: 'host', action: 'remove', userId: 'a b' }],
    ['remove with a long user', { type: 'host', action: 'remove', userId: 'u'.repeat(65) }],
    ['lock naming a user', { type: 'host', action: 'lock', userId: 'u' }],
    ['media-keys without a port', { type: 'media-keys', port: {} }],
  ])('drops %s', (_what, data) => {
    expect(parseToKeyWorker(data)).toBeUndefined();
  });

  test.each([
    ['an http URL', { url: 'http://x/ws' }],
    ['no token', { token: '' }],
    ['an empty name', { displayName: '' }],
    ['an AS key that is not bytes', { asPublicKey: 'AAAA' }],
    ['no media-keys port', { mediaKeys: {} }],
    ['a heartbeat too fast', { heartbeatMs: 10 }],
    ['a heartbeat too slow', { heartbeatMs: 600_000 }],
    ['a heartbeat that is not a whole number', { heartbeatMs: 1000.5 }],
    ['a heartbeat that is not a number', { heartbeatMs: '1000' }],
  ])('drops a start with %s', (_what, change) => {
    expect(parseToKeyWorker({ ...start(), ...change })).toBeUndefined();
  });
});

describe('parseLocation: the meeting link as the page sees it', () => {
  const key = Buffer.alloc(32, 7).toString('base64url');

  test('the landing page, a whole link, and its parts', () => {
    expect(parseLocation(new URL('http://h/'))).toEqual({ kind: 'landing' });
    const p = parseLocation(
      new URL(`http://h/m/abc_1?t=x.y.z&name=%20Ada%20&transform=encoded-streams#as=${key}`),
    );
    expect(p.kind).toBe('meeting');
    if (p.kind !== 'meeting') return;
    expect(p.link).toMatchObject({
      meetingId: 'abc_1',
      token: 'x.y.z',
      name: 'Ada',
      transform: 'encoded-streams',
    });
    expect([...p.link.asPublicKey]).toEqual([...Buffer.alloc(32, 7)]);
  });

  test('no name, an unknown transform: neither is set; a long name is cut to 64', () => {
    const p = parseLocation(new URL(`http://h/m/abc?t=x&transform=none#as=${key}`));
    expect(p.kind === 'meeting' && p.link).not.toHaveProperty('name');
    expect(p.kind === 'meeting' && p.link).not.toHaveProperty('transform');
    const long = parseLocation(new URL(`http://h/m/abc?t=x&name=${'n'.repeat(100)}#as=${key}`));
    expect(long.kind === 'meeting' && long.link.name).toHaveLength(64);
  });

  test('control characters leave the name (the server would refuse it)', () => {
    const p = parseLocation(new URL(`http://h/m/abc?t=x&name=A%01d%7Fa%0A#as=${key}`));
    expect(p.kind === 'meeting' && p.link.name).toBe('Ada');
    const blank = parseLocation(new URL(`http://h/m/abc?t=x&name=%01%02#as=${key}`));
    expect(blank.kind === 'meeting' && blank.link).not.toHaveProperty('name');
  });

  test.each([
    ['no token', `http://h/m/abc#as=${key}`, 'token'],
    ['a token with other characters', `http://h/m/abc?t=a%20b#as=${key}`, 'token'],
    ['no AS key', 'http://h/m/abc?t=x', 'as-key'],
    ['an AS key that is not base64url', 'http://h/m/abc?t=x#as=a+b/', 'as-key'],
  ])('%s is an incomplete link', (_what, url, missing) => {
    expect(parseLocation(new URL(url))).toEqual({ kind: 'bad-link', meetingId: 'abc', missing });
  });
});

describe('the encryption panel warnings', () => {
  const ok = { unverified: [], rejected: [], recentFailures: 0, wrongSender: 0 };

  test('none when all is well; a few failures at a switch are not a warning', () => {
    expect(assessHealth(ok)).toEqual([]);
    expect(assessHealth({ ...ok, recentFailures: FAILURE_WARN_THRESHOLD - 1 })).toEqual([]);
  });

  test('an unverified member, forged frames, refused changes, climbing failures', () => {
    expect(assessHealth({ ...ok, unverified: ['participant #3'] })[0]).toMatch(
      /Could not verify participant #3/,
    );
    expect(assessHealth({ ...ok, wrongSender: 2 })[0]).toMatch(/another member/);
    expect(
      assessHealth({ ...ok, rejected: [{ what: 'proposal', message: 'bad signature' }] })[0],
    ).toMatch(/did not verify: bad signature/);
    expect(assessHealth({ ...ok, rejected: [{ what: 'commit', message: 'x' }] })[0]).toMatch(
      /re-adding/,
    );
    expect(assessHealth({ ...ok, recentFailures: FAILURE_WARN_THRESHOLD })[0]).toMatch(
      /failed to decrypt/,
    );
  });

  test('FailureWindow counts only the failures within the window', () => {
    const w = new FailureWindow();
    expect(w.sample(0, 0)).toBe(0);
    expect(w.sample(10, 1_000)).toBe(10);
    expect(w.sample(30, 5_000)).toBe(30);
    // the sample at 0 leaves the window: counted from the one at 1 s
    expect(w.sample(30, FAILURE_WINDOW_MS + 1_500)).toBe(20);
    expect(w.sample(30, 3 * FAILURE_WINDOW_MS)).toBe(0);
  });

  test('the security code in groups; anything else is dropped', () => {
    expect(codeGroups('12345 67890 00001')).toEqual(['12345', '67890', '00001']);
    expect(codeGroups(' 12345  <b> ')).toEqual(['12345']);
  });
});

describe('error screens', () => {
  test('server codes and removal reasons map to screens', () => {
    expect(outcomeOfServerCode('invalid-link')).toBe('invalid-link');
    expect(outcomeOfServerCode('wrong-meeting')).toBe('invalid-link');
    expect(outcomeOfServerCode('expired-link')).toBe('expired-link');
    expect(outcomeOfServerCode('meeting-ended')).toBe('ended');
    expect(outcomeOfServerCode(undefined)).toBe('failed');
    expect(outcomeOfRemoval('locked')).toBe('locked');
    expect(outcomeOfRemoval('denied')).toBe('denied');
    expect(outcomeOfRemoval('removed')).toBe('removed');
    expect(outcomeOfRemoval('timeout')).toBe('connection-lost');
  });

  test('a lost connection offers to reconnect; a removal does not', () => {
    expect(describeOutcome('connection-lost').actions).toContain('reconnect');
    expect(describeOutcome('removed').actions).not.toContain('reconnect');
    expect(describeOutcome('locked').title).toMatch(/locked/);
  });
});

test('a new epoch says who joined or left and that the keys changed', () => {
  const ada = {
    meetingId: 'm',
    userId: 'a',
    displayName: 'Ada',
    role: 'host' as const,
    leafIndex: 0,
  };
  const bo = {
    meetingId: 'm',
    userId: 'b',
    displayName: 'Bo',
    role: 'participant' as const,
    leafIndex: 1,
  };
  const view = (epoch: bigint, roster: (typeof ada | typeof bo)[]) => ({
    epoch,
    leafIndex: 0,
    securityCode: '',
    roster,
  });
  expect(epochChange([ada], view(3n, [ada, bo]))).toBe('Bo joined. New keys: epoch 3');
  expect(epochChange([ada, bo], view(4n, [ada]))).toBe('Bo left. New keys: epoch 4');
  expect(epochChange([ada], view(5n, [ada]))).toBe('New keys: epoch 5');
});

test("a participant's invite is its own link without its name or test options", () => {
  expect(
    participantInvite('http://h/m/abc?t=x.y.z&name=Ada&transform=encoded-streams#as=KEY'),
  ).toBe('http://h/m/abc?t=x.y.z#as=KEY');
});

describe('the speaking ring: the loudest block of decoded audio, with hysteresis', () => {
  const BLOCK = 960; // 20 ms at 48 kHz
  const window = (beepAt?: number, amplitude = 0.2) => {
    const w = new Float32Array(8192);
    if (beepAt !== undefined)
      for (let i = beepAt; i < beepAt + BLOCK && i < w.length; i++)
        w[i] = amplitude * Math.sin((2 * Math.PI * 400 * i) / 48_000);
    return w;
  };

  test('silence is 0; a 20 ms sound anywhere in the window counts, at its own loudness', () => {
    expect(loudestBlockLevel(window(), BLOCK)).toBe(0);
    const early = loudestBlockLevel(window(0), BLOCK);
    const late = loudestBlockLevel(window(8192 - BLOCK), BLOCK);
    const straddling = loudestBlockLevel(window(BLOCK / 2 + 7 * BLOCK), BLOCK);
    expect(early).toBeGreaterThan(SPEAKING_ON);
    expect(late).toBeCloseTo(early, 2);
    // split across two blocks, it still reads at least half its loudness
    expect(straddling).toBeGreaterThan(early / 2);
    // a sine's RMS is its amplitude over √2
    expect(early).toBeCloseTo(0.2 / Math.SQRT2, 3);
    expect(loudestBlockLevel(window(0, 0.002), BLOCK)).toBeLessThan(SPEAKING_OFF);
    expect(loudestBlockLevel(window(0, 10), BLOCK)).toBe(1);
    expect(loudestBlockLevel(window(0, 0.05), BLOCK)).toBeGreaterThan(SPEAKING_ON);
    expect(loudestBlockLevel(new Float32Array(0), BLOCK)).toBe(0);
  });

  test('on at SPEAKING_ON, held while above SPEAKING_OFF, off after SPEAKING_HOLD_MS below it', () => {
    const s = new SpeakingState();
    expect(s.update(SPEAKING_OFF + 0.001, 0)).toBe(false); // between the two: not enough to start
    expect(s.update(SPEAKING_ON, 100)).toBe(true);
    expect(s.update(SPEAKING_OFF, 200)).toBe(true); // between the two: keeps going
    expect(s.update(0, 300)).toBe(true); // quiet: counting down
    expect(s.update(0, 300 + SPEAKING_HOLD_MS - 1)).toBe(true);
    expect(s.update(SPEAKING_OFF, 300 + SPEAKING_HOLD_MS)).toBe(true); // a word: the count restarts
    expect(s.update(0, 2_000)).toBe(true);
    expect(s.update(0, 2_000 + SPEAKING_HOLD_MS)).toBe(false);
    expect(s.speaking).toBe(false);
    expect(s.update(SPEAKING_ON - 0.001, 5_000)).toBe(false);
  });

  test('a remote level is the RMS of everything decoded between two readings', () => {
    const levels = new EnergyLevels();
    const read = (key: string, trackKey: string, energy: number, duration: number) => ({
      key,
      trackKey,
      totalAudioEnergy: energy,
      totalSamplesDuration: duration,
    });
    levels.update([read('ada', 'p1', 1, 10), read('bo', 'p2', 0, 5)]);
    expect(levels.level('ada')).toBe(0); // one reading: no interval yet
    // Ada: a 20 ms beep at RMS 0.5 within 250 ms (energy is level² × seconds); Bo: silence.
    levels.update([read('ada', 'p1', 1 + 0.25 * 0.02, 10.25), read('bo', 'p2', 0, 5.25)]);
    expect(levels.level('ada')).toBeCloseTo(0.5 * Math.sqrt(0.02 / 0.25), 6);
    expect(levels.level('ada')).toBeGreaterThan(SPEAKING_ON);
    expect(levels.level('bo')).toBe(0);
    // Nothing decoded since (a stalled receiver), counters that went back, a new track:
    // no level rather than a wrong one.
    levels.update([read('ada', 'p1', 1.005, 10.25), read('bo', 'p2', -1, 5.5)]);
    expect(levels.level('ada')).toBe(0);
    expect(levels.level('bo')).toBe(0);
    levels.update([read('ada', 'p3', 50, 10.5), read('bo', 'p2', -1, 5.75)]);
    expect(levels.level('ada')).toBe(0);
    expect(levels.level('bo')).toBe(0);
    // A participant no longer read has no level.
    levels.update([read('ada', 'p3', 50.01, 11)]);
    expect(levels.level('ada')).toBeCloseTo(Math.sqrt(0.01 / 0.5), 6);
    levels.update([]);
    expect(levels.level('ada')).toBe(0);
    expect(levels.level('nobody')).toBe(0);
  });
});
