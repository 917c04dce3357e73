// Findings of the hostile review of Core v3 (its tests from coreV3.review.test.ts, for the
// findings fixed here). Public API only, fake timers. Each fails on the code before its fix.
import { makeToken } from '@access-manager/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessManager } from './accessManager.js';
import type { Logger } from './logger.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import { settles } from './testing/settles.js';
import type { AccessManagerEvent, AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });

const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

const record = (manager: AccessManager) => {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
};

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

describe('review: a stated time that cannot be read is said in a log line', () => {
  it('a fetchToken that states its time as an HTTP date string: not trusted, and a warn line says so', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug: noop, info: noop, warn: (l) => warnings.push(l), error: noop };
    const jwt = fresh();
    const manager = create({
      logger,
      fetchToken: async () => ({
        token: jwt,
        serverTime: new Date().toUTCString() as never, // res.headers.get('date')
      }),
    });
    await flush();
    expect(warnings.some((line) => line.includes('not trusted'))).toBe(true);
    // The line names the token by its id, never by the JWT or a part of it.
    for (const part of jwt.split('.')) {
      expect(warnings.join('\n')).not.toContain(part);
    }
    // Not trusted, the time is ignored: the token is adopted as one fetched without a time.
    expect(manager.token).toBe(jwt);
  });
});

describe('review: forced refreshes (adoption.ts decideAdoption)', () => {
  it('a forced refresh ends when the refused token lived longer than the ones the server now mints', async () => {
    // The first token came another way with 4 h to live (server-side render); the token server
    // mints 1 h tokens. The SDK refuses the held token (key revoked, clock): every fresh token
    // expires sooner than the refused one, so none is ever adopted.
    let fetches = 0;
    const manager = create({
      token: makeToken({ iat: nowS() - 1800, ttl: 4 * 3600 }), // minted half an hour ago
      fetchToken: async () => {
        fetches++;
        return fresh(3600);
      },
      random: () => 0.5,
    });
    const events = record(manager);
    const forced = manager.reportSdkSignal('expired');
    const forcedDone = settles(forced);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(forcedDone.done).toBe(true);
    expect(fetches).toBeLessThanOrEqual(2);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });
});

describe('review: forced refreshes the app asks for (refresh({ force: true }))', () => {
  it('a forced refresh ends with a token minted later, though it expires sooner than the held one', async () => {
    let fetches = 0;
    const manager = create({
      token: makeToken({ iat: nowS() - 1800, ttl: 4 * 3600, jti: 'long' }), // from a server render
      fetchToken: async () => {
        fetches++;
        return fresh(3600, { jti: `minted-${fetches}` });
      },
      random: () => 0.5,
    });
    const events = record(manager);
    const forcedDone = settles(manager.refresh({ force: true }));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(forcedDone.done).toBe(true);
    expect(fetches).toBe(1);
    expect(manager.getState().token?.id).toBe('minted-1');
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });

  it('a forced refresh still does not adopt a token minted within a minute of the held one that expires sooner', async () => {
    let fetches = 0;
    const manager = create({
      token: makeToken({ iat: nowS() - 30, ttl: 4 * 3600, jti: 'long' }),
      fetchToken: async () => {
        fetches++;
        return fresh(3600, { jti: `minted-${fetches}` });
      },
      random: () => 0.5,
    });
    const events = record(manager);
    manager.refresh({ force: true }).catch(noop);
    await flush();
    expect(fetches).toBe(1);
    expect(manager.getState().token?.id).toBe('long');
    expect(events.some((e) => e.type === 'tokenNotAdopted' && e.reason === 'expires_sooner')).toBe(
      true,
    );
    manager.close();
  });
});
