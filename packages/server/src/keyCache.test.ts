import { describe, expect, it } from 'vitest';
import { KeyCache } from './keyCache.js';

describe('KeyCache', () => {
  it('makes a key once per secret and returns the same object after', () => {
    let made = 0;
    const cache = new KeyCache((secret) => ({ secret, serial: made++ }));
    const first = cache.get('cache-secret-a');
    cache.get('cache-secret-b');
    expect(cache.get('cache-secret-a')).toBe(first);
    expect(made).toBe(2);
  });

  it('keeps at most 16 keys, dropping the least recently used', () => {
    const cache = new KeyCache((secret) => ({ secret }));
    const kept = cache.get('cache-secret-kept');
    for (let index = 0; index < 40; index++) {
      cache.get(`cache-secret-${index}`);
      // Used on every round, so never the least recent.
      expect(cache.get('cache-secret-kept')).toBe(kept);
    }
    expect(cache.size).toBe(16);
    const evicted = cache.get('cache-secret-0');
    expect(evicted.secret).toBe('cache-secret-0');
    expect(cache.size).toBe(16);
  });

  it('forgets a deleted secret, the most recent one included', () => {
    let made = 0;
    const cache = new KeyCache(() => made++);
    cache.get('cache-secret-a');
    cache.delete('cache-secret-a');
    expect(cache.size).toBe(0);
    expect(cache.get('cache-secret-a')).toBe(1);
  });
});
