// Core v3 (issue 17): one named test per item, each failing on the code before its fix (main at
// 9f56fb3); fake timers and the public API only.
import { makeToken } from '@access-manager/testing';
import { EmptyError, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessManager } from './accessManager.js';
import { FatalFetchError, InvalidOptionError } from './errors.js';
import { fetchTokenFrom } from './fetchTokenFrom.js';
import type { Logger } from './logger.js';
import { tabSharing } from './tabSharing.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerEvent, AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const H = 3_600_000;
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });
const flush = () => vi.advanceTimersByTimeAsync(0);
/** The real setImmediate, taken before any test fakes it: Node's BroadcastChannel delivers on real turns. */
const realSetImmediate = setImmediate;
const delivered = async () => {
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => realSetImmediate(resolve));
};

const record = (manager: AccessManager) => {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
};
const updates = (events: AccessManagerEvent[]) =>
  events.flatMap((event) => (event.type === 'tokenUpdated' ? [event.token.jwt] : []));
const lines = () => {
  const seen: string[] = [];
  const logger: Logger = {
    debug: (line) => seen.push(line),
    info: (line) => seen.push(line),
    warn: (line) => seen.push(line),
    error: (line) => seen.push(line),
  };
  return { seen, logger };
};

const make = managersOnFakeTime(T0);
const create = (init: string | AccessManagerOptions = {}) =>
  make(
    typeof init === 'string'
      ? { token: init, wakeSignals: false }
      : { wakeSignals: false, ...init },
  );

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the seeds’ rule: an expired token that nothing dates is token_expired', () => {
  it('an initial token two hours past its exp is refused, not adopted as just minted', async () => {
    const manager = create(makeToken({ iat: nowS() - 3 * 3600, ttl: 3600 }));
    const events = record(manager);
    await flush();
    expect(manager.token).toBeNull();
    expect(manager.getState()).toMatchObject({ tokenStatus: 'none', clockOffsetMs: 0 });
    expect(events).toEqual([
      {
        type: 'error',
        error: expect.objectContaining({
          code: 'token_expired',
          message: expect.stringContaining('or the device clock is 180 min fast'),
        }),
      },
    ]);
  });

  it('a later token minted apart whose age agrees (within seconds) is taken as just minted', async () => {
    vi.setSystemTime(T0 + 2 * H); // the device is two hours fast
    const manager = create({});
    await expect(manager.updateToken(makeToken({ iat: T0 / 1000 }))).rejects.toMatchObject({
      code: 'token_expired',
    });
    await vi.advanceTimersByTimeAsync(30_000);
    const next = makeToken({ iat: T0 / 1000 + 31 });
    await manager.updateToken(next);
    expect(manager.token).toBe(next);
    expect(manager.getState()).toMatchObject({
      tokenStatus: 'valid',
      clockOffsetMs: -2 * H + 1_000,
    });
  });

  it('two old tokens of different ages are both refused', async () => {
    const manager = create({});
    const twoHoursOld = makeToken({ iat: nowS() - 2 * 3600, ttl: 3600 });
    const threeHoursOld = makeToken({ iat: nowS() - 3 * 3600 + 60, ttl: 3600 });
    await expect(manager.updateToken(twoHoursOld)).rejects.toMatchObject({ code: 'token_expired' });
    await expect(manager.updateToken(threeHoursOld)).rejects.toMatchObject({
      code: 'token_expired',
    });
    expect(manager.token).toBeNull();
  });
});

describe('teardown and streams', () => {
  it('after close(), a late subscriber of token$, state$ or events$ completes; firstValueFrom(token$) rejects with EmptyError', async () => {
    const manager = create(fresh());
    manager.close();
    await expect(firstValueFrom(manager.token$)).rejects.toBeInstanceOf(EmptyError);
    await expect(lastValueFrom(manager.events$.pipe(toArray()))).resolves.toEqual([]);
    const states = await lastValueFrom(manager.state$.pipe(toArray()));
    expect(states.map((state) => state.status)).toEqual(['closed']);
  });

  it('close() from a token$ subscriber leaves no timer, and a listener added after it hears nothing', async () => {
    const manager = create({});
    manager.token$.subscribe(() => manager.close());
    await manager.updateToken(fresh()).catch(() => {});
    const heard = vi.fn();
    manager.on('tokenUpdated', heard);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(heard).not.toHaveBeenCalled();
  });

  it('tabSharing() in an opaque origin, where new BroadcastChannel() throws NotSupportedError, does nothing', async () => {
    vi.stubGlobal(
      'BroadcastChannel',
      class {
        constructor() {
          throw new DOMException('opaque origin', 'NotSupportedError');
        }
      },
    );
    const calls: number[] = [];
    const { seen, logger } = lines();
    const manager = create({
      fetchToken: async () => {
        calls.push(Date.now());
        return fresh();
      },
      shareAcrossTabs: tabSharing(),
      logger,
    });
    await flush();
    expect(calls).toEqual([T0]); // no wait for other tabs: there are none to ask
    expect(manager.getState().tokenStatus).toBe('valid');
    expect(seen).toContain('Tab sharing is off: no BroadcastChannel here (NotSupportedError).');
  });
});

describe('order and forced refreshes', () => {
  it('every stream delivers tokenUpdated in adoption order when a token$ subscriber adopts another token', async () => {
    const manager = create({});
    const a = fresh(3600, { jti: 'A' });
    const b = fresh(7200, { jti: 'B' });
    const events = record(manager);
    const tokens: string[] = [];
    manager.token$.subscribe((token) => {
      tokens.push(token.jwt);
      if (token.jwt === a) manager.updateToken(b).catch(() => {});
    });
    const pushed: string[] = [];
    manager.events$.subscribe((event) => {
      if (event.type === 'tokenUpdated') pushed.push(event.token.jwt); // a consumer pushing event.token
    });
    await manager.updateToken(a);
    await flush();
    expect(manager.token).toBe(b);
    expect(tokens).toEqual([a, b]);
    expect(updates(events)).toEqual([a, b]);
    expect(pushed.at(-1)).toBe(b);
  });

  it('a token pushed while a forced refresh runs, expiring no sooner than the refused one, ends it: no stale_token, no second fetch', async () => {
    const { fetchToken, calls, pending } = controlledFetch();
    const manager = create({ token: fresh(3600), fetchToken, random: () => 0.5 });
    const events = record(manager);
    const forced = manager.refresh({ force: true });
    await flush();
    expect(calls).toHaveLength(1);
    const pushed = fresh(3600 + 60);
    await manager.updateToken(pushed);
    await expect(forced).resolves.toMatchObject({ jwt: pushed });
    expect(calls[0]?.signal.aborted).toBe(true);
    pending[0]?.resolve(fresh(3600 - 60)); // the aborted fetch's late answer is ignored
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
    expect(manager.token).toBe(pushed);
  });

  it('a token posted by another tab while a forced refresh runs ends it', async () => {
    const channel = `core-v3-forced-${process.pid}`;
    const { fetchToken, calls } = controlledFetch();
    const manager = create({
      token: fresh(3600),
      fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const forced = manager.refresh({ force: true });
    await flush();
    const other = new BroadcastChannel(channel);
    try {
      const posted = fresh(3600 + 60);
      other.postMessage({ jwt: posted });
      await delivered();
      await expect(forced).resolves.toMatchObject({ jwt: posted });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.signal.aborted).toBe(true);
    } finally {
      other.close();
    }
  });
});

describe('bad input gets a clear error', () => {
  const options: Array<[string, AccessManagerOptions]> = [
    ['refreshBeforeMs', { refreshBeforeMs: Number(undefined) }],
    ['warnBeforeMs', { warnBeforeMs: Number.NaN }],
    ['retry.minDelayMs', { retry: { minDelayMs: Number.NaN } }],
    ['retry.maxDelayMs', { retry: { maxDelayMs: -1 } }],
    ['fetchTimeoutMs', { fetchTimeoutMs: Number.NaN }],
    ['fetchToken', { fetchToken: 'https://example.test' as never }],
    ['identity', { identity: 'anyone' as never }],
  ];
  for (const [name, given] of options) {
    it(`a bad ${name} fails at construction with InvalidOptionError naming it`, () => {
      expect(() => create(given)).toThrow(InvalidOptionError);
      expect(() => create(given)).toThrow(
        expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining(name) }),
      );
    });
  }

  it('shareAcrossTabs: true (the option before tab sharing was injected) fails with InvalidOptionError naming tabSharing()', () => {
    expect(() => create({ shareAcrossTabs: true as never })).toThrow(
      /shareAcrossTabs must be tabSharing\(\)/,
    );
  });

  it('getToken({ timeoutMs }) of Infinity or past 2^31−1 ms is no timeout; NaN is InvalidOptionError', async () => {
    const manager = create({});
    const infinite = manager.getToken({ timeoutMs: Number.POSITIVE_INFINITY });
    const huge = manager.getToken({ timeoutMs: 2 ** 31 });
    let settled = false;
    Promise.race([infinite, huge]).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(settled).toBe(false);
    const jwt = fresh();
    await manager.updateToken(jwt);
    await expect(infinite).resolves.toBe(jwt);
    await expect(huge).resolves.toBe(jwt);
    await expect(manager.getToken({ timeoutMs: Number.NaN })).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringContaining('timeoutMs'),
    });
  });

  it('updateToken(undefined) on a manager that holds no token is malformed_token', async () => {
    const manager = create({});
    await expect(manager.updateToken(undefined as never)).rejects.toMatchObject({
      code: 'malformed_token',
    });
    await expect(manager.updateToken(42 as never)).rejects.toMatchObject({
      code: 'malformed_token',
    });
  });

  it('a stated serverTime of Infinity, or one that contradicts its token, is not trusted, and a log line says so', async () => {
    const stated: Array<(jwt: string) => number> = [
      () => Number.POSITIVE_INFINITY, // JSON 1e400
      () => Date.now() - 2 * H, // the token was issued two hours after it
      () => Date.now() + 2 * H, // the token had expired at it
    ];
    for (const serverTime of stated) {
      const { seen, logger } = lines();
      let fetches = 0;
      const manager = create({
        logger,
        fetchToken: async () => {
          fetches++;
          const token = fresh();
          return { token, serverTime: serverTime(token) };
        },
      });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(fetches).toBe(1);
      expect(manager.getState()).toMatchObject({ tokenStatus: 'valid', clockOffsetMs: 0 });
      expect(seen.some((line) => line.includes('its stated server time is not trusted'))).toBe(
        true,
      );
      manager.close();
    }
  });
});

describe('decided and documented', () => {
  it('cross-origin: fetchTokenFrom reads Date, Age and Retry-After only when the server exposes them; a body serverTime needs none', async () => {
    // What a browser hands script for a cross-origin answer: the CORS-safelisted headers, plus
    // those listed in Access-Control-Expose-Headers.
    const safelisted = [
      'cache-control',
      'content-language',
      'content-length',
      'content-type',
      'expires',
      'last-modified',
      'pragma',
    ];
    const answer = (
      status: number,
      body: string,
      headers: Record<string, string>,
      exposed: string[],
    ) =>
      new Response(status === 200 ? body : null, {
        status,
        headers: Object.fromEntries(
          Object.entries(headers).filter(
            ([name]) => safelisted.includes(name) || exposed.includes(name),
          ),
        ),
      });
    const date = 'Thu, 01 Jan 2026 12:00:00 GMT';
    const jwt = fresh();
    const served = { date, age: '30', 'retry-after': '120', 'content-type': 'application/json' };
    const context = { signal: new AbortController().signal, reason: 'manual' as const, attempt: 1 };
    let exposed: string[] = [];
    let status = 200;
    let body = JSON.stringify({ token: jwt });
    vi.stubGlobal('fetch', async () => answer(status, body, served, exposed));
    const from = fetchTokenFrom('https://tokens.example.test/token');
    await expect(from(context)).resolves.toEqual({ token: jwt, serverTime: undefined });
    exposed = ['date', 'age', 'retry-after'];
    await expect(from(context)).resolves.toEqual({
      token: jwt,
      serverTime: Date.parse(date) + 500 + 30_000,
    });
    exposed = [];
    body = JSON.stringify({ token: jwt, serverTime: 1_767_268_800_000 });
    await expect(from(context)).resolves.toEqual({ token: jwt, serverTime: 1_767_268_800_000 });
    status = 503;
    await expect(from(context)).rejects.toMatchObject({ status: 503, retryAfterMs: undefined });
    exposed = ['retry-after'];
    await expect(from(context)).rejects.toMatchObject({ status: 503, retryAfterMs: 120_000 });
  });

  it('only the fetched token is posted to other tabs, not one a token$ subscriber pushes during its adoption', async () => {
    const channel = `core-v3-posted-${process.pid}`;
    const listener = new BroadcastChannel(channel);
    const posted: string[] = [];
    listener.onmessage = ({ data }) => typeof data?.jwt === 'string' && posted.push(data.jwt);
    try {
      const fetched = fresh(3600, { jti: 'fetched' });
      const pushed = fresh(3600 + 60, { jti: 'pushed' });
      const manager = create({
        fetchToken: async () => fetched,
        shareAcrossTabs: tabSharing({ channel, waitMs: 0 }),
      });
      manager.token$.subscribe((token) => {
        if (token.jwt === fetched) manager.updateToken(pushed).catch(() => {});
      });
      await flush();
      await delivered();
      expect(manager.token).toBe(pushed);
      expect(posted).toEqual([fetched]);
    } finally {
      listener.close();
    }
  });

  it('another tab’s tokens with a server time that contradicts them are never taken as just minted', async () => {
    const channel = `core-v3-untimed-${process.pid}`;
    const { seen, logger } = lines();
    const manager = create({ shareAcrossTabs: tabSharing({ channel }), logger });
    const other = new BroadcastChannel(channel);
    try {
      // Two tokens three hours old, of one age, each with an offset that puts the server's now
      // five hours back, before their iat: the time is not trusted, and neither token is taken
      // as just minted (the second would confirm the first's age if they were).
      for (const jti of ['old-1', 'old-2']) {
        other.postMessage({
          jwt: makeToken({ iat: nowS() - 3 * 3600, ttl: 3600, jti }),
          offsetMs: -5 * H,
        });
        await delivered();
      }
      expect(manager.token).toBeNull();
      expect(
        seen.filter((line) => line.includes('its stated server time is not trusted')),
      ).toHaveLength(2);
    } finally {
      other.close();
    }
  });

  it("identity: 'any' with the default channel: a tab does not adopt another identity's token from another tab", async () => {
    const channel = `core-v3-any-${process.pid}`;
    const manager = create({
      token: fresh(3600),
      identity: 'any',
      shareAcrossTabs: tabSharing({ channel }),
    });
    const other = new BroadcastChannel(channel);
    try {
      other.postMessage({ jwt: fresh(7200, { identity: 'bob' }) });
      await delivered();
      expect(manager.identity).toBe('alice');
      // A push is the app's own decision: under 'any', it may change the identity.
      await manager.updateToken(fresh(7200, { identity: 'bob' }));
      expect(manager.identity).toBe('bob');
    } finally {
      other.close();
    }
  });

  it('after a fatal 401, getToken() rejects with it and starts no fetch; refresh() starts one', async () => {
    let fetches = 0;
    const manager = create({
      fetchToken: async () => {
        fetches++;
        if (fetches === 1)
          throw new FatalFetchError('The token server answered 401.', { status: 401 });
        return fresh();
      },
    });
    await flush();
    expect(manager.getState().fetchStatus).toBe('failed');
    for (let i = 0; i < 3; i++) {
      await expect(manager.getToken()).rejects.toMatchObject({ code: 'fetch_failed', status: 401 });
    }
    expect(fetches).toBe(1);
    await manager.refresh();
    expect(fetches).toBe(2);
    await expect(manager.getToken()).resolves.toBe(manager.token);
  });
});
