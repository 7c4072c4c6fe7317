// Cipher-suite primitives three ways: noble (pure JS, the default everywhere),
// the node:crypto provider (with cached KeyObjects, and importing raw key bytes
// on every call), and WebCrypto (globalThis.crypto.subtle: async, awaited one at
// a time, with CryptoKeys imported once and imported per call). Suite 1 only.

import { createHmac, type webcrypto } from 'node:crypto';
import { createNodeProvider, nodeProvider } from '@canopy/server/crypto';
import { type CipherSuite, getCipherSuite, nobleProvider } from '@canopy/shared/crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type BenchOptions,
  type BenchResult,
  bench,
  benchAsync,
  formatNs,
  printTable,
} from './harness.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = globalThis.crypto.subtle;
const OPTS: BenchOptions = { runs: 11, minRunMs: 30 };

type Bytes = Uint8Array<ArrayBuffer>;
const u8 = (b: ArrayBuffer): Bytes => new Uint8Array(b);
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
const PKCS8_X25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
const PKCS8_ED25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

const x25519 = { name: 'X25519' } as const;
const importX25519Private = (sk: Uint8Array) =>
  subtle.importKey('pkcs8', cat(PKCS8_X25519, sk), x25519, false, ['deriveBits']);
const importX25519Public = (pk: Uint8Array) => subtle.importKey('raw', cat(pk), x25519, true, []);
const deriveX25519 = async (sk: CryptoKey, pk: CryptoKey) =>
  u8(await subtle.deriveBits({ name: 'X25519', public: pk }, sk, 256));

// HPKE base mode for suite 1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM)
// on WebCrypto, to compare like for like: each LabeledExtract+LabeledExpand pair
// is one WebCrypto HKDF derivation, an Extract alone is one HMAC.
const HPKE_V1 = ascii('HPKE-v1');
const KEM_SUITE = cat(ascii('KEM'), Uint8Array.of(0, 0x20));
const HPKE_SUITE = cat(ascii('HPKE'), Uint8Array.of(0, 0x20, 0, 1, 0, 1));

async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return u8(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, length * 8),
  );
}
async function extractOnly(ikm: Bytes): Promise<Bytes> {
  // HKDF-Extract with an empty salt: HMAC keyed with Nh zero bytes.
  const key = await subtle.importKey(
    'raw',
    new Uint8Array(32),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return u8(await subtle.sign('HMAC', key, ikm));
}
const labeledIkm = (suite: Uint8Array, label: string, ikm: Uint8Array) =>
  cat(HPKE_V1, suite, ascii(label), ikm);
const labeledInfo = (suite: Uint8Array, label: string, info: Uint8Array, n: number) =>
  cat(Uint8Array.of(n >> 8, n & 0xff), HPKE_V1, suite, ascii(label), info);

async function webKeySchedule(dh: Bytes, enc: Uint8Array, pkR: Uint8Array, info: Uint8Array) {
  const shared = await hkdf(
    new Uint8Array(0),
    labeledIkm(KEM_SUITE, 'eae_prk', dh),
    labeledInfo(KEM_SUITE, 'shared_secret', cat(enc, pkR), 32),
    32,
  );
  const pskIdHash = await extractOnly(labeledIkm(HPKE_SUITE, 'psk_id_hash', new Uint8Array(0)));
  const infoHash = await extractOnly(labeledIkm(HPKE_SUITE, 'info_hash', info));
  const ctx = cat(Uint8Array.of(0), pskIdHash, infoHash);
  const secretIkm = labeledIkm(HPKE_SUITE, 'secret', new Uint8Array(0));
  const key = await hkdf(shared, secretIkm, labeledInfo(HPKE_SUITE, 'key', ctx, 16), 16);
  const nonce = await hkdf(shared, secretIkm, labeledInfo(HPKE_SUITE, 'base_nonce', ctx, 12), 12);
  return {
    key: await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']),
    nonce,
  };
}

async function webHpkeSeal(pkR: Uint8Array, pkRKey: CryptoKey, info: Uint8Array, pt: Uint8Array) {
  const eph = (await subtle.generateKey(x25519, true, ['deriveBits'])) as CryptoKeyPair;
  const enc = u8(await subtle.exportKey('raw', eph.publicKey));
  const { key, nonce } = await webKeySchedule(
    await deriveX25519(eph.privateKey, pkRKey),
    enc,
    pkR,
    info,
  );
  const ct = u8(await subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, cat(pt)));
  return { enc, ct };
}

async function webHpkeOpen(
  skR: CryptoKey,
  pkR: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  ct: Uint8Array,
) {
  const dh = await deriveX25519(skR, await importX25519Public(enc));
  const { key, nonce } = await webKeySchedule(dh, enc, pkR, info);
  return u8(await subtle.decrypt({ name: 'AES-GCM', iv: nonce }, key, cat(ct)));
}

interface Row {
  op: string;
  noble: BenchResult;
  nodeCached: BenchResult;
  nodeRaw?: BenchResult;
  web: BenchResult;
  webRaw?: BenchResult;
}

const ratio = (slow: BenchResult, fast?: BenchResult) =>
  fast ? `${(slow.medianNs / fast.medianNs).toFixed(1)}×` : '—';
const fmt = (r?: BenchResult) => (r ? formatNs(r.medianNs) : '—');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export default async function cryptoBench(): Promise<void> {
  const noble = getCipherSuite(1, nobleProvider);
  const cached = getCipherSuite(1, nodeProvider);
  const raw = getCipherSuite(1, createNodeProvider({ cacheKeyObjects: false }));
  const suites: [string, CipherSuite][] = [
    ['noble', noble],
    ['node cached', cached],
    ['node raw', raw],
  ];
  const rows: Row[] = [];
  // `keyed`: the operation takes long-lived keys, so the raw-bytes provider differs.
  const run = (op: string, f: (cs: CipherSuite) => () => unknown, keyed = true) => {
    const [n, c, r] = suites
      .filter(([who]) => keyed || who !== 'node raw')
      .map(([who, cs]) => bench(`${op} ${who}`, f(cs), OPTS));
    return { noble: n, nodeCached: c, nodeRaw: r as BenchResult | undefined };
  };

  // X25519 key generation: a fresh key pair as raw bytes (what MLS stores). The raw-bytes
  // provider re-imports the new private key to compute its public key.
  rows.push({
    op: 'X25519 key generation',
    ...run('x25519 keygen', (cs) => () => cs.hpke.generateKeyPair()),
    web: await benchAsync(
      'x25519 keygen web',
      async () => {
        const kp = (await subtle.generateKey(x25519, true, ['deriveBits'])) as CryptoKeyPair;
        return subtle.exportKey('raw', kp.publicKey);
      },
      OPTS,
    ),
  });

  // X25519 DH with long-lived keys.
  const a = noble.hpke.generateKeyPair();
  const b = noble.hpke.generateKeyPair();
  const [aKey, bKey] = [
    await importX25519Private(a.privateKey),
    await importX25519Public(b.publicKey),
  ];
  if (!same(await deriveX25519(aKey, bKey), noble.dh.dh(a.privateKey, b.publicKey))) {
    throw new Error('WebCrypto X25519 disagrees with noble');
  }
  rows.push({
    op: 'X25519 DH',
    ...run('x25519 dh', (cs) => () => cs.dh.dh(a.privateKey, b.publicKey)),
    web: await benchAsync('x25519 dh web', () => deriveX25519(aKey, bKey), OPTS),
    webRaw: await benchAsync(
      'x25519 dh web raw',
      async () =>
        deriveX25519(
          await importX25519Private(a.privateKey),
          await importX25519Public(b.publicKey),
        ),
      OPTS,
    ),
  });

  // Ed25519 over a 100-byte message.
  const msg = Uint8Array.from({ length: 100 }, (_, i) => i);
  const sk = noble.signature.generatePrivateKey();
  const pk = noble.signature.publicKey(sk);
  const sig = noble.signature.sign(sk, msg);
  const ed = { name: 'Ed25519' } as const;
  const importEdPrivate = () =>
    subtle.importKey('pkcs8', cat(PKCS8_ED25519, sk), ed, false, ['sign']);
  const importEdPublic = () => subtle.importKey('raw', cat(pk), ed, false, ['verify']);
  const [edSk, edPk] = [await importEdPrivate(), await importEdPublic()];
  if (!same(u8(await subtle.sign(ed, edSk, msg)), sig))
    throw new Error('WebCrypto Ed25519 disagrees');
  rows.push({
    op: 'Ed25519 sign (100 B)',
    ...run('ed25519 sign', (cs) => () => cs.signature.sign(sk, msg)),
    web: await benchAsync('ed25519 sign web', () => subtle.sign(ed, edSk, msg), OPTS),
    webRaw: await benchAsync(
      'ed25519 sign web raw',
      async () => subtle.sign(ed, await importEdPrivate(), msg),
      OPTS,
    ),
  });
  rows.push({
    op: 'Ed25519 verify (100 B)',
    ...run('ed25519 verify', (cs) => () => cs.signature.verify(pk, msg, sig)),
    web: await benchAsync('ed25519 verify web', () => subtle.verify(ed, edPk, sig, msg), OPTS),
    webRaw: await benchAsync(
      'ed25519 verify web raw',
      async () => subtle.verify(ed, await importEdPublic(), sig, msg),
      OPTS,
    ),
  });

  // HPKE single-shot seal/open, suite 1, 32-byte plaintext, 16-byte info.
  const pt = msg.subarray(0, 32);
  const info = msg.subarray(32, 48);
  const empty = new Uint8Array(0);
  const r = noble.hpke.generateKeyPair();
  const [rSk, rPk] = [
    await importX25519Private(r.privateKey),
    await importX25519Public(r.publicKey),
  ];
  const sealed = noble.hpke.seal(r.publicKey, info, empty, pt);
  const webSealed = await webHpkeSeal(r.publicKey, rPk, info, pt);
  if (
    !same(noble.hpke.open(r.privateKey, webSealed.enc, info, empty, webSealed.ct), pt) ||
    !same(await webHpkeOpen(rSk, r.publicKey, sealed.enc, info, sealed.ciphertext), pt)
  ) {
    throw new Error('WebCrypto HPKE disagrees with noble');
  }
  rows.push({
    op: 'HPKE seal (suite 1, 32 B)',
    ...run('hpke seal', (cs) => () => cs.hpke.seal(r.publicKey, info, empty, pt)),
    web: await benchAsync('hpke seal web', () => webHpkeSeal(r.publicKey, rPk, info, pt), OPTS),
    webRaw: await benchAsync(
      'hpke seal web raw',
      async () => webHpkeSeal(r.publicKey, await importX25519Public(r.publicKey), info, pt),
      OPTS,
    ),
  });
  rows.push({
    op: 'HPKE open (suite 1, 32 B)',
    ...run(
      'hpke open',
      (cs) => () => cs.hpke.open(r.privateKey, sealed.enc, info, empty, sealed.ciphertext),
    ),
    web: await benchAsync(
      'hpke open web',
      () => webHpkeOpen(rSk, r.publicKey, sealed.enc, info, sealed.ciphertext),
      OPTS,
    ),
    webRaw: await benchAsync(
      'hpke open web raw',
      async () =>
        webHpkeOpen(
          await importX25519Private(r.privateKey),
          r.publicKey,
          sealed.enc,
          info,
          sealed.ciphertext,
        ),
      OPTS,
    ),
  });

  // AES-128-GCM on 1 KiB (no key objects on the provider side: raw = cached).
  const key = noble.randomBytes(16);
  const nonce = noble.randomBytes(12);
  const kb = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
  const aesKey = await subtle.importKey('raw', cat(key), 'AES-GCM', false, ['encrypt']);
  rows.push({
    op: 'AES-128-GCM seal (1 KiB)',
    ...run('aes-gcm', (cs) => () => cs.aead.seal(key, nonce, empty, kb), false),
    web: await benchAsync(
      'aes-gcm web',
      () => subtle.encrypt({ name: 'AES-GCM', iv: cat(nonce) }, aesKey, kb),
      OPTS,
    ),
    webRaw: await benchAsync(
      'aes-gcm web raw',
      async () =>
        subtle.encrypt(
          { name: 'AES-GCM', iv: cat(nonce) },
          await subtle.importKey('raw', cat(key), 'AES-GCM', false, ['encrypt']),
          kb,
        ),
      OPTS,
    ),
  });

  // SHA-256 of 100 bytes.
  rows.push({
    op: 'SHA-256 (100 B)',
    ...run('sha256', (cs) => () => cs.hash.digest(msg), false),
    web: await benchAsync('sha256 web', () => subtle.digest('SHA-256', msg), OPTS),
  });

  printTable(
    'Suite 1 primitives: median per operation (speed-up = noble time ÷ other time)',
    [
      'Operation',
      'noble',
      'node:crypto (cached KeyObject)',
      'node:crypto (raw bytes)',
      'WebCrypto (CryptoKey)',
      'WebCrypto (import each call)',
      'node cached vs noble',
      'node raw vs noble',
      'WebCrypto vs noble',
    ],
    rows.map((row) => [
      row.op,
      fmt(row.noble),
      fmt(row.nodeCached),
      fmt(row.nodeRaw),
      fmt(row.web),
      fmt(row.webRaw),
      ratio(row.noble, row.nodeCached),
      ratio(row.noble, row.nodeRaw),
      ratio(row.noble, row.web),
    ]),
  );
  console.log(
    '\nnode raw − node cached ≈ the cost of turning raw MLS key bytes into KeyObjects ' +
      '(JWK import; the cache removes it for long-lived keys). WebCrypto figures are awaited one ' +
      'at a time; its HPKE is the same base-mode construction written on subtle (HKDF, HMAC, X25519, AES-GCM).',
  );
  hmacBench();
}

/**
 * HMAC-SHA-256 by data length: node:crypto imports the key on every call, so
 * @noble wins on short inputs. The node provider switches at 2 KiB
 * (server/src/crypto/hash.ts); its column shows what MLS gets.
 */
function hmacBench(): void {
  const key = new Uint8Array(32).fill(7);
  const provider = getCipherSuite(1, nodeProvider).hash;
  const rows = [32, 256, 1024, 2048, 4096].map((n) => {
    const data = new Uint8Array(n).fill(3);
    const node = bench(
      `hmac node ${n}`,
      () => createHmac('sha256', key).update(data).digest(),
      OPTS,
    );
    const noble = bench(`hmac noble ${n}`, () => hmac(sha256, key, data), OPTS);
    const used = bench(`hmac provider ${n}`, () => provider.mac(key, data), OPTS);
    return [`${n} B`, formatNs(node.medianNs), formatNs(noble.medianNs), formatNs(used.medianNs)];
  });
  printTable(
    'HMAC-SHA-256 (32-byte key): median per operation',
    ['data', 'node:crypto createHmac', '@noble/hashes hmac', 'node provider (in use)'],
    rows,
  );
}
