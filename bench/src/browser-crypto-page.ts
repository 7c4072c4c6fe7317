// The page side of the browser crypto benchmark (bundled by browser-crypto-runner.ts
// with esbuild and driven through page.evaluate). Everything is timed inside the
// browser; results come back as plain JSON (nanoseconds per operation).
//
//   canopyBench.ready                       resolves once libsodium's WebAssembly is loaded
//   canopyBench.info()                      user agent, libsodium version
//   canopyBench.primitives(timing)          X25519 DH, Ed25519 sign/verify, HPKE open (suite 1), AES-GCM
//   canopyBench.sframe({ sizes, timing })   SFrame encrypt/decrypt per frame
//   canopyBench.mlsRun({ n, provider })     one join from Welcome + two commits processed
//
// Three libraries: @noble (what the code uses: getCipherSuite(1), the SFrame module's
// sync path), libsodium-wrappers (X25519/Ed25519 as a CryptoProvider, noble for the
// rest) and WebCrypto (asynchronous; CryptoKeys imported once, and imported on every
// call). SFrame is also measured end to end through the SFrame module's async path
// (encryptFrameAsync / decryptFrameAsync on WebCrypto), which the client's transform
// worker uses.
import { createSodiumProvider, getCipherSuite } from '@canopy/shared/crypto';
import { MlsGroup, restoreKeyPackageBundle } from '@canopy/shared/mls';
import {
  asyncAeadBackend,
  decodeHeader,
  deriveKeyAndSalt,
  encodeHeader,
  type KidLayout,
  makeKid,
  SFrameReceiver,
  SFrameSender,
  SFrameSuite,
  decrypt as sframeDecrypt,
} from '@canopy/shared/sframe';
import sodium from 'libsodium-wrappers';
import { type BenchOptions, benchAsync } from './browser-crypto-timing.js';

type Bytes = Uint8Array<ArrayBuffer>;

/** Median ns per operation, or null where a library has no such operation. */
export interface PrimitiveRow {
  op: string;
  noble: number;
  sodium: number | null;
  web: number;
  webImport: number;
}

export interface SFrameRow {
  bytes: number;
  library: string;
  encryptNs: number;
  decryptNs: number;
}

export interface MlsRun {
  joinMs: number;
  /** Processing each shipped commit, in order (ms). */
  processMs: number[];
  epoch: number;
}

export type MlsProvider = 'noble' | 'libsodium';

const subtle = globalThis.crypto.subtle;
// The CryptoKey of whichever typings are in force (DOM's or Node's webcrypto).
type CryptoKey = Awaited<ReturnType<typeof subtle.importKey>>;
const u8 = (b: ArrayBuffer): Bytes => new Uint8Array(b);
const buf = (b: Uint8Array): Bytes => b as Bytes;
const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const cat = (...parts: Uint8Array[]): Bytes => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};
const ascii = (s: string): Bytes => Uint8Array.from(s, (c) => c.charCodeAt(0));
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`browser bench: ${what}`);
}

const ready = sodium.ready.then(() => createSodiumProvider(sodium));

// --- WebCrypto helpers ----------------------------------------------------------------

// PKCS#8 wrapping of a raw 32-byte key; oid 0x6e = id-X25519, 0x70 = id-Ed25519 (RFC 8410).
const PKCS8_PREFIX = (oid: number) =>
  Uint8Array.of(
    0x30,
    0x2e,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    oid,
    0x04,
    0x22,
    0x04,
    0x20,
  );
const X25519 = { name: 'X25519' } as const;
const ED25519 = { name: 'Ed25519' } as const;
const importX25519Private = (sk: Uint8Array) =>
  subtle.importKey('pkcs8', cat(PKCS8_PREFIX(0x6e), sk), X25519, false, ['deriveBits']);
const importX25519Public = (pk: Uint8Array) => subtle.importKey('raw', cat(pk), X25519, true, []);
const deriveX25519 = async (sk: CryptoKey, pk: CryptoKey) =>
  u8(await subtle.deriveBits({ name: 'X25519', public: pk }, sk, 256));
const importEdPrivate = (sk: Uint8Array) =>
  subtle.importKey('pkcs8', cat(PKCS8_PREFIX(0x70), sk), ED25519, false, ['sign']);
const importEdPublic = (pk: Uint8Array) =>
  subtle.importKey('raw', cat(pk), ED25519, false, ['verify']);

// HPKE base-mode open for suite 1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM)
// on subtle: each LabeledExtract + LabeledExpand pair is one HKDF derivation, an
// Extract alone one HMAC (RFC 9180 §4, §5.1).
const HPKE_V1 = ascii('HPKE-v1');
const KEM_SUITE = cat(ascii('KEM'), Uint8Array.of(0, 0x20));
const HPKE_SUITE = cat(ascii('HPKE'), Uint8Array.of(0, 0x20, 0, 1, 0, 1));
const EMPTY = new Uint8Array(0);
const labeledIkm = (suite: Uint8Array, label: string, ikm: Uint8Array) =>
  cat(HPKE_V1, suite, ascii(label), ikm);
const labeledInfo = (suite: Uint8Array, label: string, info: Uint8Array, n: number) =>
  cat(Uint8Array.of(n >> 8, n & 0xff), HPKE_V1, suite, ascii(label), info);

async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return u8(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, length * 8),
  );
}
async function extractOnly(ikm: Bytes): Promise<Bytes> {
  const hmac = { name: 'HMAC', hash: 'SHA-256' } as const;
  const key = await subtle.importKey('raw', new Uint8Array(32), hmac, false, ['sign']);
  return u8(await subtle.sign('HMAC', key, ikm));
}

async function webHpkeOpen(
  skR: CryptoKey,
  pkR: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  ct: Uint8Array,
): Promise<Bytes> {
  const dh = await deriveX25519(skR, await importX25519Public(enc));
  const shared = await hkdf(
    new Uint8Array(0),
    labeledIkm(KEM_SUITE, 'eae_prk', dh),
    labeledInfo(KEM_SUITE, 'shared_secret', cat(enc, pkR), 32),
    32,
  );
  const pskIdHash = await extractOnly(labeledIkm(HPKE_SUITE, 'psk_id_hash', EMPTY));
  const infoHash = await extractOnly(labeledIkm(HPKE_SUITE, 'info_hash', info));
  const ctx = cat(Uint8Array.of(0), pskIdHash, infoHash);
  const secretIkm = labeledIkm(HPKE_SUITE, 'secret', EMPTY);
  const key = await hkdf(shared, secretIkm, labeledInfo(HPKE_SUITE, 'key', ctx, 16), 16);
  const nonce = await hkdf(shared, secretIkm, labeledInfo(HPKE_SUITE, 'base_nonce', ctx, 12), 12);
  const aes = await subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  return u8(await subtle.decrypt({ name: 'AES-GCM', iv: nonce }, aes, buf(ct)));
}

// --- primitives -------------------------------------------------------------------------

async function primitives(timing: BenchOptions): Promise<PrimitiveRow[]> {
  const noble = getCipherSuite(1);
  const sod = getCipherSuite(1, await ready);
  const rows: PrimitiveRow[] = [];
  const row = async (
    op: string,
    n: () => unknown,
    s: (() => unknown) | null,
    w: () => Promise<unknown>,
    wi: () => Promise<unknown>,
  ) => {
    rows.push({
      op,
      noble: (await benchAsync(`${op} noble`, n, timing)).medianNs,
      sodium: s ? (await benchAsync(`${op} libsodium`, s, timing)).medianNs : null,
      web: (await benchAsync(`${op} web`, w, timing)).medianNs,
      webImport: (await benchAsync(`${op} web import`, wi, timing)).medianNs,
    });
  };

  // X25519 DH with long-lived keys; all three must agree.
  const a = noble.hpke.generateKeyPair();
  const b = noble.hpke.generateKeyPair();
  const [aKey, bKey] = [
    await importX25519Private(a.privateKey),
    await importX25519Public(b.publicKey),
  ];
  const dh = noble.dh.dh(a.privateKey, b.publicKey);
  check(same(sod.dh.dh(a.privateKey, b.publicKey), dh), 'libsodium X25519 disagrees with noble');
  check(same(await deriveX25519(aKey, bKey), dh), 'WebCrypto X25519 disagrees with noble');
  await row(
    'X25519 DH',
    () => noble.dh.dh(a.privateKey, b.publicKey),
    () => sod.dh.dh(a.privateKey, b.publicKey),
    () => deriveX25519(aKey, bKey),
    async () =>
      deriveX25519(await importX25519Private(a.privateKey), await importX25519Public(b.publicKey)),
  );

  // Ed25519 over a 100-byte message (Ed25519 is deterministic: same signature everywhere).
  const msg = Uint8Array.from({ length: 100 }, (_, i) => i);
  const sk = noble.signature.generatePrivateKey();
  const pk = noble.signature.publicKey(sk);
  const sig = noble.signature.sign(sk, msg);
  const [edSk, edPk] = [await importEdPrivate(sk), await importEdPublic(pk)];
  check(same(sod.signature.publicKey(sk), pk), 'libsodium Ed25519 public key disagrees');
  check(same(sod.signature.sign(sk, msg), sig), 'libsodium Ed25519 signature disagrees');
  check(same(u8(await subtle.sign(ED25519, edSk, msg)), sig), 'WebCrypto Ed25519 disagrees');
  check(sod.signature.verify(pk, msg, sig), 'libsodium rejects a good signature');
  check(await subtle.verify(ED25519, edPk, buf(sig), msg), 'WebCrypto rejects a good signature');
  await row(
    'Ed25519 sign (100 B)',
    () => noble.signature.sign(sk, msg),
    () => sod.signature.sign(sk, msg),
    () => subtle.sign(ED25519, edSk, msg),
    async () => subtle.sign(ED25519, await importEdPrivate(sk), msg),
  );
  await row(
    'Ed25519 verify (100 B)',
    () => noble.signature.verify(pk, msg, sig),
    () => sod.signature.verify(pk, msg, sig),
    () => subtle.verify(ED25519, edPk, buf(sig), msg),
    async () => subtle.verify(ED25519, await importEdPublic(pk), buf(sig), msg),
  );

  // HPKE single-shot open, suite 1, 32-byte plaintext, 16-byte info (as MLS path secrets).
  const pt = msg.subarray(0, 32);
  const info = msg.subarray(32, 48);
  const r = noble.hpke.generateKeyPair();
  const rSk = await importX25519Private(r.privateKey);
  const sealed = noble.hpke.seal(r.publicKey, info, EMPTY, pt);
  const open = (cs: typeof noble) => () =>
    cs.hpke.open(r.privateKey, sealed.enc, info, EMPTY, sealed.ciphertext);
  check(same(open(sod)(), pt), 'libsodium-provider HPKE open failed');
  check(
    same(await webHpkeOpen(rSk, r.publicKey, sealed.enc, info, sealed.ciphertext), pt),
    'WebCrypto HPKE open failed',
  );
  await row(
    'HPKE open (suite 1, 32 B)',
    open(noble),
    open(sod),
    () => webHpkeOpen(rSk, r.publicKey, sealed.enc, info, sealed.ciphertext),
    async () =>
      webHpkeOpen(
        await importX25519Private(r.privateKey),
        r.publicKey,
        sealed.enc,
        info,
        sealed.ciphertext,
      ),
  );

  // The AEAD inside HPKE and MLS: every key is used about once, so key setup counts.
  const key = noble.randomBytes(16);
  const nonce = noble.randomBytes(12);
  const ct = noble.aead.seal(key, nonce, EMPTY, pt);
  const importAes = () => subtle.importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
  const aes = await importAes();
  const webOpen = async (k: CryptoKey) =>
    u8(await subtle.decrypt({ name: 'AES-GCM', iv: buf(nonce) }, k, buf(ct)));
  check(same(await webOpen(aes), pt), 'WebCrypto AES-GCM disagrees with noble');
  await row(
    'AES-128-GCM open (32 B, one use per key)',
    () => noble.aead.open(key, nonce, EMPTY, ct),
    null, // libsodium's WebAssembly build has no AES
    () => webOpen(aes),
    async () => webOpen(await importAes()),
  );
  return rows;
}

// --- SFrame ------------------------------------------------------------------------------

// The client's suite (AES_128_GCM_SHA256_128), a 1,000-person KID layout, no clear bytes.
const SUITE = SFrameSuite.AES_128_GCM_SHA256_128;
const LAYOUT: KidLayout = { senderBits: 10, epochBits: 4 };
const EPOCH = 42n;
const BASE_KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 11 + 3);

/** SFrame §4.4.3 on subtle AES-GCM: header || AES-GCM(key, salt XOR CTR, aad = header, frame). */
class WebSFrame {
  private ctr = 0n;
  private constructor(
    private readonly key: CryptoKey,
    private readonly salt: Uint8Array,
    private readonly kid: bigint,
  ) {}

  static async create(kid: bigint): Promise<WebSFrame> {
    const { key, salt } = deriveKeyAndSalt(SUITE, BASE_KEY, kid);
    const usages: ('encrypt' | 'decrypt')[] = ['encrypt', 'decrypt'];
    return new WebSFrame(
      await subtle.importKey('raw', buf(key), 'AES-GCM', false, usages),
      salt,
      kid,
    );
  }

  private nonce(ctr: bigint): Bytes {
    const n = Uint8Array.from(this.salt);
    for (let i = 0; i < 8; i++) n[11 - i] ^= Number((ctr >> BigInt(8 * i)) & 0xffn);
    return n;
  }

  async encrypt(frame: Uint8Array): Promise<Bytes> {
    const ctr = this.ctr++;
    const header = encodeHeader(this.kid, ctr);
    const ct = await subtle.encrypt(
      { name: 'AES-GCM', iv: this.nonce(ctr), additionalData: buf(header) },
      this.key,
      buf(frame),
    );
    return cat(header, u8(ct));
  }

  async decrypt(data: Uint8Array): Promise<Bytes> {
    const h = decodeHeader(data);
    if (h.kid !== this.kid) throw new Error('unknown KID');
    const pt = await subtle.decrypt(
      { name: 'AES-GCM', iv: this.nonce(h.ctr), additionalData: buf(data.subarray(0, h.length)) },
      this.key,
      buf(data.subarray(h.length)),
    );
    return u8(pt);
  }
}

function frameOf(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 31 + seed) & 0xff;
  return f;
}

/**
 * Median ns to decrypt one frame with SFrameReceiver (decryptFrame, or decryptFrameAsync
 * awaited one frame at a time as the transform worker does): fresh CTRs, a fresh
 * pre-warmed receiver per run.
 */
async function receiverDecrypt(
  size: number,
  encNs: number,
  timing: BenchOptions,
  path: 'sync' | 'async',
): Promise<number> {
  const sender = new SFrameSender({ suite: SUITE, layout: LAYOUT, senderIndex: 537, context: 1 });
  sender.setEpoch(EPOCH, BASE_KEY);
  const batch = Math.max(5, Math.ceil(((timing.minRunMs ?? 40) * 1e6) / encNs));
  const frames = Array.from({ length: batch + 1 }, (_, i) =>
    sender.encryptFrame(frameOf(size, i), 0),
  );
  const perOp: number[] = [];
  for (let r = 0; r <= (timing.runs ?? 15); r++) {
    const receiver = new SFrameReceiver({ suite: SUITE, layout: LAYOUT });
    receiver.addEpoch(EPOCH, BASE_KEY);
    let t0: number;
    if (path === 'sync') {
      receiver.decryptFrame(frames[0], 0);
      t0 = performance.now();
      for (let i = 1; i <= batch; i++) receiver.decryptFrame(frames[i], 0);
    } else {
      await receiver.decryptFrameAsync(frames[0], 0); // derives and imports the KID's key
      t0 = performance.now();
      for (let i = 1; i <= batch; i++) await receiver.decryptFrameAsync(frames[i], 0);
    }
    if (r > 0) perOp.push(((performance.now() - t0) * 1e6) / batch); // run 0 warms up
  }
  perOp.sort((x, y) => x - y);
  const m = perOp.length >> 1;
  return perOp.length % 2 ? perOp[m] : (perOp[m - 1] + perOp[m]) / 2;
}

async function sframe(o: { sizes: number[]; timing: BenchOptions }): Promise<SFrameRow[]> {
  await ready;
  const rows: SFrameRow[] = [];
  const kid = makeKid(LAYOUT, 1, 537, EPOCH);
  const keys = deriveKeyAndSalt(SUITE, BASE_KEY, kid);
  for (const size of o.sizes) {
    const frame = frameOf(size, 7);

    // @noble: the SFrame module as the media path runs it.
    const sender = new SFrameSender({ suite: SUITE, layout: LAYOUT, senderIndex: 537, context: 1 });
    sender.setEpoch(EPOCH, BASE_KEY);
    const nobleEnc = (
      await benchAsync(`sframe enc ${size}`, () => sender.encryptFrame(frame, 0), o.timing)
    ).medianNs;
    rows.push({
      bytes: size,
      library: '@noble (SFrameSender / SFrameReceiver, sync path)',
      encryptNs: nobleEnc,
      decryptNs: await receiverDecrypt(size, nobleEnc, o.timing, 'sync'),
    });

    // The SFrame module's async path, as the transform worker runs it: same bytes as noble.
    const asyncSender = new SFrameSender({
      suite: SUITE,
      layout: LAYOUT,
      senderIndex: 537,
      context: 1,
    });
    asyncSender.setEpoch(EPOCH, BASE_KEY);
    const probe = new SFrameSender({ suite: SUITE, layout: LAYOUT, senderIndex: 537, context: 1 });
    probe.setEpoch(EPOCH, BASE_KEY);
    check(
      same(await asyncSender.encryptFrameAsync(frame, 0), probe.encryptFrame(frame, 0)),
      'encryptFrameAsync and encryptFrame disagree',
    );
    const rx = new SFrameReceiver({ suite: SUITE, layout: LAYOUT });
    rx.addEpoch(EPOCH, BASE_KEY);
    check(
      same(await rx.decryptFrameAsync(probe.encryptFrame(frame, 0), 0), frame),
      'decryptFrameAsync cannot open encryptFrame',
    );
    const asyncEnc = (
      await benchAsync(
        `sframe async enc ${size}`,
        () => asyncSender.encryptFrameAsync(frame, 0),
        o.timing,
      )
    ).medianNs;
    rows.push({
      bytes: size,
      library: `SFrame module, async path on ${asyncAeadBackend() === 'webcrypto' ? 'WebCrypto' : '@noble'} (encryptFrameAsync / decryptFrameAsync): the client's`,
      encryptNs: asyncEnc,
      decryptNs: await receiverDecrypt(size, asyncEnc, o.timing, 'async'),
    });

    // WebCrypto: interoperates with the SFrame module both ways.
    const web = await WebSFrame.create(kid);
    const fromWeb = await web.encrypt(frame);
    check(
      same(sframeDecrypt(SUITE, keys, EMPTY, fromWeb).plaintext, frame),
      'noble cannot open a WebCrypto SFrame',
    );
    check(
      same(await web.decrypt(sender.encryptFrame(frame, 0)), frame),
      'WebCrypto cannot open SFrame',
    );
    rows.push({
      bytes: size,
      library: 'WebCrypto AES-GCM (same SFrame bytes)',
      encryptNs: (await benchAsync(`web enc ${size}`, () => web.encrypt(frame), o.timing)).medianNs,
      decryptNs: (await benchAsync(`web dec ${size}`, () => web.decrypt(fromWeb), o.timing))
        .medianNs,
    });

    // libsodium's WebAssembly build has no AES: ChaCha20-Poly1305 as a reference only.
    const ck = sodium.crypto_aead_chacha20poly1305_ietf_keygen();
    const cn = new Uint8Array(12);
    const header = encodeHeader(kid, 1n);
    const cct = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(frame, header, null, cn, ck);
    check(
      same(sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, cct, header, cn, ck), frame),
      'libsodium ChaCha20-Poly1305 round trip',
    );
    rows.push({
      bytes: size,
      library: 'libsodium ChaCha20-Poly1305 (raw AEAD, not an SFrame suite)',
      encryptNs: (
        await benchAsync(
          `sodium enc ${size}`,
          () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(frame, header, null, cn, ck),
          o.timing,
        )
      ).medianNs,
      decryptNs: (
        await benchAsync(
          `sodium dec ${size}`,
          () => sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, cct, header, cn, ck),
          o.timing,
        )
      ).medianNs,
    });
  }
  return rows;
}

// --- MLS ----------------------------------------------------------------------------------

/** The fixture container of browser-crypto-mls-fixture.ts: u32 count, then u32 length + bytes each. */
function unpack(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let off = 4;
  for (let i = 0; i < view.getUint32(0); i++) {
    const len = view.getUint32(off);
    parts.push(bytes.slice(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return parts;
}

const fixtures = new Map<number, Promise<Uint8Array[]>>();
function fixture(n: number): Promise<Uint8Array[]> {
  let f = fixtures.get(n);
  if (!f) {
    f = fetch(`/mls/${n}`).then(async (res) => {
      if (!res.ok) throw new Error(`fixture ${n}: HTTP ${res.status}`);
      return unpack(new Uint8Array(await res.arrayBuffer()));
    });
    fixtures.set(n, f);
  }
  return f;
}

/** Joins the N-member group from its Welcome, then processes each shipped commit, timed. */
async function mlsRun(o: { n: number; provider: MlsProvider }): Promise<MlsRun> {
  const suite = o.provider === 'noble' ? getCipherSuite(1) : getCipherSuite(1, await ready);
  const [welcome, bundleBytes, ...commits] = await fixture(o.n);
  const bundle = restoreKeyPackageBundle(bundleBytes);
  const t0 = performance.now();
  const group = MlsGroup.joinFromWelcome(welcome, bundle, suite);
  const joinMs = performance.now() - t0;
  const processMs: number[] = [];
  for (const commit of commits) {
    const t1 = performance.now();
    group.process(commit);
    processMs.push(performance.now() - t1);
  }
  return { joinMs, processMs, epoch: Number(group.epoch) };
}

interface UaData {
  getHighEntropyValues(
    hints: string[],
  ): Promise<{ fullVersionList?: { brand: string; version: string }[] }>;
}

/** The user agent and, where the browser tells (Chromium's UA-CH), its full version. */
async function info(): Promise<{ userAgent: string; fullVersion?: string; sodium: string }> {
  await ready;
  const uaData = (navigator as unknown as { userAgentData?: UaData }).userAgentData;
  const list = uaData
    ? (await uaData.getHighEntropyValues(['fullVersionList'])).fullVersionList
    : [];
  const fullVersion = list?.find((b) => /Chrom/.test(b.brand))?.version;
  return { userAgent: navigator.userAgent, fullVersion, sodium: sodium.SODIUM_VERSION_STRING };
}

export interface CanopyBench {
  ready: Promise<unknown>;
  info: typeof info;
  primitives: typeof primitives;
  sframe: typeof sframe;
  mlsRun: typeof mlsRun;
}

(globalThis as unknown as { canopyBench: CanopyBench }).canopyBench = {
  ready,
  info,
  primitives,
  sframe,
  mlsRun,
};
