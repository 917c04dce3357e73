// Regressions: one test per bug found in review, each failing on the code before its fix.
import { makeToken, signJwt } from '@access-manager/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachClient, type ClientSpec } from './attachClient.js';
import { FatalFetchError, FetchFailedError } from './errors.js';
import { fetchTokenFrom } from './fetchTokenFrom.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { FetchToken, FetchTokenContext } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const create = managersOnFakeTime(T0);
afterEach(() => {
  vi.unstubAllGlobals();
});

/** A fetchToken that never settles until its signal aborts; counts its calls. */
const hanging = () => {
  const calls: FetchTokenContext[] = [];
  const fetchToken: FetchToken = (context) => {
    calls.push(context);
    return new Promise((_, reject) =>
      context.signal.addEventListener('abort', () => reject(context.signal.reason)),
    );
  };
  return { calls, fetchToken };
};

describe('regressions', () => {
  it('a token issued far in the local future does not lock later tokens out once it expires', async () => {
    let fetches = 0;
    const manager = create({
      token: makeToken({ iat: nowS() }),
      wakeSignals: false,
      fetchToken: async () => {
        fetches++;
        return makeToken({ iat: nowS() });
      },
    });
    await manager.updateToken(makeToken({ iat: nowS() + 20 * 3600, ttl: 3600 }));
    await vi.advanceTimersByTimeAsync(3 * 3600_000);
    expect(manager.getState().status).toBe('valid');
    expect(fetches).toBeLessThan(10);
  });

  it('a fetch that fails after a fresh token was pushed neither reports nor retries', async () => {
    const { calls, fetchToken } = hanging();
    const manager = create({
      token: makeToken({ iat: nowS(), ttl: 600 }),
      fetchToken,
      random: () => 0.5,
      wakeSignals: false,
    });
    const errors: string[] = [];
    manager.on('error', (e) => errors.push(e.code));
    await vi.advanceTimersByTimeAsync(411_000); // the scheduled fetch is running
    expect(calls).toHaveLength(1);
    await manager.updateToken(makeToken({ iat: nowS(), ttl: 3600 }));
    await vi.advanceTimersByTimeAsync(120_000); // it times out meanwhile
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(manager.getState()).toMatchObject({ status: 'valid', lastError: null });
  });

  it('force joins a refresh waiting to retry: no fetch before Retry-After, which maxDelayMs caps', async () => {
    const starts: number[] = [];
    const manager = create({
      wakeSignals: false,
      random: () => 0,
      retry: { maxDelayMs: 30_000 },
      fetchToken: async () => {
        starts.push(Date.now() - T0);
        throw new FetchFailedError('429', { status: 429, retryAfterMs: 60_000 });
      },
    });
    await flush();
    for (let i = 0; i < 5; i++) {
      manager.getToken().catch(() => {});
      manager.refresh({ force: true }).catch(() => {});
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await vi.advanceTimersByTimeAsync(30_000);
    expect(starts).toEqual([0, 30_000]);
  });

  it('closing the manager ends its client links and their timers', async () => {
    const manager = create({
      token: makeToken({ iat: nowS(), grants: { chat: {} } }),
      wakeSignals: false,
    });
    let pushes = 0;
    const spec: ClientSpec<object> = {
      name: 'failing',
      grant: 'chat',
      updateToken: () => {
        pushes++;
        return Promise.reject(new Error('down'));
      },
    };
    const link = attachClient(manager, {}, spec);
    await flush();
    expect(link.getState().status).toBe('retrying');
    const before = pushes;
    manager.close();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(pushes).toBe(before);
    expect(link.getState().status).toBe('detached');
    expect(() => attachClient(manager, {}, spec)).toThrow(
      expect.objectContaining({ code: 'closed' }),
    );
  });

  it('a token without iat still may not live longer than 24 hours', async () => {
    const manager = create({ wakeSignals: false });
    const jwt = signJwt(
      { alg: 'HS256' },
      { exp: nowS() + 365 * 86_400, grants: { identity: 'alice' } },
    );
    await expect(manager.updateToken(jwt)).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    const fine = signJwt({ alg: 'HS256' }, { exp: nowS() + 3600, grants: { identity: 'alice' } });
    await manager.updateToken(fine);
    expect(manager.token).toBe(fine);
  });

  it('force tells a fetch begun before the held token in the same millisecond', async () => {
    const { calls, fetchToken } = hanging();
    const manager = create({ token: makeToken({ iat: nowS() }), fetchToken, wakeSignals: false });
    manager.refresh().catch(() => {});
    await flush();
    await manager.updateToken(makeToken({ iat: nowS() + 1 }));
    manager.refresh({ force: true }).catch(() => {});
    await flush();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.signal.aborted).toBe(true);
  });

  it('a link pushes the newest token when a subscriber adopts one during delivery', async () => {
    const first = makeToken({ iat: nowS(), grants: { chat: {} } });
    const manager = create({ token: first, wakeSignals: false });
    const t1 = makeToken({ iat: nowS() + 1, grants: { chat: {} } });
    const t2 = makeToken({ iat: nowS() + 2, grants: { chat: {} } });
    manager.token$.subscribe((token) => {
      if (token.jwt === t1) manager.updateToken(t2);
    });
    const pushed: string[] = [];
    const link = attachClient(
      manager,
      {},
      { name: 'c', grant: 'chat', updateToken: (_, jwt) => void pushed.push(jwt) },
      { token: first },
    );
    await manager.updateToken(t1);
    await flush();
    expect(manager.token).toBe(t2);
    expect(pushed.at(-1)).toBe(t2);
    expect(link.getState().token?.jwt).toBe(t2);
    link.detach();
  });

  it('closing right after construction makes no fetchToken call', async () => {
    const fetchToken = vi.fn(async () => makeToken({ iat: nowS() }));
    const manager = create({ fetchToken, wakeSignals: false });
    manager.close();
    await flush();
    expect(fetchToken).not.toHaveBeenCalled();
  });

  it('fetchTimeoutMs: Infinity means no timeout', async () => {
    const { calls, fetchToken } = hanging();
    const manager = create({
      fetchToken,
      fetchTimeoutMs: Number.POSITIVE_INFINITY,
      wakeSignals: false,
    });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(1);
    expect(manager.getState()).toMatchObject({ status: 'refreshing', lastError: null });
  });

  it('keeps a token out of the cause of a JSON error', async () => {
    const jwt = makeToken();
    vi.stubGlobal(
      'fetch',
      async () => new Response(`{"token":"${jwt}", "x": undefined}`, { status: 200 }),
    );
    const error = await fetchTokenFrom('http://127.0.0.1/token')({
      signal: new AbortController().signal,
      reason: 'manual',
      attempt: 1,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'fetch_failed' });
    expect((error as Error).cause).toBeUndefined();
    expect(String((error as Error).message)).not.toContain(jwt.slice(-8));
  });

  it('status failed ends when refresh() is called again', async () => {
    let calls = 0;
    const manager = create({
      wakeSignals: false,
      fetchToken: async () => {
        calls++;
        if (calls === 1) throw new FatalFetchError('401', { status: 401 });
        return new Promise<string>(() => {});
      },
      fetchTimeoutMs: 5_000,
    });
    await flush();
    expect(manager.getState().status).toBe('failed');
    manager.refresh().catch(() => {});
    await flush();
    expect(manager.getState().status).toBe('refreshing');
  });
});
