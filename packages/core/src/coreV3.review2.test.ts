// Findings of the hostile review of Core v3 (its tests from coreV3.review.test.ts, for the
// findings fixed here). Public API only, fake timers. Each fails on the code before its fix.
import { makeToken } from '@access-manager/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('review: options that pass validation and still break the manager', () => {
  it('a random() outside [0, 1) does not switch the refresh off (as a NaN option did)', async () => {
    let fetches = 0;
    const manager = create({
      token: fresh(3600),
      random: () => 2 ** 32 - 1, // crypto.getRandomValues(new Uint32Array(1))[0]
      fetchToken: async () => {
        fetches++;
        return fresh(3600);
      },
    });
    await vi.advanceTimersByTimeAsync(3_600_000 + 60_000);
    expect(fetches).toBeGreaterThan(0);
    expect(manager.getState().tokenStatus).not.toBe('expired');
  });

  it('a random() of NaN or below 0 does not switch the refresh off either', async () => {
    for (const value of [Number.NaN, -1]) {
      let fetches = 0;
      const manager = create({
        token: fresh(3600),
        random: () => value,
        fetchToken: async () => {
          fetches++;
          return fresh(3600);
        },
      });
      await vi.advanceTimersByTimeAsync(3_600_000 + 60_000);
      expect(fetches).toBeGreaterThan(0);
      expect(manager.getState().tokenStatus).not.toBe('expired');
      manager.close();
    }
  });
});
