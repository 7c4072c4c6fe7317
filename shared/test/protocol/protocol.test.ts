import { describe, expect, test } from 'vitest';
import {
  DtlsParameters,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
  LIMITS,
  ProtocolError,
  parseRequest,
  parseResult,
  parseServerMessage,
  RtpCapabilities,
  RtpParameters,
  requests,
  utf8Length,
} from '../../src/protocol/index.js';

function rejects(text: string, code: string, requestId: number | null = null): ProtocolError {
  let err: unknown;
  try {
    parseRequest(text);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  expect((err as ProtocolError).requestId).toBe(requestId);
  return err as ProtocolError;
}

const vp8: RtpParameters = {
  mid: '0',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: [{ type: 'nack', parameter: '' }, { type: 'goog-remb' }],
    },
    { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } },
  ],
  headerExtensions: [
    { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1, encrypt: false, parameters: {} },
  ],
  encodings: [{ ssrc: 123456, rtx: { ssrc: 123457 }, scalabilityMode: 'L1T3', maxBitrate: 500000 }],
  rtcp: { cname: 'abc', reducedSize: true },
};

const dtls: DtlsParameters = {
  role: 'client',
  fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD:EF:01' }],
};

describe('requests', () => {
  test('a valid request parses, typed by its method', () => {
    const r = parseRequest(
      encodeRequest(7, 'meeting.join', { meetingId: 'abc-1', displayName: 'Ada', token: 'a.b.c' }),
    );
    expect(r).toEqual({
      id: 7,
      method: 'meeting.join',
      data: { meetingId: 'abc-1', displayName: 'Ada', token: 'a.b.c' },
    });
    if (r.method === 'meeting.join') expect(r.data.displayName).toBe('Ada');
  });

  test('every media request round-trips through encodeRequest/parseRequest', () => {
    const samples = {
      'meeting.join': { meetingId: 'm', displayName: 'Bo', token: 'a.b.c' },
      'meeting.leave': {},
      'rtpCapabilities.set': {
        rtpCapabilities: {
          codecs: [
            {
              kind: 'audio',
              mimeType: 'audio/opus',
              preferredPayloadType: 100,
              clockRate: 48000,
              channels: 2,
              parameters: { useinbandfec: 1 },
              rtcpFeedback: [{ type: 'transport-cc' }],
            },
          ],
          headerExtensions: [
            {
              kind: 'video',
              uri: 'urn:3gpp:video-orientation',
              preferredId: 4,
              direction: 'sendrecv',
            },
          ],
        },
      },
      'transport.create': { direction: 'recv' },
      'transport.connect': { transportId: 't-1', dtlsParameters: dtls },
      'producer.create': { transportId: 't-1', kind: 'video', rtpParameters: vp8 },
      'producer.close': { producerId: 'p' },
      'producer.pause': { producerId: 'p' },
      'producer.resume': { producerId: 'p' },
      'consumer.create': { transportId: 't', producerId: 'p' },
      'consumer.resume': { consumerId: 'c' },
    } as const;
    expect(Object.keys(samples).sort()).toEqual(Object.keys(requests).sort());
    let id = 0;
    for (const [method, data] of Object.entries(samples)) {
      const r = parseRequest(JSON.stringify({ id: ++id, method, data }));
      expect(r).toEqual({ id, method, data });
    }
  });

  test('not JSON → malformed-json', () => {
    rejects('{"id":1,', 'malformed-json');
    rejects('', 'malformed-json');
  });

  test('not an envelope → invalid-message (with the id when it could be read)', () => {
    rejects('[]', 'invalid-message');
    rejects('null', 'invalid-message');
    rejects('42', 'invalid-message');
    rejects('{"method":"meeting.leave","data":{}}', 'invalid-message');
    rejects('{"id":-1,"method":"meeting.leave","data":{}}', 'invalid-message');
    rejects('{"id":1.5,"method":"meeting.leave","data":{}}', 'invalid-message');
    rejects(
      `{"id":${LIMITS.maxRequestId + 1},"method":"meeting.leave","data":{}}`,
      'invalid-message',
    );
    rejects('{"id":3,"method":"meeting.leave"}', 'invalid-message', 3);
    rejects('{"id":3,"method":"meeting.leave","data":{},"extra":1}', 'invalid-message', 3);
    rejects('{"id":4,"method":"Meeting Join","data":{}}', 'invalid-message', 4);
    rejects(`{"id":4,"method":"${'a'.repeat(65)}","data":{}}`, 'invalid-message', 4);
  });

  test('a method nobody serves → unknown-method, including prototype names', () => {
    rejects('{"id":5,"method":"meeting.explode","data":{}}', 'unknown-method', 5);
    rejects('{"id":5,"method":"constructor","data":{}}', 'unknown-method', 5);
    rejects('{"id":5,"method":"toString","data":{}}', 'unknown-method', 5);
  });

  test('data of the wrong shape → invalid-data naming the field', () => {
    const e = rejects(
      '{"id":6,"method":"meeting.join","data":{"meetingId":7,"displayName":"x"}}',
      'invalid-data',
      6,
    );
    expect(e.message).toContain('meetingId');
    rejects(
      '{"id":6,"method":"meeting.join","data":{"meetingId":"../etc","displayName":"x"}}',
      'invalid-data',
      6,
    );
    rejects(
      '{"id":6,"method":"meeting.join","data":{"meetingId":"m","displayName":""}}',
      'invalid-data',
      6,
    );
    rejects(
      '{"id":6,"method":"meeting.join","data":{"meetingId":"m","displayName":"a\\u0000b"}}',
      'invalid-data',
      6,
    );
    rejects(
      `{"id":6,"method":"meeting.join","data":{"meetingId":"m","displayName":"${'x'.repeat(65)}"}}`,
      'invalid-data',
      6,
    );
    rejects(
      '{"id":6,"method":"meeting.join","data":{"meetingId":"m","displayName":"x","admin":true}}',
      'invalid-data',
      6,
    );
    rejects('{"id":6,"method":"meeting.leave","data":null}', 'invalid-data', 6);
    rejects('{"id":6,"method":"transport.create","data":{"direction":"both"}}', 'invalid-data', 6);
  });

  test('oversize → message-too-large, measured in UTF-8 bytes', () => {
    const pad = 'x'.repeat(LIMITS.maxMessageBytes);
    rejects(`{"id":1,"method":"meeting.leave","data":{},"pad":"${pad}"}`, 'message-too-large');
    // Under the limit in UTF-16 code units, over it in UTF-8 bytes.
    const wide = '€'.repeat(Math.ceil(LIMITS.maxMessageBytes / 3) + 10);
    expect(wide.length).toBeLessThan(LIMITS.maxMessageBytes);
    rejects(`{"id":1,"method":"meeting.leave","data":{"x":"${wide}"}}`, 'message-too-large');
  });

  test('utf8Length counts like TextEncoder, including lone surrogates', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a\ud800b', '\udc00', 'x😀y€é']) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});

describe('RTP and transport parameters', () => {
  test('bounds: payload types, ssrcs, list lengths, codec parameters', () => {
    expect(RtpParameters.safeParse(vp8).success).toBe(true);
    const bad = (patch: (p: RtpParameters) => void) => {
      const p = structuredClone(vp8);
      patch(p);
      return RtpParameters.safeParse(p).success;
    };
    expect(bad((p) => (p.codecs[0]!.payloadType = 128))).toBe(false);
    expect(bad((p) => (p.encodings![0]!.ssrc = 2 ** 32))).toBe(false);
    expect(bad((p) => (p.codecs = []))).toBe(false);
    expect(bad((p) => (p.codecs[0]!.mimeType = 'text/html'))).toBe(false);
    expect(bad((p) => (p.encodings = Array.from({ length: 9 }, () => ({}))))).toBe(false);
    expect(
      bad((p) => {
        p.codecs[0]!.parameters = Object.fromEntries(
          Array.from({ length: 33 }, (_, i) => [`k${i}`, i]),
        );
      }),
    ).toBe(false);
    expect(bad((p) => (p.codecs[0]!.parameters = { nested: {} as never }))).toBe(false);
    expect(bad((p) => Object.assign(p, { unexpected: 1 }))).toBe(false);
  });

  test('codec parameters cannot smuggle prototype keys', () => {
    const p = JSON.parse(
      '{"codecs":[{"mimeType":"audio/opus","payloadType":100,"clockRate":48000,"parameters":{"__proto__":{"x":1}}}]}',
    );
    const r = RtpParameters.safeParse(p);
    if (r.success) {
      const params = r.data.codecs[0]!.parameters!;
      expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
      expect((params as { x?: unknown }).x).toBeUndefined();
    }
  });

  test('capabilities and DTLS', () => {
    expect(RtpCapabilities.safeParse({}).success).toBe(true);
    expect(
      RtpCapabilities.safeParse({ codecs: Array.from({ length: 65 }, () => ({})) }).success,
    ).toBe(false);
    expect(DtlsParameters.safeParse(dtls).success).toBe(true);
    expect(DtlsParameters.safeParse({ fingerprints: [] }).success).toBe(false);
    expect(
      DtlsParameters.safeParse({ fingerprints: [{ algorithm: 'md5', value: 'AB' }] }).success,
    ).toBe(false);
    expect(
      DtlsParameters.safeParse({ fingerprints: [{ algorithm: 'sha-1', value: 'zz' }] }).success,
    ).toBe(false);
  });
});

describe('server messages (client side)', () => {
  test('responses: ok and error, with null ids for unreadable requests', () => {
    expect(parseServerMessage(encodeResult(1, 'producer.create', { producerId: 'p' }))).toEqual({
      kind: 'response',
      response: { id: 1, ok: true, data: { producerId: 'p' } },
    });
    expect(parseServerMessage(encodeError(null, 'malformed-json', 'bad'))).toEqual({
      kind: 'response',
      response: { id: null, ok: false, error: { code: 'malformed-json', message: 'bad' } },
    });
    const long = JSON.parse(encodeError(2, 'x', 'm'.repeat(5000)));
    expect(long.error.message.length).toBe(LIMITS.maxErrorMessageLength);
    expect(() => parseServerMessage('{"id":1,"ok":true}')).toThrow(ProtocolError);
    expect(() =>
      parseServerMessage('{"id":1,"ok":false,"error":{"code":"Bad Code","message":""}}'),
    ).toThrow(ProtocolError);
  });

  test('results are checked against the method they answer', () => {
    expect(parseResult('producer.create', { producerId: 'p1' })).toEqual({ producerId: 'p1' });
    expect(() => parseResult('producer.create', {})).toThrow(ProtocolError);
    expect(() => parseResult('meeting.leave', { extra: 1 })).toThrow(ProtocolError);
  });

  test('notifications are validated by method', () => {
    const n = encodeNotification('producer.new', {
      producerId: 'p',
      participantId: 'a',
      senderIndex: 3,
      kind: 'audio',
    });
    expect(parseServerMessage(n)).toEqual({ kind: 'notification', notification: JSON.parse(n) });
    expect(() => parseServerMessage('{"method":"producer.new","data":{"producerId":"p"}}')).toThrow(
      ProtocolError,
    );
    expect(() => parseServerMessage('{"method":"nope","data":{}}')).toThrow(ProtocolError);
    expect(() =>
      parseServerMessage(
        '{"method":"participant.joined","data":{"participantId":"a","displayName":"x","senderIndex":65536}}',
      ),
    ).toThrow(ProtocolError);
  });
});
