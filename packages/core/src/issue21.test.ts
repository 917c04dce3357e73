// Issue 21: the soak's core findings, each as a run on fake time (two tabs share a Node
// BroadcastChannel, which stands in for the browser's; its deliveries are let through by real
// turns of the event loop after every 100 ms of fake time).
import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import {
  AccessManager,
  type AccessManagerEvent,
  type AccessManagerOptions,
  type FetchToken,
  tabSharing,
} from './index.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const realSetImmediate = setImmediate;
/** Moves the fake clock in 100 ms steps, letting the BroadcastChannel deliver after each. */
async function run(ms: number, stepMs = 100) {
  for (let done = 0; done < ms; done += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - done));
    for (let turn = 0; turn < 4; turn++) await new Promise((r) => realSetImmediate(r));
  }
}
let managers: AccessManager[] = [];
let channels = 0;
const newChannel = () => tabSharing({ channel: `issue-21-${process.pid}-${++channels}` });
beforeEach(() => vi.useFakeTimers({ now: T0 }));
afterEach(() => {
  for (const manager of managers) manager.close();
  managers = [];
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});
const make = (options: AccessManagerOptions) => {
  const manager = new AccessManager({ wakeSignals: false, warnBeforeMs: 5_000, ...options });
  managers.push(manager);
  return manager;
};
const record = (manager: AccessManager) => {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
};

it('two tabs, token server clock 2 min ahead then back: the other tab learns the offset too (no early warning, no second fetch)', async () => {
  let skewMs = 0;
  const fetches: number[] = [];
  const fetchToken: FetchToken = async () => {
    const server = Date.now() + skewMs;
    fetches.push(Date.now());
    return { token: makeToken({ iat: Math.floor(server / 1000), ttl: 20 }), serverTime: server };
  };
  const shareAcrossTabs = newChannel();
  make({ fetchToken, shareAcrossTabs, random: () => 0.2 });
  const second = make({
    fetchToken,
    shareAcrossTabs,
    random: () => 0.7,
    logger: {
      debug: (m: string) => console.log('B', Date.now() - T0, m),
      info: (m: string) => console.log('B', Date.now() - T0, m),
      warn: (m: string) => console.log('B', Date.now() - T0, m),
      error: console.log,
    },
  });
  const events = record(second);
  await run(50_000);
  skewMs = 120_000;
  await run(60_000);
  skewMs = 0;
  const backAt = Date.now();
  await run(20_000);
  expect(events.filter((e) => e.type === 'tokenWillExpire')).toEqual([]);
  expect(fetches.filter((at) => at >= backAt)).toHaveLength(1);
}, 30_000);

it('two tabs during an outage: one retries, the other waits for its outcome', async () => {
  let down = false;
  const attempts: string[] = [];
  const fetcher =
    (tab: string): FetchToken =>
    async () => {
      attempts.push(tab);
      if (down) throw new Error('503');
      return makeToken({ ttl: 20 });
    };
  const shareAcrossTabs = newChannel();
  make({ fetchToken: fetcher('A'), shareAcrossTabs, random: () => 0.2 });
  make({ fetchToken: fetcher('B'), shareAcrossTabs, random: () => 0.7 });
  await run(30_000);
  down = true;
  attempts.length = 0;
  await run(40_000);
  // One tab alone makes 10 attempts in these 40 s; two made 16.
  expect(attempts.length).toBeLessThanOrEqual(11);
  expect(new Set(attempts).size).toBe(1);
}, 30_000);

it('a forced refresh against a server that mints byte-identical tokens within a second: asks again once the second has turned, with no stale_token', async () => {
  const fetches: number[] = [];
  const fetchToken: FetchToken = async () => {
    const iat = Math.floor(Date.now() / 1000);
    fetches.push(Date.now() - T0);
    return makeToken({ iat, ttl: 600, jti: `SK-${iat}` });
  };
  const manager = make({ fetchToken });
  const events = record(manager);
  await run(500);
  manager.reportSdkSignal('expired').catch(() => {});
  await run(3_000);
  expect(events.filter((e) => e.type === 'error')).toEqual([]);
  expect(fetches).toHaveLength(3);
  expect(fetches[2]).toBeGreaterThanOrEqual(1_000);
  expect(fetches[2]).toBeLessThan(1_150);
});

it('a token every SDK refuses is not shown valid until another is adopted, and fresh tokens refused in a row are a token_refused error', async () => {
  const fetchToken: FetchToken = async () => {
    const server = Date.now() - 120_000;
    return { token: makeToken({ iat: Math.floor(server / 1000), ttl: 20 }), serverTime: server };
  };
  const manager = make({ fetchToken });
  const events = record(manager);
  await run(1_000);
  const first = manager.getState();
  manager.reportSdkSignal('expired').catch(() => {});
  // Pure and stable: reading twice gives the same snapshot, and says the refused token is expired.
  expect(manager.getState()).toBe(manager.getState());
  expect(manager.getState().tokenStatus).toBe('expired');
  expect(manager.getState().token).toBe(first.token);
  expect(events.filter((e) => e.type === 'error')).toEqual([]); // one refusal: no error yet
  await run(1_000);
  const second = manager.getState();
  expect(second.token).not.toBe(first.token);
  expect(second.tokenStatus).toBe('valid');
  manager.reportSdkSignal('expired').catch(() => {});
  manager.reportSdkSignal('expired').catch(() => {}); // the same refusal again: no second error
  expect(manager.getState().tokenStatus).toBe('expired');
  const errors = events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
  expect(errors.map((e) => e.code)).toEqual(['token_refused']);
  expect(errors[0]?.message).toMatch(/2 tokens refused in a row.*clock behind/);
  await run(1_000);
  // Another token adopted: no SDK has refused it yet.
  expect(manager.getState().token).not.toBe(second.token);
  expect(manager.getState().tokenStatus).toBe('valid');
});

it('during an outage, a tab whose retrying tab closed retries by itself within the bound (retryAt + fetchTimeoutMs + 1 s)', async () => {
  let down = false;
  const attempts: Array<[string, number]> = [];
  const fetcher =
    (tab: string): FetchToken =>
    async () => {
      attempts.push([tab, Date.now()]);
      if (down) throw new Error('503');
      return makeToken({ ttl: 20 });
    };
  const shareAcrossTabs = newChannel();
  const first = make({ fetchToken: fetcher('A'), shareAcrossTabs, random: () => 0.2 });
  make({ fetchToken: fetcher('B'), shareAcrossTabs, random: () => 0.7, fetchTimeoutMs: 2_000 });
  await run(30_000);
  down = true;
  attempts.length = 0;
  await run(10_000);
  expect(attempts.length).toBeGreaterThan(0);
  expect(attempts.every(([tab]) => tab === 'A')).toBe(true);
  const closedAt = Date.now();
  first.close();
  down = false;
  // A's last retry was due within 8 s of its close; B waits at most that + 2 s + 1 s.
  await run(12_000);
  const fromB = attempts.filter(([tab]) => tab === 'B');
  expect(fromB).toHaveLength(1);
  expect(fromB[0]?.[1]).toBeGreaterThan(closedAt);
  expect(managers[1]?.getState().tokenStatus).toBe('valid');
}, 30_000);

it('byte-identical tokens, two tabs whose SDKs both refuse the token: one forced refresh serves both', async () => {
  const fetches: Array<[string, number]> = [];
  const fetcher =
    (tab: string): FetchToken =>
    async () => {
      const iat = Math.floor(Date.now() / 1000);
      fetches.push([tab, Date.now() - T0]);
      return makeToken({ iat, ttl: 600, jti: `SK-${iat}` });
    };
  const shareAcrossTabs = newChannel();
  const first = make({ fetchToken: fetcher('A'), shareAcrossTabs });
  await run(200);
  const second = make({ fetchToken: fetcher('B'), shareAcrossTabs });
  const events = [...[first, second].map(record)];
  await run(300);
  expect(second.token).toBe(first.token); // taken from A at start-up
  first.reportSdkSignal('expired').catch(() => {});
  await run(100);
  second.reportSdkSignal('expired').catch(() => {});
  await run(3_000);
  expect(events.flat().filter((e) => e.type === 'error')).toEqual([]);
  expect(fetches.map(([tab]) => tab)).toEqual(['A', 'A', 'A']);
  expect(fetches[2]?.[1]).toBeGreaterThanOrEqual(1_000);
  expect(second.token).toBe(first.token);
  expect(second.getState().tokenStatus).toBe('valid');
}, 30_000);

it('the SDKs refuse a token minted while the token server clock was 2 min ahead: the next fresh token, which expires sooner, is adopted (one fetch, no stale_token)', async () => {
  let skewMs = 120_000;
  const fetches: number[] = [];
  const fetchToken: FetchToken = async () => {
    const server = Date.now() + skewMs;
    fetches.push(Date.now());
    return { token: makeToken({ iat: Math.floor(server / 1000), ttl: 600 }), serverTime: server };
  };
  const manager = make({ fetchToken });
  const events = record(manager);
  await run(1_000);
  const ahead = manager.getState().token;
  skewMs = 0;
  await run(1_000);
  manager.reportSdkSignal('expired').catch(() => {});
  await run(5_000);
  expect(events.filter((e) => e.type === 'error')).toEqual([]);
  expect(fetches).toHaveLength(2);
  const fresh = manager.getState().token;
  expect(fresh).not.toBe(ahead);
  expect(fresh && ahead && fresh.expiresAt < ahead.expiresAt).toBe(true);
  expect(manager.getState().tokenStatus).toBe('valid');
});
