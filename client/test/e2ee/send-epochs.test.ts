// When senders move to a new MLS epoch (only on the DS's switch, except for
// their very first epoch or a new leaf), and the KID sender check receivers
// apply to every frame.
import { SFrameError, SFrameSender } from '@canopy/shared/sframe';
import { describe, expect, test } from 'vitest';
import { KID_LAYOUT, SFRAME_SUITE } from '../../src/e2ee/media-keys.js';
import { kidSenderIndex, SendEpochs } from '../../src/e2ee/send-epochs.js';

const key = (n: number) => new Uint8Array(16).fill(n);

describe('SendEpochs', () => {
  test('the first epoch is used at once; later ones only when the DS switches to them', () => {
    const s = new SendEpochs();
    expect(s.current).toBeUndefined();
    expect(s.applied(3n, key(3), 5)).toBe('new-leaf');
    expect(s.current?.epoch).toBe(3n);
    expect(s.leafIndex).toBe(5);
    expect(s.applied(4n, key(4), 5)).toBeUndefined();
    expect(s.applied(5n, key(5), 5)).toBeUndefined();
    expect(s.current?.epoch).toBe(3n); // receivers hold 4 and 5 already; senders wait
    expect(s.switched(4n)).toBe('switched');
    expect(s.current).toEqual({ epoch: 4n, baseKey: key(4) });
    expect(s.switched(4n)).toBeUndefined(); // announced twice
    expect(s.switched(3n)).toBeUndefined(); // never backwards
    expect(s.switched(5n)).toBe('switched');
    expect(s.current?.epoch).toBe(5n);
  });

  test('a switch announced before its epoch is applied takes effect when it arrives', () => {
    const s = new SendEpochs();
    s.applied(1n, key(1), 0);
    expect(s.switched(2n)).toBeUndefined();
    expect(s.current?.epoch).toBe(1n);
    expect(s.applied(2n, key(2), 0)).toBe('switched');
    expect(s.current?.epoch).toBe(2n);
    // the pending switch is used up: the next epoch waits again
    expect(s.applied(3n, key(3), 0)).toBeUndefined();
    expect(s.current?.epoch).toBe(2n);
  });

  test('a new leaf (re-added elsewhere) means new senders under the new epoch at once', () => {
    const s = new SendEpochs();
    s.applied(1n, key(1), 2);
    expect(s.applied(2n, key(2), 7)).toBe('new-leaf');
    expect(s.current?.epoch).toBe(2n);
    expect(s.leafIndex).toBe(7);
  });

  test('bad or stale input is refused and changes nothing', () => {
    const s = new SendEpochs();
    s.applied(5n, key(5), 1);
    s.applied(6n, key(6), 1);
    const bad: [bigint, Uint8Array, number][] = [
      [6n, key(9), 1], // not newer than the newest applied
      [4n, key(4), 1],
      [-1n, key(1), 1],
      [7n, new Uint8Array(0), 1],
      [7n, key(7), -1],
      [7n, key(7), 2 ** KID_LAYOUT.senderBits],
      [7n, key(7), 1.5],
    ];
    for (const [e, k, l] of bad) expect(() => s.applied(e, k, l)).toThrow(RangeError);
    expect(s.current?.epoch).toBe(5n);
    expect(s.leafIndex).toBe(1);
    expect(s.switched(6n)).toBe('switched');
    expect(s.switched('7' as unknown as bigint)).toBeUndefined();
  });
});

describe('kidSenderIndex', () => {
  const frame = (senderIndex: number, clear: number) => {
    const sender = new SFrameSender({
      suite: SFRAME_SUITE,
      layout: KID_LAYOUT,
      senderIndex,
      context: 1,
    });
    sender.setEpoch(9n, key(1));
    return sender.encryptFrame(new Uint8Array(40).fill(7), clear);
  };

  test("reads the sender's leaf from the KID after the clear bytes", () => {
    expect(kidSenderIndex(frame(0, 3), 3)).toBe(0);
    expect(kidSenderIndex(frame(4242, 10), 10)).toBe(4242);
    expect(kidSenderIndex(frame(0xffff, 1), 1)).toBe(0xffff);
    // another member's frame on this track names its own leaf, not the track's
    expect(kidSenderIndex(frame(6, 3), 3)).not.toBe(5);
  });

  test('malformed frames are an SFrameError', () => {
    expect(() => kidSenderIndex(new Uint8Array(0), 0)).toThrow(SFrameError);
    expect(() => kidSenderIndex(new Uint8Array(2), 3)).toThrow(SFrameError);
    // a KID wider than the layout (24 bits) names no sender: X=1, 4-byte KID, CTR 0
    expect(() => kidSenderIndex(Uint8Array.of(0xb0, 0xff, 0xff, 0xff, 0xff), 0)).toThrow(
      SFrameError,
    );
  });
});
