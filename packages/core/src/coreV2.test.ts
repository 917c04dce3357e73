// Core v2 (issue 8): one test per scenario, each failing on the code before it (commit 1998457).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import type { AccessToken } from './accessToken.js';
import type { Clock } from './clock.js';
import { FetchFailedError } from './errors.js';
import { fetchTokenFrom } from './fetchTokenFrom.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerEvent, AccessManagerOptions, FetchToken } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const record = (manager: AccessManager) => {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
};
/** A fetchToken that hands out what `next()` makes, counting its calls. */
const counting = (next: () => string | Promise<string>) => {
  const state = { calls: 0 };
  const fetchToken: FetchToken = async () => {
    state.calls++;
    return next();
  };
  return Object.assign(state, { fetchToken });
};

describe('Core v2 with fake timers', () => {
  const make = managersOnFakeTime(T0);
  const create = (init?: string | AccessManagerOptions) =>
    make(
      typeof init === 'string'
        ? { token: init, wakeSignals: false }
        : { wakeSignals: false, ...init },
    );

  describe('1. time: a token’s age is never taken for clock skew', () => {
    it('holds a token minted 50 minutes ago by a caching endpoint for the 10 minutes it has left', async () => {
      const cached = makeToken({ iat: nowS() - 3000, ttl: 3600 });
      const manager = create({ fetchToken: async () => cached });
      await manager.refresh();
      const { clockOffsetMs, refreshAt } = manager.getState();
      expect(clockOffsetMs).toBe(0);
      expect(refreshAt?.getTime()).toBeLessThanOrEqual(T0 + 600_000);
      await vi.advanceTimersByTimeAsync(600_000);
      expect(manager.getState().tokenStatus).toBe('expired');
    });

    it('adopts a token from a server whose clock is seconds behind on a manual refresh, though its iat is older', async () => {
      const manager = create({
        token: makeToken({ iat: nowS() }),
        fetchToken: async () => makeToken({ iat: nowS() - 5, ttl: 3600 }),
      });
      const fetched = await manager.refresh();
      expect(manager.token).toBe(fetched.jwt);
      expect(fetched.issuedAt?.getTime()).toBe(T0 - 5000);
    });

    it('when the held token is due, does not adopt one that expires sooner, says why, and tries again', async () => {
      const lines: string[] = [];
      const held = makeToken({ iat: nowS(), ttl: 3600 });
      // From a server whose clock is behind: valid, but it expires a minute before the held one.
      const fetches = counting(() => makeToken({ iat: nowS() - 60, exp: T0 / 1000 + 3540 }));
      const manager = create({
        token: held,
        fetchToken: fetches.fetchToken,
        random: () => 0.5,
        logger: { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error() {} },
      });
      const events = record(manager);
      await vi.advanceTimersByTimeAsync(3_600_000 - 285_000); // the refresh point (285 s lead)
      expect(fetches.calls).toBe(1);
      expect(manager.token).toBe(held);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'tokenNotAdopted', reason: 'expires_sooner' }),
      );
      expect(lines.some((line) => line.startsWith('Not adopted: AccessToken('))).toBe(true);
      await vi.advanceTimersByTimeAsync(500); // the first backoff: 0.5 × 1 s
      expect(fetches.calls).toBe(2); // the refresh goes on
    });

    it('push-only: one token from a server clock hours ahead does not lock out the next correct token', async () => {
      const manager = create(makeToken({ iat: nowS() + 5 * 3600, ttl: 3600 }));
      const correct = makeToken({ iat: nowS(), ttl: 3600 });
      await expect(manager.updateToken(correct)).resolves.toBe(manager);
      expect(manager.getState()).toMatchObject({ tokenStatus: 'valid', clockOffsetMs: 0 });
    });

    it('push-only: a device clock hours fast refuses the first token pushed (nothing dates it), and accepts the next whose age agrees', async () => {
      vi.setSystemTime(T0 + 3 * 3600_000); // the device is three hours fast
      const manager = create();
      const first = makeToken({ iat: T0 / 1000, ttl: 3600 }); // minted now, on the server
      await expect(manager.updateToken(first)).rejects.toMatchObject({
        code: 'token_expired',
        message: expect.stringContaining('or the device clock is 180 min fast'),
      });
      await vi.advanceTimersByTimeAsync(2_000);
      const minted = makeToken({ iat: T0 / 1000 + 2, ttl: 3600 }); // minted apart, as old
      await expect(manager.updateToken(minted)).resolves.toBe(manager);
      expect(manager.getState()).toMatchObject({
        tokenStatus: 'valid',
        clockOffsetMs: -3 * 3600_000,
      });
    });

    it('a fetched token for another identity ends the refresh: 1 fetch in 6 hours, not 1,445', async () => {
      const fetches = counting(() => makeToken({ identity: 'bob' }));
      const manager = create({ token: makeToken({ ttl: 3600 }), fetchToken: fetches.fetchToken });
      await vi.advanceTimersByTimeAsync(6 * 3600_000);
      expect(fetches.calls).toBe(1);
      expect(manager.getState()).toMatchObject({
        fetchStatus: 'failed',
        lastError: { code: 'identity_mismatch' },
      });
      // A later refresh() starts again.
      manager.refresh().catch(() => {});
      await flush();
      expect(fetches.calls).toBe(2);
    });

    it('an app server answering its index.html with 200 fails once, as malformed, and stops', async () => {
      const fetches = counting(() => '<!doctype html><title>app</title>');
      const manager = create({ fetchToken: fetches.fetchToken });
      await expect(manager.refresh()).rejects.toMatchObject({ code: 'malformed_token' });
      await vi.advanceTimersByTimeAsync(3600_000);
      expect(fetches.calls).toBe(1);
      expect(manager.getState().fetchStatus).toBe('failed');
    });

    it('refuses a token for another service instance under identity fixed (twilsock 51232, 51215)', async () => {
      const manager = create(makeToken({ grants: { data_sync: { service_sid: 'IS1' } } }));
      await expect(
        manager.updateToken(makeToken({ grants: { data_sync: { service_sid: 'IS2' } } })),
      ).rejects.toMatchObject({ code: 'instance_mismatch' });
    });

    it('a wake signal cuts a retry’s backoff short, at most once per 5 s', async () => {
      let wake = () => {};
      const fetches = counting(() => {
        throw new FetchFailedError('down');
      });
      create({
        fetchToken: fetches.fetchToken,
        retry: { minDelayMs: 60_000, maxDelayMs: 600_000 },
        random: () => 0.99,
        wakeSignals: (onWake) => {
          wake = onWake;
          return () => {};
        },
      });
      await flush();
      expect(fetches.calls).toBe(1); // now waiting about 59 s
      wake();
      await flush();
      expect(fetches.calls).toBe(2);
      wake(); // too soon after the last: no spin
      await flush();
      expect(fetches.calls).toBe(2);
      await vi.advanceTimersByTimeAsync(5_000);
      wake();
      await flush();
      expect(fetches.calls).toBe(3);
    });

    it('keeps a pending retry’s timer able to hold Node open; only the idle deadline timer is not', async () => {
      const idle: Array<boolean | undefined> = [];
      const clock: Clock = {
        now: () => Date.now(),
        setTimeout: (callback, delayMs, isIdle) => {
          idle.push(isIdle);
          return setTimeout(callback, delayMs);
        },
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      };
      let fail = true;
      const manager = create({
        clock,
        fetchToken: async () => {
          if (fail) throw new FetchFailedError('down');
          return makeToken();
        },
      });
      await flush(); // the first attempt failed: a retry waits
      expect(manager.getState().fetchStatus).toBe('waiting');
      expect(idle.at(-1)).toBe(false);
      fail = false;
      await vi.advanceTimersByTimeAsync(30_000);
      expect(manager.getState().fetchStatus).toBe('idle');
      expect(idle.at(-1)).toBe(true);
    });
  });

  describe('2. twilio-common’s facade', () => {
    it('tokenWillExpire comes before tokenExpired also when the device wakes after the expiry', async () => {
      let wake = () => {};
      const manager = create({
        token: makeToken({ ttl: 3600 }),
        wakeSignals: (onWake) => {
          wake = onWake;
          return () => {};
        },
      });
      await flush();
      const events = record(manager);
      vi.setSystemTime(T0 + 2 * 3600_000); // slept two hours: no timer ran
      wake();
      expect(events.map((event) => event.type)).toEqual(['tokenWillExpire', 'tokenExpired']);
    });

    it('has the EventEmitter names twilio-common users call', async () => {
      const manager = create(makeToken());
      const heard = vi.fn();
      manager.addListener('tokenUpdated', heard);
      manager.addListener('tokenUpdated', heard);
      expect(manager.listenerCount('tokenUpdated')).toBe(2);
      manager.removeListener('tokenUpdated', heard);
      expect(manager.listenerCount('tokenUpdated')).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(heard).toHaveBeenCalledTimes(1);
      manager.removeAllListeners();
      expect(manager.listenerCount('tokenUpdated')).toBe(0);
    });

    it('isExpired is false while no token is held', () => {
      expect(create().isExpired).toBe(false);
    });
  });

  describe('3. state that React and friends can read', () => {
    it('getState() is pure: it never emits on state$, and returns one object while nothing changed', () => {
      const manager = create(makeToken({ ttl: 3600 }));
      const seen: unknown[] = [];
      manager.state$.subscribe((state) => seen.push(state));
      expect(seen).toHaveLength(1);
      vi.setSystemTime(T0 + 3_500_000); // inside the warning window, before any timer ran
      const state = manager.getState();
      expect(state.tokenStatus).toBe('expiring');
      expect(manager.getState()).toBe(state);
      expect(seen).toHaveLength(1);
    });

    it('getState() is one object while nothing changed, also with a jittered (fractional) refresh point', () => {
      const manager = create({
        token: makeToken({ ttl: 3600 }),
        fetchToken: async () => makeToken(),
        random: () => 0.123456789,
      });
      expect(manager.getState().refreshAt).not.toBeNull();
      expect(manager.getState()).toBe(manager.getState());
    });

    it('gives the token’s status and the fetch’s apart', async () => {
      let answer: () => string = () => {
        throw new FetchFailedError('down');
      };
      const manager = create({
        token: makeToken({ ttl: 3600 }),
        fetchToken: async () => answer(),
        retry: { minDelayMs: 600_000, maxDelayMs: 600_000 },
        random: () => 0.99,
        fetchTimeoutMs: Number.POSITIVE_INFINITY,
      });
      manager.refresh().catch(() => {});
      await flush();
      // A failed backend does not hide a token still valid for an hour...
      expect(manager.getState()).toMatchObject({
        status: 'refreshing',
        tokenStatus: 'valid',
        fetchStatus: 'waiting',
      });
      // ...and an expired token does not hide a fetch under way.
      answer = () => new Promise<string>(() => {}) as unknown as string;
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(manager.getState()).toMatchObject({
        status: 'expired',
        tokenStatus: 'expired',
        fetchStatus: 'fetching',
      });
    });

    it('a subscriber that adopts a token during a delivery never leaves later subscribers on an older one', async () => {
      const t0 = makeToken({ iat: nowS() });
      const t1 = makeToken({ iat: nowS() + 1 });
      const t2 = makeToken({ iat: nowS() + 2 });
      const manager = create(t0);
      manager.token$.subscribe((token) => {
        if (token.jwt === t1) manager.updateToken(t2).catch(() => {});
      });
      const second: string[] = [];
      manager.token$.subscribe((token: AccessToken) => second.push(token.jwt));
      await manager.updateToken(t1);
      expect(second).toEqual([t0, t1, t2]);
    });

    it('getToken: 60 s of validity by default, a timeout, and typed errors', async () => {
      const fetches = counting(() => makeToken({ ttl: 3600 }));
      const manager = create({ token: makeToken({ ttl: 3600 }), fetchToken: fetches.fetchToken });
      vi.setSystemTime(T0 + 3_600_000 - 30_000); // 30 s left: too little for a new client
      const jwt = await manager.getToken();
      expect(fetches.calls).toBe(1);
      expect(jwt).toBe(manager.token);

      const down = create({ fetchToken: () => new Promise<string>(() => {}) });
      const waiting = down.getToken({ timeoutMs: 5_000 });
      const outcome = expect(waiting).rejects.toMatchObject({ code: 'timeout' });
      await vi.advanceTimersByTimeAsync(5_000);
      await outcome;
    });

    it('forgets the token on close()', () => {
      const manager = create(makeToken());
      manager.close();
      expect(manager.token).toBeNull();
      expect(manager.getState().token).toBeNull();
    });

    it('reset() forgets the identity, so that the next token may be another user’s', async () => {
      const manager = create(makeToken({ identity: 'alice' }));
      manager.reset();
      expect(manager.getState()).toMatchObject({ tokenStatus: 'none', token: null });
      await manager.updateToken(makeToken({ identity: 'bob' }));
      expect(manager.identity).toBe('bob');
    });

    it('counts resets in the state, so that a link can tell a sign-out from a token change', () => {
      const manager = create(makeToken({ identity: 'alice' }));
      expect(manager.getState().resets).toBe(0);
      manager.reset();
      expect(manager.getState().resets).toBe(1);
      // A reset while no token is held changes nothing else, and is still seen.
      const before = manager.getState();
      manager.reset();
      expect(manager.getState()).not.toBe(before);
      expect(manager.getState()).toMatchObject({ tokenStatus: 'none', resets: 2 });
    });
  });
});

describe('Core v2 against a real token endpoint (real timers)', () => {
  let server: Server;
  let url: string;
  let answer: () => { body: string; headers?: Record<string, string> };
  const open: AccessManager[] = [];

  beforeEach(async () => {
    server = createServer((_, res) => {
      const { body, headers } = answer();
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterEach(async () => {
    for (const manager of open.splice(0)) manager.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a token endpoint that caches: the offset comes from the Date header, not from the token’s age', async () => {
    const cached = makeToken({ iat: nowS() - 3000, ttl: 3600 }); // 10 minutes left
    answer = () => ({ body: JSON.stringify({ token: cached }) });
    const manager = new AccessManager({ fetchToken: fetchTokenFrom(url), wakeSignals: false });
    open.push(manager);
    await manager.refresh();
    const { clockOffsetMs, refreshAt } = manager.getState();
    expect(Math.abs(clockOffsetMs)).toBeLessThan(2_000);
    expect(refreshAt?.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it('a device clock three hours fast: the Date header says so, and the fresh token is adopted', async () => {
    const fast: Clock = {
      now: () => Date.now() + 3 * 3600_000,
      setTimeout: (callback, delayMs) => {
        const handle = setTimeout(callback, delayMs);
        handle.unref();
        return handle;
      },
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    answer = () => ({ body: JSON.stringify({ token: makeToken({ ttl: 3600 }) }) });
    const manager = new AccessManager({
      fetchToken: fetchTokenFrom(url),
      clock: fast,
      wakeSignals: false,
    });
    open.push(manager);
    await manager.refresh();
    expect(manager.getState().tokenStatus).toBe('valid');
    expect(manager.getState().clockOffsetMs).toBeCloseTo(-3 * 3600_000, -4);
  });
});

describe('Core v2 in a real Node process', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  it('a process that awaits getToken() does not exit while a retry is pending', async () => {
    expect(existsSync(dist), 'build @access-manager/core first').toBe(true);
    const token = makeToken();
    const script = `
      const { AccessManager, FetchFailedError } = await import(${JSON.stringify(dist)});
      let attempts = 0;
      const manager = new AccessManager({
        retry: { minDelayMs: 400, maxDelayMs: 400 },
        random: () => 1,
        fetchToken: async () => {
          if (++attempts === 1) throw new FetchFailedError('down for a moment');
          return ${JSON.stringify(token)};
        },
      });
      const jwt = await manager.getToken();
      console.log(jwt === ${JSON.stringify(token)} ? 'got it after ' + attempts : 'wrong token');
      manager.close();
    `;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], (error, stdout) =>
        error ? reject(error) : resolve(stdout.trim()),
      );
    });
    expect(output).toBe('got it after 2');
  });
});

describe('Core v2: SDK signals on a push-only manager', () => {
  it('reach the app as tokenWillExpire and tokenExpired events with source sdk', async () => {
    const manager = new AccessManager({ token: makeToken(), wakeSignals: false });
    await Promise.resolve();
    const events = record(manager);
    await manager.reportSdkSignal('willExpire');
    await manager.reportSdkSignal('expired');
    expect(events.map((e) => [e.type, 'source' in e ? e.source : undefined])).toEqual([
      ['tokenWillExpire', 'sdk'],
      ['tokenExpired', 'sdk'],
    ]);
    manager.close();
  });
});
