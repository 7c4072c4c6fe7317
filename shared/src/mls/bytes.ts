// Byte-string comparisons. Two, named for what they guarantee: secrets, MACs
// and tags (membership, confirmation) are compared in constant time; public
// data (keys, hashes, ids, wire bytes) may exit at the first difference.

/** Equality whose running time does not depend on where the inputs differ (secrets, MACs, tags). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Equality that stops at the first difference: public data only. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
