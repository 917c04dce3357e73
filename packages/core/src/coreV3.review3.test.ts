// The rest of the hostile review of Core v3 (issue 17): the findings left open, each test failing
// on main at 87792fc, before its fix. Public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import { FatalFetchError } from './errors.js';
import type { Logger } from './logger.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import { settles } from './testing/settles.js';
import type { AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });
const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};
/** The real setImmediate, taken before any test fakes it. */
const realSetImmediate = setImmediate;

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

describe('close() or reset() from inside a delivery stops what was queued (broadcast.ts)', () => {
  it('close() from a token$ subscriber: no later subscriber of token$ or events$ hears the token', async () => {
    const manager = create({});
    let closedAt = -1;
    const heard: string[] = [];
    manager.token$.subscribe(() => {
      manager.close(); // the user signed out
      closedAt = heard.length;
    });
    manager.token$.subscribe((token) => heard.push(`token$ ${token.id}`)); // an SDK adapter
    manager.events$.subscribe((event) => heard.push(`events$ ${event.type}`));
    await manager.updateToken(fresh(3600, { jti: 'A' })).catch(noop);
    expect(closedAt).toBe(0);
    expect(heard).toEqual([]); // an rxjs Subject completed mid-delivery delivers no more
  });

  it('reset() from a token$ subscriber (a user switch): a later subscriber is not handed the token of the user who left', async () => {
    const manager = create({ identity: 'any' });
    manager.token$.subscribe((token) => {
      if (token.identity === 'mallory') manager.reset(); // not the signed-in user: sign out
    });
    const pushedToSdk: string[] = [];
    manager.token$.subscribe((token) => pushedToSdk.push(token.identity));
    await manager.updateToken(fresh(3600, { identity: 'mallory' })).catch(noop);
    expect(manager.token).toBeNull();
    expect(pushedToSdk).toEqual([]);
  });

  it('a state$ subscriber still hears closed, last, and every stream completes', async () => {
    const manager = create({});
    const states: string[] = [];
    let completed = 0;
    manager.token$.subscribe(() => manager.close());
    manager.state$.subscribe({ next: (s) => states.push(s.status), complete: () => completed++ });
    manager.events$.subscribe({ complete: () => completed++ });
    await manager.updateToken(fresh()).catch(noop);
    expect(states).toEqual(['empty', 'valid', 'closed']); // the snapshot goes out before token$
    expect(completed).toBe(2);
  });

  // A table: close() and reset() from each kind of subscriber and listener, on each kind of news.
  type Trigger = 'tokenUpdated' | 'error' | 'tokenWillExpire' | 'tokenExpired';
  type Where = 'token$' | 'state$' | 'events$' | 'on()';
  const cases: Array<[Where, Trigger]> = [
    ['token$', 'tokenUpdated'],
    ['state$', 'tokenUpdated'],
    ['events$', 'tokenUpdated'],
    ['events$', 'error'],
    ['events$', 'tokenWillExpire'],
    ['events$', 'tokenExpired'],
    ['on()', 'tokenUpdated'],
    ['on()', 'error'],
    ['on()', 'tokenWillExpire'],
    ['on()', 'tokenExpired'],
  ];
  for (const action of ['close', 'reset'] as const) {
    for (const [where, trigger] of cases) {
      it(`${action}() from ${where} on ${trigger}: nothing after it of what it ended`, async () => {
        const { fetchToken, calls, pending } = controlledFetch();
        const manager = create({ fetchToken, random: () => 0.5 });
        let acted = false;
        const act = () => {
          if (acted) return;
          acted = true;
          if (action === 'close') manager.close();
          else manager.reset();
        };
        // The reaction first, so that the observers below come after it in every delivery.
        if (where === 'token$') manager.token$.subscribe(() => trigger === 'tokenUpdated' && act());
        if (where === 'state$') manager.state$.subscribe((s) => s.token && act());
        if (where === 'events$') manager.events$.subscribe((e) => e.type === trigger && act());
        if (where === 'on()') manager.on(trigger as never, () => act());
        const after: string[] = [];
        const note = (line: string) => acted && after.push(line);
        manager.token$.subscribe((token) => note(`token$ ${token.id}`));
        manager.events$.subscribe((event) => note(`events$ ${event.type}`));
        manager.state$.subscribe((state) => note(`state$ ${state.status}`));
        await flush();
        const first = pending[0];
        if (trigger === 'error') first?.reject(new FatalFetchError('401', { status: 401 }));
        else first?.resolve(fresh(trigger === 'tokenWillExpire' ? 120 : 600, { jti: 'T' }));
        await flush();
        if (trigger === 'tokenExpired') await vi.advanceTimersByTimeAsync(601_000);
        await flush();
        expect(acted).toBe(true);
        if (action === 'close') {
          expect(vi.getTimerCount()).toBe(0);
          expect(after.filter((line) => line !== 'state$ closed')).toEqual([]);
        } else {
          expect(
            after.filter((line) => line.endsWith(' T') || line.includes('tokenUpdated')),
          ).toEqual([]);
          expect(manager.getState()).toMatchObject({
            token: null,
            fetchStatus: 'idle',
            status: 'empty',
          });
          const fetched = calls.length;
          await vi.advanceTimersByTimeAsync(120_000);
          expect(calls.length).toBe(fetched); // no fetch after reset until asked
        }
      });
    }
  }
});

describe('user code that throws never breaks the manager', () => {
  const throwingInfo: Logger = {
    debug: noop,
    info: () => {
      throw new Error('log transport closed');
    },
    warn: noop,
    error: noop,
  };

  it('a logger whose info() throws does not leave a token held that token$ never delivered', async () => {
    const manager = create({ logger: throwingInfo });
    const tokens: string[] = [];
    manager.token$.subscribe((token) => tokens.push(token.jwt));
    const jwt = fresh();
    await manager.updateToken(jwt).catch(noop);
    expect(manager.token).toBe(jwt);
    expect(tokens).toEqual([jwt]);
  });

  it('a logger whose info() throws does not leave refresh() pending for ever', async () => {
    const manager = create({ logger: throwingInfo, fetchToken: async () => fresh() });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const refreshed = settles(manager.refresh());
      await vi.advanceTimersByTimeAsync(60_000);
      await new Promise((resolve) => realSetImmediate(resolve));
      expect(refreshed.done).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a wakeSignals that throws in the constructor leaves no orphan manager fetching behind', async () => {
    let fetches = 0;
    expect(
      () =>
        new AccessManager({
          fetchToken: async () => {
            fetches++;
            return fresh();
          },
          wakeSignals: () => {
            throw new Error('no AppState in this environment');
          },
        }),
    ).toThrow('no AppState in this environment');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetches).toBe(0); // the app has no reference to close it with
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a wakeSignals cleanup that throws does not leave close() half done: every stream completes', () => {
    const manager = make({
      token: fresh(),
      wakeSignals: () => () => {
        throw new Error('target already destroyed');
      },
    });
    let completed = false;
    manager.token$.subscribe({
      complete: () => {
        completed = true;
      },
    });
    expect(() => manager.close()).toThrow('target already destroyed');
    expect(completed).toBe(true);
    expect(manager.getState().status).toBe('closed');
    manager.close(); // idempotent
  });
});

describe('getToken() around reset()', () => {
  it('push-only: a getToken() pending across reset() rejects (aborted), never with the next user’s token', async () => {
    const manager = create({});
    const pending = manager.getToken();
    pending.catch(noop);
    manager.reset(); // alice signs out before her token came
    await manager.updateToken(fresh(3600, { identity: 'bob' }));
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });

  it('push-only: a getToken() made after reset() gets the next user’s token', async () => {
    const manager = create({});
    manager.reset();
    const pending = manager.getToken();
    const bob = fresh(3600, { identity: 'bob' });
    await manager.updateToken(bob);
    await expect(pending).resolves.toBe(bob);
  });
});

describe('the seeds’ rule: only a token minted later confirms a device clock that is off (clockSkew.ts)', () => {
  it('two old tokens minted together (same iat), pushed one after the other, are both refused', async () => {
    // A push-only app restores what it saved two hours ago: two tokens minted in the same
    // second (a stale cache, storage). The device clock is right; both expired an hour ago.
    const manager = create({});
    const minted = nowS() - 2 * 3600;
    const first = makeToken({ iat: minted, ttl: 3600, jti: 'saved-1' });
    const second = makeToken({ iat: minted, ttl: 3600, jti: 'saved-2' });
    await expect(manager.updateToken(first)).rejects.toMatchObject({ code: 'token_expired' });
    await expect(manager.updateToken(second)).rejects.toMatchObject({ code: 'token_expired' });
    expect(manager.token).toBeNull();
  });

  it('a device clock 2 h fast: a token minted a second later than the refused one is adopted', async () => {
    const manager = create({});
    const minted = nowS() - 2 * 3600; // the server's now, as the device clock is 2 h fast
    await expect(
      manager.updateToken(makeToken({ iat: minted, ttl: 3600, jti: 'first' })),
    ).rejects.toMatchObject({ code: 'token_expired' });
    vi.advanceTimersByTime(1_000);
    const next = makeToken({ iat: minted + 1, ttl: 3600, jti: 'next' });
    await manager.updateToken(next);
    expect(manager.token).toBe(next);
    expect(manager.getState()).toMatchObject({ status: 'valid' });
  });

  it('fetching with a device clock 2 h fast and no backoff: the retry waits for the server’s next second', async () => {
    const skew = 2 * 3600_000;
    const fetched: number[] = [];
    const manager = create({
      random: () => 0, // a retry with no backoff at all
      fetchToken: async () => {
        fetched.push(Date.now() - T0);
        return makeToken({ iat: Math.floor((Date.now() - skew) / 1000), ttl: 3600 });
      },
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fetched).toEqual([0, 1_000]);
    expect(manager.getState()).toMatchObject({ status: 'valid' });
  });
});

describe('a reset() from an error subscriber stands (found by the model-based test)', () => {
  it('updateToken of an expired token, and an events$ error subscriber that signs out: no fetch after the reset', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ token: fresh(), fetchToken });
    manager.events$.subscribe((event) => event.type === 'error' && manager.reset());
    await flush(); // the constructor's events are out: the error is heard as it happens
    const expired = makeToken({ iat: nowS() - 3 * 3600, ttl: 3600 });
    await expect(manager.updateToken(expired)).rejects.toMatchObject({ code: 'token_expired' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([]); // it fetched for the user who had just signed out
    expect(manager.getState()).toMatchObject({ status: 'empty', fetchStatus: 'idle' });
  });

  it('an SDK refuses the token, and a state$ subscriber signs out on it: no fetch after the reset', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ token: fresh(), fetchToken });
    await flush();
    manager.state$.subscribe((state) => state.tokenStatus === 'expired' && manager.reset());
    await expect(manager.reportSdkSignal('expired')).rejects.toMatchObject({ code: 'aborted' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([]); // it fetched for the user who had just signed out
    expect(manager.getState()).toMatchObject({ status: 'empty', fetchStatus: 'idle' });
  });
});
