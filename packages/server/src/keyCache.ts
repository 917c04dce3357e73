import { Buffer } from 'node:buffer';
import { createSecretKey, type KeyObject } from 'node:crypto';

// A server signs with one secret, two during a key rotation; 16 leaves room for multi-tenant use
// without keeping every secret ever seen alive.
const capacity = 16;
const keys = new Map<string, KeyObject>();
let lastSecret: string | undefined;
let lastKey: KeyObject | undefined;

/**
 * The HMAC key for a secret, prepared once and kept in a small least-recently-used cache: turning
 * the string into key material on every signature costs about as much as the hashing itself.
 */
export function secretKeyFor(secret: string): KeyObject {
  if (secret === lastSecret && lastKey !== undefined) return lastKey;
  let key = keys.get(secret);
  if (key === undefined) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size >= capacity) {
      const oldest = keys.keys().next();
      if (oldest.done !== true) keys.delete(oldest.value);
    }
  } else {
    // Re-inserting moves the entry to the end: Map iteration order is the LRU order.
    keys.delete(secret);
  }
  keys.set(secret, key);
  lastSecret = secret;
  lastKey = key;
  return key;
}

/** How many keys are cached; for tests. */
export function cachedKeyCount(): number {
  return keys.size;
}
