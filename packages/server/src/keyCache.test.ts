import { describe, expect, it } from 'vitest';
import { cachedKeyCount, secretKeyFor } from './keyCache.js';

describe('secretKeyFor', () => {
  it('prepares a key once per secret and returns the same object after', () => {
    const first = secretKeyFor('cache-secret-a');
    secretKeyFor('cache-secret-b');
    expect(secretKeyFor('cache-secret-a')).toBe(first);
    expect(first.export().toString('utf8')).toBe('cache-secret-a');
  });

  it('keeps at most 16 keys, dropping the least recently used', () => {
    const kept = secretKeyFor('cache-secret-kept');
    for (let index = 0; index < 40; index++) {
      secretKeyFor(`cache-secret-${index}`);
      // Used on every round, so never the least recent.
      expect(secretKeyFor('cache-secret-kept')).toBe(kept);
    }
    expect(cachedKeyCount()).toBe(16);
    const evicted = secretKeyFor('cache-secret-0');
    expect(evicted.export().toString('utf8')).toBe('cache-secret-0');
    expect(cachedKeyCount()).toBe(16);
  });
});
