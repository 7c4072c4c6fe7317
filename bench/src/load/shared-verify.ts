/**
 * One thread's virtual participants share their signature verifications.
 *
 * On real devices every member verifies every joiner's KeyPackage, leaf and
 * AS credential on its own CPU, all in parallel. In the runner hundreds of
 * members share one core, so the same verification of the same public bytes
 * would run hundreds of times in a row: that is the runner's cost, not the
 * meeting's, and it is what kept 1,000 participants out of reach on a 2-core
 * load machine. Verification is a pure function of (public key, message,
 * signature), so a thread computes each one once and remembers the answer —
 * false as well as true. Every member still runs the whole MLS state machine
 * and checks every signature it would check; only repeated identical inputs
 * are answered from the memo. Signing, HPKE and key schedules stay per member.
 *
 * The memo is keyed by SHA-256 over the length-prefixed inputs and bounded
 * (oldest entries go first). Not for the product: a real client verifies for
 * itself only.
 */
import { createHash } from 'node:crypto';
import type { CryptoProvider, SignatureScheme } from '@canopy/shared/crypto';

export interface VerifyMemoStats {
  calls: number;
  hits: number;
}

/** `provider` with its signature schemes' `verify` memoised (at most `capacity` answers kept). */
export function sharedVerifyProvider(
  provider: CryptoProvider,
  capacity = 200_000,
): CryptoProvider & { readonly stats: VerifyMemoStats } {
  const answers = new Map<string, boolean>();
  const stats: VerifyMemoStats = { calls: 0, hits: 0 };
  const wrapped = new Map<string, SignatureScheme | undefined>();
  const len = Buffer.alloc(4);
  const keyOf = (name: string, pk: Uint8Array, message: Uint8Array, sig: Uint8Array) => {
    const h = createHash('sha256').update(name);
    for (const part of [pk, message, sig]) {
      len.writeUInt32BE(part.length);
      h.update(len).update(part);
    }
    return h.digest('base64');
  };
  const signature = (name: SignatureScheme['name']) => {
    if (wrapped.has(name)) return wrapped.get(name);
    const inner = provider.signature?.(name);
    const scheme: SignatureScheme | undefined = inner && {
      name: inner.name,
      generatePrivateKey: () => inner.generatePrivateKey(),
      publicKey: (sk) => inner.publicKey(sk),
      sign: (sk, message) => inner.sign(sk, message),
      verify(pk, message, sig) {
        stats.calls++;
        const key = keyOf(name, pk, message, sig);
        const known = answers.get(key);
        if (known !== undefined) {
          stats.hits++;
          return known;
        }
        const ok = inner.verify(pk, message, sig);
        if (answers.size >= capacity) answers.delete(answers.keys().next().value as string);
        answers.set(key, ok);
        return ok;
      },
    };
    wrapped.set(name, scheme);
    return scheme;
  };
  return { ...provider, name: `${provider.name}+shared-verify`, signature, stats };
}
