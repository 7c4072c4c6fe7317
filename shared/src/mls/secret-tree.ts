// The secret tree and its hash ratchets (RFC 9420 §9). Node secrets are derived
// lazily, only on the path to a leaf that sends, and deleted once consumed
// (§9.2 deletion schedule): a 10,000-member epoch in which three members speak
// derives three paths, not the whole tree.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { MlsError } from './errors.js';
import { leafToNode, left, right, root } from './tree-math.js';

export type RatchetType = 'handshake' | 'application';

/** A message key and nonce for one generation of one sender's ratchet. */
export interface MessageKey {
  readonly generation: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

export interface SecretTreeLimits {
  /** Most generations a receiver ratchets ahead of the next expected one. */
  readonly maxForwardDistance: number;
  /** Most skipped keys a ratchet keeps for late (out-of-order) messages. */
  readonly maxRetainedKeys: number;
}

export const DEFAULT_SECRET_TREE_LIMITS: SecretTreeLimits = {
  maxForwardDistance: 1024,
  maxRetainedKeys: 128,
};

/** sender_data key and nonce (§6.3.2), from the first Nh bytes of the ciphertext. */
export function senderDataKeyNonce(
  suite: CipherSuite,
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): { key: Uint8Array; nonce: Uint8Array } {
  const sample = ciphertext.subarray(0, suite.hash.size);
  return {
    key: suite.expandWithLabel(senderDataSecret, 'key', sample, suite.aead.keySize),
    nonce: suite.expandWithLabel(senderDataSecret, 'nonce', sample, suite.aead.nonceSize),
  };
}

interface Ratchet {
  /** Generation whose secret is `secret`. */
  next: number;
  secret: Uint8Array;
  /** Keys of skipped generations below `next`, oldest first (Map keeps insertion order). */
  readonly retained: Map<number, MessageKey>;
}

/** Serializable form of a secret tree's remaining secrets. */
export interface SecretTreeState {
  readonly nLeaves: number;
  readonly nodes: [number, Uint8Array][];
  readonly ratchets: [number, RatchetType, number, Uint8Array, MessageKey[]][];
}

export class SecretTree {
  private readonly nodeSecrets = new Map<number, Uint8Array>();
  private readonly ratchets = new Map<number, { handshake: Ratchet; application: Ratchet }>();

  constructor(
    private readonly suite: CipherSuite,
    encryptionSecret: Uint8Array,
    readonly nLeaves: number,
    private readonly limits: SecretTreeLimits = DEFAULT_SECRET_TREE_LIMITS,
  ) {
    if (encryptionSecret.length > 0) this.nodeSecrets.set(root(nLeaves), encryptionSecret);
  }

  /** The sender's next key for its own ratchet; used at once, so it is consumed now. */
  next(leafIndex: number, type: RatchetType): MessageKey {
    const r = this.ratchet(leafIndex)[type];
    const key = this.keyAt(r.secret, r.next);
    r.secret = this.deriveTree(r.secret, 'secret', r.next, this.suite.hash.size);
    r.next += 1;
    return key;
  }

  /**
   * The key for a received generation, computed without changing the tree (not
   * even creating the sender's ratchet): a message that then fails to decrypt
   * or verify leaves the tree exactly as it was. consume() commits the change.
   */
  peek(leafIndex: number, type: RatchetType, generation: number): MessageKey {
    const r =
      this.ratchets.get(this.checkLeaf(leafIndex))?.[type] ?? this.freshRatchet(leafIndex, type);
    if (generation < r.next) {
      const kept = r.retained.get(generation);
      if (!kept)
        throw new MlsError(
          'secret-unavailable',
          `generation ${generation} already used or expired`,
        );
      return kept;
    }
    if (generation - r.next > this.limits.maxForwardDistance) {
      throw new MlsError(
        'secret-unavailable',
        `generation ${generation} is too far ahead of ${r.next}`,
      );
    }
    let secret = r.secret;
    for (let g = r.next; g < generation; g++)
      secret = this.deriveTree(secret, 'secret', g, this.suite.hash.size);
    return this.keyAt(secret, generation);
  }

  /** Marks a generation used after its message was accepted: deletes its key, keeps skipped ones. */
  consume(leafIndex: number, type: RatchetType, generation: number): void {
    const r = this.ratchet(leafIndex)[type];
    if (generation < r.next) {
      r.retained.delete(generation);
      return;
    }
    for (let g = r.next; g < generation; g++) {
      r.retained.set(g, this.keyAt(r.secret, g));
      if (r.retained.size > this.limits.maxRetainedKeys) {
        const oldest = r.retained.keys().next().value as number;
        r.retained.delete(oldest);
      }
      r.secret = this.deriveTree(r.secret, 'secret', g, this.suite.hash.size);
    }
    r.secret = this.deriveTree(r.secret, 'secret', generation, this.suite.hash.size);
    r.next = generation + 1;
  }

  /** A copy of the remaining secrets, for serializing a group. */
  exportState(): SecretTreeState {
    const ratchets: SecretTreeState['ratchets'] = [];
    for (const [leaf, pair] of this.ratchets) {
      for (const type of ['handshake', 'application'] as const) {
        const r = pair[type];
        ratchets.push([leaf, type, r.next, r.secret, [...r.retained.values()]]);
      }
    }
    return { nLeaves: this.nLeaves, nodes: [...this.nodeSecrets], ratchets };
  }

  /** Rebuilds a tree from exportState(). */
  static fromState(
    suite: CipherSuite,
    state: SecretTreeState,
    limits?: SecretTreeLimits,
  ): SecretTree {
    const t = new SecretTree(suite, new Uint8Array(0), state.nLeaves, limits);
    for (const [node, secret] of state.nodes) t.nodeSecrets.set(node, secret);
    for (const [leaf, type, next, secret, retained] of state.ratchets) {
      let pair = t.ratchets.get(leaf);
      if (!pair) {
        const empty = (): Ratchet => ({ next: 0, secret: new Uint8Array(0), retained: new Map() });
        pair = { handshake: empty(), application: empty() };
        t.ratchets.set(leaf, pair);
      }
      pair[type] = { next, secret, retained: new Map(retained.map((k) => [k.generation, k])) };
    }
    return t;
  }

  private keyAt(secret: Uint8Array, generation: number): MessageKey {
    const { aead } = this.suite;
    return {
      generation,
      key: this.deriveTree(secret, 'key', generation, aead.keySize),
      nonce: this.deriveTree(secret, 'nonce', generation, aead.nonceSize),
    };
  }

  private deriveTree(
    secret: Uint8Array,
    label: string,
    generation: number,
    length: number,
  ): Uint8Array {
    return this.suite.deriveTreeSecret(secret, label, generation, length);
  }

  private checkLeaf(leafIndex: number): number {
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.nLeaves) {
      throw new MlsError('unknown-sender', `leaf ${leafIndex} is outside the tree`);
    }
    return leafIndex;
  }

  /** A leaf's ratchets, created (and the secrets on the way consumed) on first use. */
  private ratchet(leafIndex: number): { handshake: Ratchet; application: Ratchet } {
    let pair = this.ratchets.get(this.checkLeaf(leafIndex));
    if (pair) return pair;
    const leafSecret = this.nodeSecret(leafToNode(leafIndex), true);
    pair = {
      handshake: this.startRatchet(leafSecret, 'handshake'),
      application: this.startRatchet(leafSecret, 'application'),
    };
    this.ratchets.set(leafIndex, pair);
    return pair;
  }

  /** The ratchet a leaf would start with, computed without storing or deleting anything. */
  private freshRatchet(leafIndex: number, type: RatchetType): Ratchet {
    return this.startRatchet(this.nodeSecret(leafToNode(leafIndex), false), type);
  }

  private startRatchet(leafSecret: Uint8Array, type: RatchetType): Ratchet {
    const nh = this.suite.hash.size;
    return {
      next: 0,
      secret: this.suite.expandWithLabel(leafSecret, type, new Uint8Array(0), nh),
      retained: new Map(),
    };
  }

  /**
   * Derives a node's secret down from its nearest stored ancestor. With `take`,
   * the secrets used are deleted and the siblings on the way stored (§9.2);
   * without it, nothing changes.
   */
  private nodeSecret(target: number, take: boolean): Uint8Array {
    const path: number[] = [];
    let x = root(this.nLeaves);
    // walk down from the root to the target, remembering the nodes passed
    while (x !== target) {
      path.push(x);
      x = target < x ? left(x) : right(x);
    }
    path.push(target);
    let start = -1;
    for (let i = path.length - 1; i >= 0; i--) {
      if (this.nodeSecrets.has(path[i])) {
        start = i;
        break;
      }
    }
    if (start < 0)
      throw new MlsError('secret-unavailable', 'the secret tree has no secret for this leaf');
    const nh = this.suite.hash.size;
    let secret = this.nodeSecrets.get(path[start])!;
    if (take) this.nodeSecrets.delete(path[start]);
    for (let i = start; i < path.length - 1; i++) {
      const goLeft = path[i + 1] === left(path[i]);
      const next = this.suite.expandWithLabel(secret, 'tree', goLeft ? LEFT : RIGHT, nh);
      if (take) {
        const other = this.suite.expandWithLabel(secret, 'tree', goLeft ? RIGHT : LEFT, nh);
        this.nodeSecrets.set(goLeft ? right(path[i]) : left(path[i]), other);
      }
      secret = next;
    }
    return secret;
  }
}

const LEFT = utf8ToBytes('left');
const RIGHT = utf8ToBytes('right');
