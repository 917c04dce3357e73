// The hostile review of Core v3: the tests of the findings fixed, each failing on the code before
// its fix (the review's file, coreV3.review.test.ts, ran on main at b9f21d9). Public API only,
// fake timers.
import { makeToken } from '@access-manager/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessManager } from './accessManager.js';
import { FatalFetchError, FetchFailedError, InvalidOptionError } from './errors.js';
import { fetchTokenFrom } from './fetchTokenFrom.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const H = 3_600_000;
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });
const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('review: re-entrancy from an error subscriber (refresher.ts #failed)', () => {
  it('reset() from an events$ error subscriber on a fatal 401 (sign-out) leaves no failure standing: the next user’s getToken() fetches', async () => {
    let fetches = 0;
    const manager = create({
      fetchToken: async () => {
        fetches++;
        if (fetches === 1) throw new FatalFetchError('401', { status: 401 });
        return fresh(3600, { identity: 'bob' });
      },
    });
    // The app signs the user out on a 401, as soon as it hears it.
    manager.events$.subscribe((event) => {
      if (event.type === 'error' && event.error.code === 'fetch_failed') manager.reset();
    });
    await flush();
    expect(fetches).toBe(1);
    // Reset forgets "any fetch under way or fatal error" (its TSDoc): nothing failed since.
    expect(manager.getState()).toMatchObject({ status: 'empty', fetchStatus: 'idle' });
    // The next user signs in: getToken() must fetch, not reject with the old user's 401.
    await expect(manager.getToken()).resolves.toEqual(expect.any(String));
    expect(fetches).toBe(2);
  });

  it('a token pushed from an events$ error subscriber during a fatal failure ends the failure: the refresh is planned again', async () => {
    const manager = create({
      fetchToken: async () => {
        throw new FatalFetchError('401', { status: 401 });
      },
    });
    const fallback = fresh(3600);
    manager.events$.subscribe((event) => {
      if (event.type === 'error' && event.error.code === 'fetch_failed') {
        manager.updateToken(fallback).catch(noop); // a token from the app's other path
      }
    });
    await flush();
    expect(manager.token).toBe(fallback);
    // "until refresh(), reset() or a pushed token": the pushed token came after the failure.
    expect(manager.getState()).toMatchObject({ status: 'valid', fetchStatus: 'idle' });
    expect(manager.getState().refreshAt).not.toBeNull();
  });

  it('reset() from an events$ subscriber on an error: no failure standing, no fetch until asked', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const manager = create({ fetchToken, random: () => 0.5 });
    let acted = false;
    manager.events$.subscribe((event) => {
      if (event.type !== 'error' || acted) return;
      acted = true;
      manager.reset();
    });
    await flush();
    pending[0]?.reject(new FatalFetchError('401', { status: 401 }));
    await flush();
    expect(acted).toBe(true);
    expect(manager.getState()).toMatchObject({ token: null, fetchStatus: 'idle', status: 'empty' });
    const fetched = calls.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls.length).toBe(fetched);
  });
});

describe('review: options that pass validation and still break the manager (options.ts)', () => {
  it('retry.minDelayMs: 0 (Number("") of an empty env variable) does not hammer a failing token server', async () => {
    let fetches = 0;
    try {
      create({
        retry: { minDelayMs: Number('') },
        fetchToken: async () => {
          fetches++;
          throw new FetchFailedError('503', { status: 503 });
        },
      });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError); // refusing 0 at construction is a fix too
      return;
    }
    await vi.advanceTimersByTimeAsync(1_000);
    // With any backoff at all, a second of failures is a handful of fetches, not thousands.
    expect(fetches).toBeLessThan(20);
  });

  it('retry.maxDelayMs: 0 is refused at construction, naming the option and the value', () => {
    expect(() => create({ retry: { maxDelayMs: 0 } })).toThrow(
      new InvalidOptionError('retry.maxDelayMs must be a number ≥ 1, not 0.'),
    );
  });

  it('fetchTimeoutMs: 0 ("0 for none", as the server’s authorizeTimeoutMs) either fails at construction or fetches a token', async () => {
    let made: AccessManager | undefined;
    try {
      made = create({
        fetchTimeoutMs: 0,
        fetchToken: () => new Promise((resolve) => setTimeout(() => resolve(fresh()), 50)), // a 50 ms server
      });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      return;
    }
    await vi.advanceTimersByTimeAsync(10_000);
    // Today: every attempt is aborted at 0 ms, fetch_timeout for ever, never a token.
    expect(made.getState().tokenStatus).toBe('valid');
  });

  it('a JWT passed where fetchToken belongs never appears in the InvalidOptionError message', () => {
    const jwt = fresh();
    let caught: unknown;
    try {
      create({ fetchToken: jwt as never });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as Error).message).not.toContain(jwt);
    expect((caught as Error).message).not.toContain(jwt.split('.')[1]);
  });

  it('an option value without a string form is an InvalidOptionError, not a TypeError', () => {
    const bare = Object.create(null);
    for (const given of [
      { fetchToken: bare },
      { warnBeforeMs: bare },
      { retry: { minDelayMs: bare } },
    ] as AccessManagerOptions[]) {
      expect(() => create(given)).toThrow(InvalidOptionError);
    }
  });

  it('a timing given as a string (an env variable not passed through Number) is an InvalidOptionError', () => {
    expect(() => create({ refreshBeforeMs: '60000' as never })).toThrow(InvalidOptionError);
    expect(() => create({ warnBeforeMs: '' as never })).toThrow(InvalidOptionError);
  });
});

describe('review: timers after close (eventDelivery.ts emit, listenerFacade.ts hear)', () => {
  it('close() from an events$ subscriber leaves no timer armed (the listeners’ macrotask is armed after it)', async () => {
    const manager = create({
      fetchToken: async () => {
        throw new FatalFetchError('401', { status: 401 });
      },
    });
    manager.events$.subscribe((event) => event.type === 'error' && manager.close());
    // Microtasks only (the fetch's answer), no timer run: what close() left is still there.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(manager.getState().status).toBe('closed');
    expect(vi.getTimerCount()).toBe(0); // today 1: hear() arms the listeners' timer after close()
  });
});

describe('review: stated server times (fetchTokenFrom statedTime)', () => {
  it('a cached answer’s body serverTime is moved by its Age: a token two hours old is not adopted as valid', async () => {
    // A CDN (or a service worker) cached the JSON body two hours ago, serverTime included, and
    // says so with Age; the device clock is right. The README: "a CDN or the HTTP cache can
    // answer with a token minted long ago, so the server's clock comes from what the server
    // states"; fetchTokenFrom adds Age to Date, but not to the body's serverTime.
    const mintedAt = Date.now() - 2 * H;
    const stale = makeToken({ iat: mintedAt / 1000, ttl: 3600, jti: 'cached' });
    vi.stubGlobal(
      'fetch',
      async () =>
        new Response(JSON.stringify({ token: stale, serverTime: mintedAt }), {
          headers: {
            'content-type': 'application/json',
            date: new Date(mintedAt).toUTCString(),
            age: '7200',
          },
        }),
    );
    const manager = create({ fetchToken: fetchTokenFrom('https://tokens.example.test/token') });
    await flush();
    expect(manager.token).not.toBe(stale);
  });
});

describe('review: a subscription made during a delivery (broadcast.ts next)', () => {
  it('a token$ subscription made from a state$ subscriber during an adoption hears the token once', async () => {
    const manager = create({});
    manager.token$.subscribe(noop); // an SDK adapter, subscribed before
    const seen: string[] = [];
    let subscribed = false;
    manager.state$.subscribe((state) => {
      if (state.token && !subscribed) {
        subscribed = true; // e.g. a component that mounts when the status turns valid
        manager.token$.subscribe((token) => seen.push(token.id as string));
      }
    });
    await manager.updateToken(fresh(3600, { jti: 'A' }));
    await flush();
    expect(seen).toEqual(['A']);
  });
});

describe('review: null options (accessManager.ts getToken, refresh)', () => {
  it('getToken(null) and refresh(null) are getToken() and refresh(), never a TypeError (refresh threw it at once)', async () => {
    const held = fresh(3600, { jti: 'held' });
    const manager = create({ token: held, fetchToken: async () => fresh(3600, { jti: 'new' }) });
    await expect(manager.getToken(null as never)).resolves.toBe(held);
    let thrown: unknown;
    let refreshed: Promise<unknown> | undefined;
    try {
      refreshed = manager.refresh(null as never);
    } catch (error) {
      thrown = error; // a synchronous throw: a caller's .catch() never runs
    }
    expect(thrown).toBeUndefined();
    await expect(refreshed).resolves.toMatchObject({ id: 'new' });
  });
});

/**
 * updateToken from every kind of subscriber, during the delivery of each kind of news: after it,
 * the token held is token$'s last value and tokenUpdated's last token, the state is not failed,
 * and a refresh is planned (or under way).
 */
describe('review: re-entrant updateToken from every kind of subscriber', () => {
  type Trigger = 'tokenUpdated' | 'error' | 'fatal' | 'tokenWillExpire' | 'tokenExpired';
  type Where = 'token$' | 'state$' | 'events$';
  const cases: Array<[Where, Trigger]> = [
    ['token$', 'tokenUpdated'],
    ['state$', 'tokenUpdated'],
    ['events$', 'tokenUpdated'],
    ['events$', 'error'],
    ['events$', 'fatal'],
    ['events$', 'tokenWillExpire'],
    ['events$', 'tokenExpired'],
  ];
  for (const [where, trigger] of cases) {
    it(`updateToken() from ${where} on ${trigger === 'fatal' ? 'a fatal error' : trigger}`, async () => {
      const { fetchToken, pending } = controlledFetch();
      const manager = create({ fetchToken, random: () => 0.5 });
      const pushed = fresh(7200, { jti: 'P' });
      let acted = false;
      const act = () => {
        if (acted) return;
        acted = true;
        manager.updateToken(pushed).catch(noop);
      };
      if (where === 'token$') manager.token$.subscribe(() => act());
      if (where === 'state$') manager.state$.subscribe((state) => state.token && act());
      if (where === 'events$') {
        const type = trigger === 'fatal' ? 'error' : trigger;
        manager.events$.subscribe((event) => event.type === type && act());
      }
      const tokens: string[] = [];
      const updated: string[] = [];
      manager.token$.subscribe((token) => tokens.push(token.id as string));
      manager.events$.subscribe(
        (event) => event.type === 'tokenUpdated' && updated.push(event.token.id as string),
      );
      await flush();
      const first = pending[0];
      if (trigger === 'fatal') first?.reject(new FatalFetchError('401', { status: 401 }));
      else if (trigger === 'error') first?.reject(new FetchFailedError('503', { status: 503 }));
      else first?.resolve(fresh(trigger === 'tokenWillExpire' ? 120 : 600, { jti: 'T' }));
      await flush();
      if (trigger === 'tokenExpired') {
        await vi.advanceTimersByTimeAsync(420_000); // the refresh hangs: the token expires
        for (const fetch of pending.slice(1)) fetch.reject(new FetchFailedError('503'));
        await vi.advanceTimersByTimeAsync(181_000);
      }
      await flush();
      expect(acted).toBe(true);
      expect(manager.token).toBe(pushed);
      expect(tokens.at(-1)).toBe('P');
      expect(updated.at(-1)).toBe('P');
      const state = manager.getState();
      expect(state.status).toBe('valid');
      expect(state.refreshAt).not.toBeNull();
    });
  }
});
