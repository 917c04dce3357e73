import { makeToken } from '@access-manager/testing';
import { config } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessManager } from './accessManager.js';
import type { AccessToken } from './accessToken.js';
import { type AccessManagerError, FatalFetchError, FetchFailedError } from './errors.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerEvent, FetchToken } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, extra: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...extra });

/** Lets pending promise callbacks run without moving the clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);
/**
 * Lets `on()` listeners hear what just happened: they hear events a macrotask later (twilio-common
 * timing), and fake timers move a 0 ms timer set during a tick to 1 ms.
 */
const heard = () => vi.advanceTimersByTimeAsync(1);

function record(manager: AccessManager): AccessManagerEvent[] {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
}

const create = managersOnFakeTime(T0);

afterEach(() => {
  config.onUnhandledError = null;
});

describe('events follow the Twilio lifecycle', () => {
  it('delivers tokenUpdated to listeners attached right after construction', async () => {
    const jwt = fresh();
    const manager = create(jwt);
    const heard = vi.fn();
    manager.on('tokenUpdated', heard);
    expect(manager.token).toBe(jwt);
    await flush();
    expect(heard).toHaveBeenCalledTimes(1);
    expect(heard).toHaveBeenCalledWith(manager);
  });

  it('warns warnBeforeMs before expiry, then expires at exp', async () => {
    const manager = create({ token: fresh(600), wakeSignals: false });
    const events = record(manager);
    await flush();
    await vi.advanceTimersByTimeAsync(419_000);
    expect(events.map((e) => e.type)).toEqual(['tokenUpdated']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events.map((e) => e.type)).toEqual(['tokenUpdated', 'tokenWillExpire']);
    expect(events[1]).toMatchObject({ expiresInMs: 180_000 });
    expect(manager.getState().status).toBe('expiring');
    await vi.advanceTimersByTimeAsync(179_999);
    expect(manager.isExpired).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.map((e) => e.type)).toEqual(['tokenUpdated', 'tokenWillExpire', 'tokenExpired']);
    expect(manager.isExpired).toBe(true);
    expect(manager.getState().status).toBe('expired');
  });

  it('warns at once for a token with less than warnBeforeMs left', async () => {
    const manager = create(fresh(120));
    const order: string[] = [];
    manager.on('tokenUpdated', () => order.push('updated'));
    manager.on('tokenWillExpire', () => order.push('willExpire'));
    await flush();
    expect(order).toEqual(['updated', 'willExpire']);
  });

  it('does not expire a token that was replaced in time', async () => {
    const manager = create(fresh(600));
    const expired = vi.fn();
    manager.on('tokenExpired', expired);
    await vi.advanceTimersByTimeAsync(500_000);
    await manager.updateToken(fresh(600));
    await vi.advanceTimersByTimeAsync(200_000);
    expect(expired).not.toHaveBeenCalled();
  });

  it('rejects an expired initial token, keeps none, and fetches at once', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const expired = makeToken({ iat: nowS() - 7200, ttl: 3600 });
    const manager = create({ token: expired, fetchToken });
    const errors: AccessManagerError[] = [];
    manager.on('error', (e) => errors.push(e));
    expect(manager.token).toBeNull();
    await flush();
    expect(errors.map((e) => e.code)).toEqual(['token_expired']);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.reason).toBe('expired');
    pending[0]?.resolve(fresh());
    await flush();
    expect(manager.getState().status).toBe('valid');
  });

  it('survives a throwing listener and an error nobody listens to', async () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (e) => reported.push(e);
    const manager = create(fresh());
    const second = vi.fn();
    manager.on('tokenUpdated', () => {
      throw new Error('listener bug');
    });
    manager.on('tokenUpdated', second);
    await flush();
    expect(second).toHaveBeenCalledTimes(1);
    await expect(manager.updateToken('not a token')).rejects.toMatchObject({
      code: 'malformed_token',
    });
    const next = fresh(3600, { iat: nowS() + 1 });
    await manager.updateToken(next);
    await heard();
    await heard(); // rxjs reports a listener's error a macrotask later
    expect(second).toHaveBeenCalledTimes(2);
    expect(reported).toHaveLength(2);
    expect(manager.token).toBe(next);
  });

  it('once() listens a single time and off() stops listening', async () => {
    const manager = create(fresh());
    const once = vi.fn();
    const on = vi.fn();
    manager.once('tokenUpdated', once).on('tokenUpdated', on);
    await flush();
    manager.off('tokenUpdated', on);
    await manager.updateToken(fresh(3600, { iat: nowS() + 1 }));
    expect(once).toHaveBeenCalledTimes(1);
    expect(on).toHaveBeenCalledTimes(1);
  });
});

describe('validation before adoption', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['a non-string', () => 42, 'malformed_token'],
    ['garbage', () => 'abc.def', 'malformed_token'],
    ['no grants.identity', () => makeToken({ identity: null }), 'malformed_token'],
    ['no numeric exp', () => makeToken({ payload: { exp: 'soon' } }), 'malformed_token'],
    ['an expired token', () => makeToken({ iat: nowS() - 4000, ttl: 3600 }), 'token_expired'],
    ['nbf in the future', () => fresh(3600, { nbf: nowS() + 60 }), 'token_not_yet_valid'],
    ['a lifetime over 24 h', () => fresh(86_401), 'lifetime_exceeded'],
    ['another identity', () => fresh(3600, { identity: 'mallory' }), 'identity_mismatch'],
    [
      'another account',
      () => fresh(3600, { accountSid: `AC${'9'.repeat(32)}` }),
      'account_mismatch',
    ],
    [
      'another chat service instance',
      () => fresh(3600, { grants: { chat: { service_sid: `IS${'2'.repeat(32)}` } } }),
      'instance_mismatch',
    ],
  ];
  for (const [what, make, code] of cases) {
    it(`rejects ${what} with ${code} and keeps the token held`, async () => {
      const good = fresh();
      const manager = create(good);
      await flush();
      const events = record(manager);
      await expect(manager.updateToken(make() as string)).rejects.toMatchObject({ code });
      expect(manager.token).toBe(good);
      expect(manager.getState()).toMatchObject({ status: 'valid', lastError: { code } });
      expect(events.map((e) => e.type)).toEqual(['error']);
    });
  }

  it('accepts another identity when identity is "any"', async () => {
    const manager = create({ token: fresh(), identity: 'any' });
    await manager.updateToken(fresh(3600, { identity: 'bob', iat: nowS() + 1 }));
    expect(manager.identity).toBe('bob');
  });

  it('rejects a token without a grant an adapter requires', async () => {
    const both = { chat: { service_sid: 'IS1' }, voice: { incoming: { allow: true } } };
    const manager = create(fresh(3600, { grants: both }));
    const release = manager.requireGrant('voice');
    const chatOnly = fresh(3600, { iat: nowS() + 1, grants: { chat: { service_sid: 'IS1' } } });
    await expect(manager.updateToken(chatOnly)).rejects.toMatchObject({ code: 'missing_grant' });
    release();
    release();
    await manager.updateToken(chatOnly);
    expect(manager.token).toBe(chatOnly);
    expect(() => manager.requireGrant('voice')).toThrow(
      expect.objectContaining({ code: 'missing_grant' }),
    );
  });

  it('treats the same token again as a no-op', async () => {
    const jwt = fresh();
    const manager = create(jwt);
    await flush();
    const events = record(manager);
    await manager.updateToken(jwt);
    expect(events).toEqual([]);
  });
});

describe('refresh', () => {
  it('makes one fetchToken call however many callers ask at once', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const manager = create({ token: fresh(), fetchToken });
    const results = Promise.all([1, 2, 3, 4].map(() => manager.refresh({ reason: 'sdk' })));
    await flush();
    expect(calls).toHaveLength(1);
    const next = fresh(3600, { iat: nowS() + 1 });
    pending[0]?.resolve(next);
    const tokens = await results;
    expect(new Set(tokens.map((t) => t.jwt))).toEqual(new Set([next]));
    expect(manager.token).toBe(next);
  });

  it('refreshes by itself before expiry, from the token lifetime', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const manager = create({ token: fresh(3600), fetchToken, random: () => 0 });
    // default lead: min(300 s, lifetime / 3) = 300 s, with jitter 0
    await vi.advanceTimersByTimeAsync(3_299_999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.reason).toBe('scheduled');
    expect(manager.getState().status).toBe('refreshing');
    pending[0]?.resolve(fresh(3600));
    await flush();
    expect(manager.getState().status).toBe('valid');
    // a 3-minute token refreshes one third of its life before expiry
    const short = controlledFetch();
    const m2 = create({ token: fresh(180), fetchToken: short.fetchToken, random: () => 0 });
    await vi.advanceTimersByTimeAsync(119_999);
    expect(short.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(short.calls).toHaveLength(1);
    expect(m2.getState().refreshAt).toBeNull();
  });

  it('applies up to 10 % jitter to the refresh lead', () => {
    const early = create({ token: fresh(3600), fetchToken: async () => '', random: () => 0 });
    const late = create({ token: fresh(3600), fetchToken: async () => '', random: () => 0.999 });
    const lead = (m: AccessManager) => T0 + 3_600_000 - (m.getState().refreshAt?.getTime() ?? 0);
    expect(lead(early)).toBe(300_000);
    expect(lead(late)).toBeCloseTo(270_030, -1);
  });

  it('force replaces a fetch begun before the token held now', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const manager = create({ token: fresh(), fetchToken });
    const first = manager.refresh();
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    await manager.updateToken(fresh(3600, { iat: nowS() }));
    const forced = manager.refresh({ reason: 'sdk', force: true });
    await flush();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.signal.aborted).toBe(true);
    // a forced refresh joins a fetch begun after the token held now
    manager.refresh({ force: true });
    await flush();
    expect(calls).toHaveLength(2);
    const next = fresh(3600, { iat: nowS() + 5 });
    pending[1]?.resolve(next);
    expect((await forced).jwt).toBe(next);
    expect((await first).jwt).toBe(next);
  });

  it('aborts each fetch after fetchTimeoutMs and retries', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ fetchToken, fetchTimeoutMs: 5_000, random: () => 0.5 });
    const errors: string[] = [];
    manager.on('error', (e) => errors.push(e.code));
    await flush();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    await heard();
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(errors).toEqual(['fetch_timeout']);
    expect(manager.getState()).toMatchObject({ status: 'refreshing', attempt: 1 });
    await vi.advanceTimersByTimeAsync(499); // 0.5 * 1000, less the 1 ms of heard()
    expect(calls).toHaveLength(2);
    expect(calls[1]?.attempt).toBe(2);
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs', async () => {
    const starts: number[] = [];
    const fetchToken: FetchToken = async () => {
      starts.push(Date.now());
      throw new Error('down');
    };
    create({ fetchToken, random: () => 0.999_999, retry: { minDelayMs: 1000, maxDelayMs: 8000 } });
    await vi.advanceTimersByTimeAsync(60_000);
    const gaps = starts.slice(1).map((t, i) => Math.round((t - (starts[i] ?? 0)) / 1000));
    expect(gaps.slice(0, 6)).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('keeps retrying after expiry and recovers by itself when the backend returns', async () => {
    let up = false;
    const fetchToken: FetchToken = async () => {
      if (!up) throw new FetchFailedError('503', { status: 503 });
      return fresh(600);
    };
    const manager = create({ token: fresh(600), fetchToken, random: () => 1 - 1e-9 });
    const states: string[] = [];
    manager.state$.subscribe((s) => states.push(s.status));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(manager.getState().status).toBe('expired');
    expect(manager.isExpired).toBe(true);
    up = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(manager.getState().status).toBe('valid');
    expect(manager.isExpired).toBe(false);
    expect(states).toContain('expired');
  });

  it('ends a refresh waiting to retry when a token is pushed meanwhile', async () => {
    let calls = 0;
    const fetchToken: FetchToken = async () => {
      calls++;
      throw new Error('down');
    };
    const manager = create({ fetchToken, random: () => 0.5 });
    const refreshed = manager.refresh();
    await flush();
    expect(calls).toBe(1);
    const pushed = fresh();
    await manager.updateToken(pushed);
    expect((await refreshed).jwt).toBe(pushed);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(1);
    expect(manager.getState()).toMatchObject({ status: 'valid', attempt: 0 });
  });

  it('honours Retry-After', async () => {
    const starts: number[] = [];
    const fetchToken: FetchToken = async () => {
      starts.push(Date.now());
      throw new FetchFailedError('429', { status: 429, retryAfterMs: 20_000 });
    };
    create({ fetchToken, random: () => 0 });
    await vi.advanceTimersByTimeAsync(25_000);
    expect(starts.map((t) => t - T0)).toEqual([0, 20_000]);
  });

  it('stops on a fatal error, with status failed, until asked again', async () => {
    let calls = 0;
    const fetchToken: FetchToken = async () => {
      calls++;
      if (calls === 1) throw new FatalFetchError('401', { status: 401 });
      return fresh();
    };
    const manager = create({ fetchToken });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toBe(1);
    expect(manager.getState()).toMatchObject({
      status: 'failed',
      lastError: { code: 'fetch_failed', retryable: false },
    });
    await manager.refresh();
    expect(manager.getState().status).toBe('valid');
  });

  it('does not spin when the server returns the token already held', async () => {
    const jwt = fresh(600);
    let calls = 0;
    const manager = create({
      token: jwt,
      random: () => 0.5,
      fetchToken: async () => {
        calls++;
        return jwt;
      },
    });
    await vi.advanceTimersByTimeAsync(600_000 - 200_000 + 10_000);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(8);
    expect(manager.getState().lastError?.code).toBe('stale_token');
  });

  it('resolves a manual refresh with the held token when the server has nothing newer', async () => {
    const jwt = fresh();
    const manager = create({ token: jwt, fetchToken: async () => jwt });
    expect((await manager.refresh()).jwt).toBe(jwt);
    expect(manager.getState().status).toBe('valid');
  });

  it('rejects refresh without fetchToken', async () => {
    const manager = create(fresh());
    await expect(manager.refresh()).rejects.toMatchObject({
      code: 'fetch_failed',
      retryable: false,
    });
  });
});

describe('getToken', () => {
  it('returns the held token when it is valid long enough, else fetches', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const held = fresh(300);
    const manager = create({ token: held, fetchToken });
    expect(await manager.getToken({ minValidityMs: 60_000 })).toBe(held);
    const wanted = manager.getToken({ minValidityMs: 600_000 });
    await flush();
    expect(calls).toHaveLength(1);
    const next = fresh(3600, { iat: nowS() + 1 });
    pending[0]?.resolve(next);
    expect(await wanted).toBe(next);
  });

  it('rejects when its signal aborts', async () => {
    const { fetchToken } = controlledFetch();
    const manager = create({ fetchToken });
    const controller = new AbortController();
    const wanted = manager.getToken({ signal: controller.signal });
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(wanted).rejects.toMatchObject({ code: 'aborted', cause: reason });
  });

  it('waits for updateToken when there is no fetchToken', async () => {
    const manager = create();
    const wanted = manager.getToken();
    const jwt = fresh();
    await manager.updateToken(jwt);
    expect(await wanted).toBe(jwt);
  });
});

describe('time', () => {
  it('refreshes on time with a device clock hours ahead', async () => {
    const skew = 3 * 3600_000; // the device is 3 h ahead of the server
    const serverNow = () => Math.floor((Date.now() - skew) / 1000);
    const fetched: number[] = [];
    const fetchToken: FetchToken = async () => {
      fetched.push(Date.now());
      return makeToken({ iat: serverNow(), ttl: 3600 });
    };
    const manager = create({ fetchToken, random: () => 0 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(manager.getState()).toMatchObject({ status: 'valid' });
    expect(manager.getState().clockOffsetMs).toBeCloseTo(-skew, -4);
    await vi.advanceTimersByTimeAsync(3_301_000);
    // The first token is refused (it looks expired and nothing dates it, as Twilio's docs say);
    // the retry's token, minted a second later (the retry waits for it) and whose age agrees,
    // shows the device clock is fast (issue 17).
    expect(fetched.map((t) => Math.round((t - T0) / 1000))).toEqual([0, 1, 3301]);
    expect(manager.isExpired).toBe(false);
  });

  it('trusts a token issued in the local future: the device clock is behind', async () => {
    const skew = 2 * 3600; // seconds the device is behind
    const jwt = makeToken({ iat: nowS() + skew, ttl: 600 });
    const manager = create(jwt);
    expect(manager.token).toBe(jwt);
    expect(manager.getState().clockOffsetMs).toBe(skew * 1000);
    const expired = vi.fn();
    manager.on('tokenExpired', expired);
    await vi.advanceTimersByTimeAsync(599_000);
    expect(expired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    await heard();
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('catches up within 30 s after the laptop slept through its refresh', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ token: fresh(3600), fetchToken, wakeSignals: false });
    await flush();
    // sleep: the wall clock jumps, no timer runs meanwhile
    vi.setSystemTime(T0 + 3_400_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0]?.reason).toBe('scheduled');
    expect(manager.getState().status).toBe('refreshing');
  });

  it('re-checks at once on a wake signal', async () => {
    const { fetchToken, calls } = controlledFetch();
    let wake = () => {};
    const unwake = vi.fn();
    const manager = create({
      token: fresh(3600),
      fetchToken,
      wakeSignals: (onWake) => {
        wake = onWake;
        return unwake;
      },
    });
    vi.setSystemTime(T0 + 3_700_000);
    wake();
    await flush();
    expect(calls[0]?.reason).toBe('expired');
    manager.close();
    expect(unwake).toHaveBeenCalledTimes(1);
  });

  it('listens to the browser wake signals by default', async () => {
    const target = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    vi.stubGlobal('document', doc);
    try {
      const { fetchToken, calls } = controlledFetch();
      const manager = create({ token: fresh(3600), fetchToken });
      vi.setSystemTime(T0 + 3_400_000);
      doc.dispatchEvent(new Event('visibilitychange'));
      await flush();
      expect(calls).toHaveLength(1);
      manager.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('wakes an idle manager at most 130 times in an hour', async () => {
    const realSetTimeout = globalThis.setTimeout;
    let wakeUps = 0;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((cb: () => void, ms?: number) =>
      realSetTimeout(() => {
        wakeUps++;
        cb();
      }, ms)) as typeof setTimeout);
    create({ token: fresh(3600), wakeSignals: false });
    await vi.advanceTimersByTimeAsync(3_600_000);
    vi.mocked(globalThis.setTimeout).mockRestore();
    expect(wakeUps).toBeGreaterThan(100);
    expect(wakeUps).toBeLessThanOrEqual(130);
  });
});

describe('close', () => {
  it('is idempotent, aborts the fetch, clears timers, completes streams', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ token: fresh(), fetchToken });
    const refreshing = manager.refresh();
    await flush();
    const completed = vi.fn();
    manager.token$.subscribe({ complete: completed });
    manager.state$.subscribe({ complete: completed });
    manager.events$.subscribe({ complete: completed });
    manager.close();
    manager.close();
    manager[Symbol.dispose]();
    expect(calls[0]?.signal.aborted).toBe(true);
    await expect(refreshing).rejects.toMatchObject({ code: 'closed' });
    expect(completed).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
    expect(manager.getState().status).toBe('closed');
    await expect(manager.updateToken(fresh())).rejects.toMatchObject({ code: 'closed' });
    await expect(manager.refresh()).rejects.toMatchObject({ code: 'closed' });
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('streams', () => {
  it('token$ replays the current token, then each adopted one', async () => {
    const first = fresh();
    const manager = create(first);
    const seen: AccessToken[] = [];
    manager.token$.subscribe((t) => seen.push(t));
    const second = fresh(3600, { iat: nowS() + 1 });
    await manager.updateToken(second);
    expect(seen.map((t) => t.jwt)).toEqual([first, second]);
  });

  it('state$ replays the current state', () => {
    const manager = create(fresh());
    const seen: string[] = [];
    manager.state$.subscribe((s) => seen.push(s.status));
    expect(seen).toEqual(['valid']);
  });
});

describe('security', () => {
  it('never shows the JWT in errors, logs, console.log or JSON', async () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string) => lines.push(m),
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
    };
    const jwt = fresh(600);
    const signature = jwt.split('.')[2] ?? '';
    const payload = jwt.split('.')[1] ?? '';
    const manager = create({
      token: jwt,
      logger,
      fetchToken: async () => fresh(600, { identity: 'eve' }),
    });
    const errors: AccessManagerError[] = [];
    manager.on('error', (e) => errors.push(e));
    await manager.updateToken(fresh(600, { identity: 'eve' })).catch(() => {});
    await vi.advanceTimersByTimeAsync(700_000);
    const { inspect } = await import('node:util');
    const printed = [
      ...lines,
      ...errors.map((e) => `${e.message} ${e.stack} ${inspect(e)}`),
      inspect(manager, { depth: 5, showHidden: false }),
      inspect(manager.getState(), { depth: 5 }),
      JSON.stringify(manager.getState()),
      String(manager.getState().token),
    ].join('\n');
    expect(errors.length).toBeGreaterThan(1);
    // Adopted, refused push, refused fetch (identity_mismatch ends the refresh: no retries since v2).
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(printed).not.toContain(signature);
    expect(printed).not.toContain(payload);
    expect(printed).toContain('AccessToken(');
  });
});
