// Bad input at every delivery frame: a typed error frame, then that
// connection alone is closed; members of the meeting carry on.
import {
  type ClientIdentity,
  encodeExternalSenders,
  encodeRequiredCapabilities,
  generateKeyPackage,
  MlsGroup,
} from '@canopy/shared/mls';
import {
  type ClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  type ServerFrame,
} from '@canopy/shared/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Participant } from '../../../client/src/participant/index.js';
import { settled, startDelivery, suite, type TestDelivery } from './support.js';

let env: TestDelivery;
let members: Participant[];

beforeAll(async () => {
  env = await startDelivery({ selfUpdateDelayMs: 0 });
  members = [env.participant('bad', 'A'), env.participant('bad', 'B')];
  for (const p of members) await p.connect();
  await settled(members);
});
afterAll(() => env.close());

/** A raw connection: sends frames, collects what the server sends until it closes. */
async function raw(
  frames: (Uint8Array | ClientFrame)[],
  waitAfter = 0,
): Promise<{ got: ServerFrame[]; code: number }> {
  const ws = new WebSocket(env.url);
  ws.binaryType = 'arraybuffer';
  const got: ServerFrame[] = [];
  ws.onmessage = (ev) => got.push(decodeServerFrame(new Uint8Array(ev.data as ArrayBuffer)));
  const closed = new Promise<number>((r) => {
    ws.onclose = (ev) => r(ev.code);
  });
  await new Promise((r) => {
    ws.onopen = r;
  });
  for (const f of frames) {
    ws.send(f instanceof Uint8Array ? f : encodeClientFrame(f));
    if (waitAfter) await new Promise((r) => setTimeout(r, waitAfter));
  }
  return { got, code: await closed };
}

const key = () => suite.signature.publicKey(suite.signature.generatePrivateKey());
const hello = (meeting = 'bad'): ClientFrame => ({
  type: 'hello',
  token: env.links.issue(meeting),
  displayName: 'X',
  signatureKey: key(),
});

function lastError(got: ServerFrame[]): { code: string; fatal: boolean } {
  const e = got.at(-1);
  expect(e?.type).toBe('error');
  return e as { code: string; fatal: boolean } & ServerFrame;
}

async function expectMembersUnaffected(): Promise<void> {
  const before = members[0].epoch!;
  members[1].update();
  await settled(members);
  expect(members[0].epoch).toBe(before + 1n);
}

describe('bad input', () => {
  const kinds: [string, Uint8Array][] = [
    ['empty frame', new Uint8Array(0)],
    ['unknown type', Uint8Array.of(99)],
    ['server frame type', Uint8Array.of(130)],
    [
      'truncated hello',
      encodeClientFrame({
        type: 'hello',
        token: 'tok',
        displayName: 'X',
        signatureKey: new Uint8Array(32),
      }).subarray(0, 5),
    ],
    ['truncated key-package', Uint8Array.of(2, 0x40)],
    ['truncated group-create', Uint8Array.of(3, 1, 0)],
    ['truncated commit', Uint8Array.of(4, 0)],
    ['oversized ack', Uint8Array.of(5, ...new Uint8Array(20))],
    ['bad report subject', Uint8Array.of(6, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0)],
    ['bad host action', Uint8Array.of(7, 77, 0)],
    ['leave with a body', Uint8Array.of(8, 0)],
  ];
  test.each(kinds)('%s: invalid-message, connection closed', async (_, bytes) => {
    const { got, code } = await raw([bytes]);
    const e = lastError(got);
    expect(e.code).toMatch(/^(invalid-message|message-too-large)$/);
    expect(e.fatal).toBe(true);
    expect(code).toBe(1008);
  });

  test('well-formed frames out of order or for someone else are refused', async () => {
    const cases: [ClientFrame[], string][] = [
      [[{ type: 'ack', epoch: 0n }], 'unexpected-frame'],
      [[{ type: 'hello', token: 'forged', displayName: 'X', signatureKey: key() }], 'invalid-link'],
      [[hello(), hello()], 'unexpected-frame'],
      [
        [hello(), { type: 'key-package', keyPackage: Uint8Array.of(1, 2, 3) }],
        'invalid-key-package',
      ],
      [
        [
          hello(),
          { type: 'group-create', groupInfo: new Uint8Array(4), ratchetTree: new Uint8Array(4) },
        ],
        'unexpected-frame',
      ],
      [
        [hello(), { type: 'commit', commit: new Uint8Array(4), groupInfo: new Uint8Array(4) }],
        'unexpected-frame',
      ],
      [[hello(), { type: 'host', action: 'end' }], 'not-allowed'],
      [[{ ...hello(), signatureKey: new Uint8Array(5) } as ClientFrame], 'invalid-signature-key'],
    ];
    for (const [frames, expected] of cases) {
      const { got, code } = await raw(frames, 50);
      expect(lastError(got).code, JSON.stringify(frames.map((f) => f.type))).toBe(expected);
      expect(code).toBe(1008);
    }
    await expectMembersUnaffected();
  });

  test('a second connection with a signature key already in the meeting is refused', async () => {
    const signatureKey = key();
    const first = new WebSocket(env.url);
    first.binaryType = 'arraybuffer';
    const identity = new Promise<ServerFrame>((resolve) => {
      first.onmessage = (ev) => resolve(decodeServerFrame(new Uint8Array(ev.data as ArrayBuffer)));
    });
    await new Promise((r) => {
      first.onopen = r;
    });
    first.send(encodeClientFrame({ ...hello(), signatureKey } as ClientFrame));
    expect((await identity).type).toBe('identity');
    const { got } = await raw([{ ...hello(), signatureKey } as ClientFrame]);
    expect(lastError(got).code).toBe('duplicate-user');
    first.close();
  });

  test("a KeyPackage with someone else's credential is refused", async () => {
    // the KeyPackage of a member (its credential, its key) sent on another connection
    const other = env.participant('bad', 'Thief');
    const stolen = new Promise<Uint8Array>((resolve) => {
      const o = other as unknown as { send(f: ClientFrame): void };
      const send = o.send.bind(other);
      o.send = (f) => {
        if (f.type === 'key-package') resolve(f.keyPackage);
        send(f);
      };
    });
    void other.connect().catch(() => {});
    const kp = await stolen;
    const { got } = await raw([hello(), { type: 'key-package', keyPackage: kp }], 50);
    expect(lastError(got).code).toBe('invalid-key-package');
    await expectMembersUnaffected();
  });
});

describe("the first member's group", () => {
  /** Says hello on a fresh meeting, sends a KeyPackage, and answers create-group with `make`'s group. */
  async function create(
    meetingId: string,
    make: (identity: ClientIdentity, dsKey: Uint8Array) => MlsGroup,
  ): Promise<ServerFrame[]> {
    const priv = suite.signature.generatePrivateKey();
    const pub = suite.signature.publicKey(priv);
    const ws = new WebSocket(env.url);
    ws.binaryType = 'arraybuffer';
    const got: ServerFrame[] = [];
    const closed = new Promise((r) => {
      ws.onclose = r;
    });
    await new Promise((r) => {
      ws.onopen = r;
    });
    const send = (f: ClientFrame) => ws.send(encodeClientFrame(f));
    ws.onmessage = (ev) => {
      const f = decodeServerFrame(new Uint8Array(ev.data as ArrayBuffer));
      got.push(f);
      if (f.type === 'identity') {
        const identity = {
          credential: f.credential,
          signaturePrivateKey: priv,
          signaturePublicKey: pub,
        };
        (ws as unknown as { identity: ClientIdentity }).identity = identity;
        (ws as unknown as { dsKey: Uint8Array }).dsKey = f.externalSenderKey;
        send({ type: 'key-package', keyPackage: generateKeyPackage(suite, identity).message });
      } else if (f.type === 'create-group') {
        const w = ws as unknown as { identity: ClientIdentity; dsKey: Uint8Array };
        const g = make(w.identity, w.dsKey);
        send({ type: 'group-create', groupInfo: g.groupInfo(), ratchetTree: g.ratchetTree() });
        send({ type: 'ack', epoch: 0n });
        setTimeout(() => ws.close(), 300);
      }
    };
    send({
      type: 'hello',
      token: env.links.issue(meetingId),
      displayName: 'Creator',
      signatureKey: pub,
    });
    await closed;
    return got;
  }

  const dsSender = (dsKey: Uint8Array) =>
    encodeExternalSenders([
      { signatureKey: dsKey, credential: { type: 'basic', identity: Uint8Array.of(1) } },
    ]);
  const caps = encodeRequiredCapabilities({
    extensionTypes: [],
    proposalTypes: [],
    credentialTypes: [1],
  });

  test('a group that names the DS and has the creator as its member is accepted', async () => {
    const got = await create('g-ok', (identity, dsKey) =>
      MlsGroup.create({ suite, identity, extensions: [dsSender(dsKey), caps] }),
    );
    expect(got.map((f) => f.type)).toEqual(['identity', 'create-group', 'resume-ticket', 'switch']);
  });

  test('a group without the DS as external sender is refused', async () => {
    const got = await create('g-nods', (identity) =>
      MlsGroup.create({ suite, identity, extensions: [caps] }),
    );
    expect(lastError(got).code).toBe('invalid-group');
  });

  test("a group whose member is not the connection's key is refused", async () => {
    const got = await create('g-other', (_identity, dsKey) => {
      const priv = suite.signature.generatePrivateKey();
      const pub = suite.signature.publicKey(priv);
      const credential = env.as.issueCredential(
        { meetingId: 'g-other', userId: 'other', displayName: 'Other', role: 'host' },
        pub,
      );
      return MlsGroup.create({
        suite,
        identity: { credential, signaturePrivateKey: priv, signaturePublicKey: pub },
        extensions: [dsSender(dsKey), caps],
      });
    });
    expect(lastError(got).code).toBe('invalid-group');
  });
});
