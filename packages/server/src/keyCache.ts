// A server signs with one secret, two during a key rotation; 16 leaves room for multi-tenant use
// without keeping every secret ever seen alive.
const capacity = 16;

/**
 * A small least-recently-used cache of key material made from secrets: turning the string into a
 * key on every signature costs about as much as the hashing itself (and, with Web Crypto, an
 * `importKey` round trip).
 */
export class KeyCache<Key> {
  readonly #keys = new Map<string, Key>();
  readonly #make: (secret: string) => Key;
  #lastSecret: string | undefined;
  #lastKey: Key | undefined;

  constructor(make: (secret: string) => Key) {
    this.#make = make;
  }

  get(secret: string): Key {
    if (secret === this.#lastSecret && this.#lastKey !== undefined) return this.#lastKey;
    let key = this.#keys.get(secret);
    if (key === undefined) {
      key = this.#make(secret);
      if (this.#keys.size >= capacity) {
        const oldest = this.#keys.keys().next();
        if (oldest.done !== true) this.#keys.delete(oldest.value);
      }
    } else {
      // Re-inserting moves the entry to the end: Map iteration order is the LRU order.
      this.#keys.delete(secret);
    }
    this.#keys.set(secret, key);
    this.#lastSecret = secret;
    this.#lastKey = key;
    return key;
  }

  /** Forgets a secret, such as one whose key could not be made. */
  delete(secret: string): void {
    this.#keys.delete(secret);
    if (this.#lastSecret === secret) {
      this.#lastSecret = undefined;
      this.#lastKey = undefined;
    }
  }

  /** How many keys are cached; for tests. */
  get size(): number {
    return this.#keys.size;
  }
}
