// Issue 13: tabs share the token over a BroadcastChannel, with no lock. Node's BroadcastChannel
// (across worker threads, and between channels of one thread) stands in for the browser's; the
// clock is faked, and the channel's deliveries are let through by real turns of the event loop.
import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import {
  decideSharedAdoption,
  followerDeadlines,
  type NotSharedReason,
  tabSharing,
} from './tabSharing.js';
import type { AccessManagerEvent, AccessManagerOptions, FetchToken } from './types.js';

/** The real setImmediate, taken before any test fakes it: the channel delivers on real turns. */
const realSetImmediate = setImmediate;

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
/** Tokens live 10 minutes: the refresh lead is 200 s less up to 10 % jitter. */
const TTL = 600;

/** Lets the channel deliver what was posted (and the answers to it) without moving the clock. */
async function delivered(): Promise<void> {
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => realSetImmediate(resolve));
}

/** Moves the clock by `ms`, a second at a time, delivering the channel's messages after each. */
async function run(ms: number, stepMs = 1_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - done));
    await delivered();
  }
}

/** A token server: mints a fresh token per call and remembers when (on the fake clock). */
function tokenServer(claims: Parameters<typeof makeToken>[0] = {}) {
  const times: number[] = [];
  const fetchToken: FetchToken = async () => {
    times.push(Date.now());
    return makeToken({ iat: nowS(), ttl: TTL, ...claims });
  };
  return { fetchToken, times };
}

let channels = 0;
/** A channel name of its own for each test, so that no test hears another's managers. */
const newChannel = () => `tab-sharing-test-${process.pid}-${++channels}`;

let managers: AccessManager[] = [];
let raws: BroadcastChannel[] = [];
const create = (options: AccessManagerOptions) => {
  const manager = new AccessManager({ wakeSignals: false, ...options });
  managers.push(manager);
  return manager;
};
/** A bare channel, to post what a tab of another build, or a foreign script, might post. */
const rawChannel = (name: string) => {
  const channel = new BroadcastChannel(name);
  raws.push(channel);
  return channel;
};
const record = (manager: AccessManager) => {
  const events: AccessManagerEvent[] = [];
  manager.events$.subscribe((event) => events.push(event));
  return events;
};

describe('decideSharedAdoption, as a table', () => {
  const T = 1_800_000_000;
  const token = (exp: number, claims: Parameters<typeof makeToken>[0] = {}) =>
    new AccessToken(makeToken({ iat: T, exp, ...claims }));
  const held = token(T + 3600);
  /** Two other tokens that expire with `held`, the smaller JWT first. */
  const same = [token(T + 3600, { jti: 'a' }), token(T + 3600, { jti: 'b' })].sort((a, b) =>
    a.jwt < b.jwt ? -1 : 1,
  ) as [AccessToken, AccessToken];
  const rows: Array<[string, AccessToken | null, AccessToken, boolean, NotSharedReason | null]> = [
    // what, held, candidate, held due, outcome
    ['nothing held: adopt', null, token(T + 60), true, null],
    ['the token held again: not adopted', held, held, false, 'same_token'],
    ['expires later, held not due: adopt', held, token(T + 7200), false, null],
    ['expires later, held due: adopt', held, token(T + 7200), true, null],
    [
      'expires at the same second, the smaller JWT: not adopted',
      same[1],
      same[0],
      false,
      'expires_no_later',
    ],
    // (A total order, so that every tab settles on one token: the model test's finding 1.)
    ['expires at the same second, the greater JWT: adopt', same[0], same[1], false, null],
    [
      'expires sooner, held not due: not adopted (a fetched one would be)',
      held,
      token(T + 3000),
      false,
      'expires_no_later',
    ],
    ['expires sooner, held due: not adopted', held, token(T + 3000), true, 'expires_sooner'],
  ];
  for (const [what, h, candidate, due, outcome] of rows) {
    it(what, () => {
      expect(decideSharedAdoption(candidate, { held: h, due, refused: false })).toBe(outcome);
    });
  }
});

describe('followerDeadlines, as a table', () => {
  // A 600 s token: lead 200 s, less 0-10 % jitter. Expiry at 600 000 on the local clock.
  const leader = (random: number) => ({
    warnAt: 420_000,
    refreshAt: 600_000 - 200_000 * (1 - 0.1 * random),
    expireAt: 600_000,
  });
  const rows: Array<[number, number, number]> = [
    // jitter, the leader's refresh point, the follower's
    [0, 400_000, 440_000],
    [0.5, 410_000, 448_000],
    [0.999, 419_980, 455_984],
  ];
  for (const [random, leaderAt, followerAt] of rows) {
    it(`jitter ${random}: a follower refreshes at ${followerAt}, the leader at ${leaderAt}`, () => {
      expect(leader(random).refreshAt).toBeCloseTo(leaderAt, 6);
      expect(followerDeadlines(leader(random))).toEqual({
        ...leader(random),
        refreshAt: expect.closeTo(followerAt, 6),
      });
    });
  }
  it('the earliest follower comes a tenth of the lead after the latest leader', () => {
    expect(followerDeadlines(leader(0)).refreshAt - leader(0.999_999).refreshAt).toBeGreaterThan(
      19_999,
    );
  });
});

describe('tabs share the token over a BroadcastChannel', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    for (const manager of managers) manager.close();
    for (const channel of raws) channel.close();
    managers = [];
    raws = [];
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  /**
   * Fetches per refresh cycle of `tabs` managers over three cycles after start-up, each manager
   * with its own jitter; the first starts alone, the others a second later. A cycle is the 402 s
   * from one fetch of the first manager to its next refresh point (the lead of a 600 s token is
   * 200 s less 10 % × 0.1); bucket 0 holds the start-up.
   */
  async function fetchesPerCycle(tabs: number, shared: boolean) {
    const server = tokenServer();
    const channel = newChannel();
    const tab = (jitter: number) =>
      create({
        fetchToken: server.fetchToken,
        random: () => jitter,
        ...(shared ? { shareAcrossTabs: tabSharing({ channel }) } : {}),
      });
    const tabManagers = [tab(0.1)];
    await run(1_000);
    for (const jitter of [0.5, 0.9, 0.3].slice(0, tabs - 1)) tabManagers.push(tab(jitter));
    const cycleMs = 402_000;
    await run(4 * cycleMs - 2_000, 2_000);
    const perCycle = [0, 0, 0, 0];
    for (const time of server.times) perCycle[Math.floor((time - T0) / cycleMs)]! += 1;
    return { perCycle, tabManagers, server };
  }

  const table: Array<[number, boolean, number[]]> = [
    // tabs, shareAcrossTabs, fetches in start-up and in each of three cycles
    [1, true, [1, 1, 1, 1]],
    [3, true, [1, 1, 1, 1]],
    [4, true, [1, 1, 1, 1]],
    [3, false, [3, 3, 3, 3]], // the control: each tab fetches its own
  ];
  for (const [tabs, shared, expected] of table) {
    it(`${tabs} tab(s), ${shared ? 'sharing' : 'not sharing'}: ${expected.join(', ')} fetches per cycle`, async () => {
      const { perCycle, tabManagers, server } = await fetchesPerCycle(tabs, shared);
      expect(perCycle).toEqual(expected);
      expect(tabManagers.every((manager) => manager.getState().tokenStatus === 'valid')).toBe(true);
      if (shared) {
        // The first tab fetched alone after its start-up window; the others got its token.
        expect(server.times[0]).toBe(T0 + 150);
        expect(new Set(tabManagers.map((manager) => manager.token)).size).toBe(1);
      }
    }, 30_000);
  }

  it('with a slow token server and refresh points 1 s apart, the tab that fetched last fetches next: once a cycle', async () => {
    // Jitter alone fails here: the second tab's refresh point is 1 s before the first's, and a
    // fetch takes 2 s, so both would fetch in every cycle.
    const channel = newChannel();
    const byTab: string[] = [];
    const slow =
      (tab: string): FetchToken =>
      async () => {
        byTab.push(tab);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return makeToken({ iat: nowS(), ttl: TTL });
      };
    const tab = (name: string, jitter: number) =>
      create({
        fetchToken: slow(name),
        random: () => jitter,
        shareAcrossTabs: tabSharing({ channel }),
      });
    tab('first', 0.5);
    await run(3_000);
    tab('second', 0.45); // lead 191 s: 1 s more than the first tab's 190 s
    tab('third', 0.55);
    await run(3 * 412_000, 500);
    expect(byTab).toEqual(['first', 'first', 'first', 'first']);
  });

  it('a tab that wakes past its refresh point asks first, and catches up from another tab without a fetch', async () => {
    // A frozen tab's timers wait in its task queue until it resumes: this clock holds them.
    let frozen = false;
    const held: Array<() => void> = [];
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (callback, delayMs) =>
        setTimeout(() => (frozen ? held.push(callback) : callback()), delayMs),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const channel = newChannel();
    const server = tokenServer();
    const sleeper = create({
      token: makeToken({ iat: nowS(), ttl: TTL }),
      fetchToken: server.fetchToken,
      random: () => 0,
      clock,
      shareAcrossTabs: tabSharing({ channel }),
    });
    // The other tab, reduced to what it says: the token it fetched meanwhile, when asked.
    const newer = makeToken({ iat: nowS() + 300, ttl: TTL });
    const other = rawChannel(channel);
    const asked: number[] = [];
    other.onmessage = ({ data }) => {
      if (data?.ask) {
        asked.push(Date.now());
        other.postMessage({ jwt: newer });
      }
    };
    frozen = true;
    await run(420_000); // through its refresh point, at 400 s
    frozen = false;
    for (const callback of held.splice(0)) callback(); // it resumes: the late timer fires
    await delivered();
    expect(asked).toEqual([T0 + 420_000]);
    await run(1_000);
    expect(sleeper.token).toBe(newer);
    expect(server.times).toEqual([]);
  });

  it('a tab on time at its refresh point fetches at once, without asking', async () => {
    const channel = newChannel();
    const server = tokenServer();
    create({
      token: makeToken({ iat: nowS(), ttl: TTL }),
      fetchToken: server.fetchToken,
      random: () => 0,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const asked: unknown[] = [];
    rawChannel(channel).onmessage = ({ data }) => data?.ask && asked.push(data);
    await run(400_000);
    expect(server.times).toEqual([T0 + 400_000]);
    expect(asked).toEqual([]);
  });

  it('a shared token that expires later moves the other tabs’ refresh points past it', async () => {
    const server = tokenServer();
    const channel = newChannel();
    const first = create({
      fetchToken: server.fetchToken,
      random: () => 0.1,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const second = create({
      fetchToken: server.fetchToken,
      random: () => 0.9,
      shareAcrossTabs: tabSharing({ channel }),
    });
    await run(1_000);
    const before = second.getState().refreshAt?.getTime() ?? 0;
    await run(402_000 - 1_000 + 150); // the first tab's refresh point: 402 s after its token
    expect(server.times).toHaveLength(2);
    expect(second.token).toBe(first.token);
    const after = second.getState().refreshAt?.getTime() ?? 0;
    expect(after).toBeGreaterThan(before + 400_000);
  });

  it('a tab that opens beside a live one starts with no fetch, and getToken() gets the shared token', async () => {
    const server = tokenServer();
    const channel = newChannel();
    const live = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    await run(5_000);
    expect(server.times).toHaveLength(1);
    const opened = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const events = record(opened);
    // Within the window: the state says it waits to fetch, and a caller waits with it.
    expect(opened.getState()).toMatchObject({ status: 'refreshing', fetchStatus: 'waiting' });
    const token = opened.getToken();
    await delivered();
    await expect(token).resolves.toBe(live.token);
    await run(10_000);
    expect(server.times).toHaveLength(1);
    expect(events.map((event) => event.type)).toEqual(['tokenUpdated']);
    expect(opened.getState()).toMatchObject({ status: 'valid', fetchStatus: 'idle', attempt: 0 });
  });

  it('a tab alone fetches when its start-up window ends, not before; a wake signal does not cut it', async () => {
    const server = tokenServer();
    let wake = () => {};
    const alone = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel: newChannel(), waitMs: 200 }),
      wakeSignals: (onWake) => {
        wake = onWake;
        return () => {};
      },
    });
    await delivered();
    wake(); // a browser's `pageshow` or `focus` as the page loads
    await vi.advanceTimersByTimeAsync(199);
    await delivered();
    expect(server.times).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.times).toEqual([T0 + 200]);
    await expect(alone.getToken()).resolves.toBe(alone.token);
    expect(alone.getState().tokenStatus).toBe('valid');
  });

  it('an answer after the window is still taken, and the fetch under way then does not spin', async () => {
    const channel = newChannel();
    let answer = (_jwt: string) => {};
    const fetchToken: FetchToken = () =>
      new Promise<string>((resolve) => {
        answer = resolve;
      });
    const late = create({ fetchToken, shareAcrossTabs: tabSharing({ channel }) });
    await vi.advanceTimersByTimeAsync(150); // the window ends: the fetch begins, and hangs
    const shared = makeToken({ iat: nowS(), ttl: TTL });
    rawChannel(channel).postMessage({ jwt: shared });
    await delivered();
    expect(late.token).toBe(shared);
    answer(makeToken({ iat: nowS(), ttl: TTL })); // the newest answer wins, as for any fetch
    await delivered();
    expect(late.getState()).toMatchObject({ tokenStatus: 'valid', fetchStatus: 'idle' });
  });

  it('a tab with another identity ignores the channel’s tokens, though they expire later', async () => {
    const channel = newChannel();
    const alice = tokenServer({ identity: 'alice' });
    const bob = tokenServer({ identity: 'bob' });
    const lines: string[] = [];
    const logger: Logger = { debug: (m) => lines.push(m), info() {}, warn() {}, error() {} };
    const bobs = create({
      token: makeToken({ identity: 'bob', iat: nowS(), ttl: TTL }),
      fetchToken: bob.fetchToken,
      random: () => 0.9,
      logger,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const bobEvents = record(bobs);
    const alices = create({
      token: makeToken({ identity: 'alice', iat: nowS(), ttl: TTL }),
      fetchToken: alice.fetchToken,
      random: () => 0.1, // alice's tab refreshes first: each of her tokens expires after bob's
      shareAcrossTabs: tabSharing({ channel }),
    });
    await run(3 * 402_000 + 60_000, 2_000);
    expect([alices.identity, bobs.identity]).toEqual(['alice', 'bob']);
    // Each refreshed with its own fetches, once a cycle, and neither took the other's token.
    expect([alice.times.length, bob.times.length]).toEqual([3, 3]);
    expect(bobEvents.filter((event) => event.type === 'error')).toEqual([]);
    expect(lines.filter((line) => line.includes('identity_mismatch'))).toHaveLength(3);
  }, 30_000);

  it('tabs of two users on channels named after them: a new tab starts with its own user’s token', async () => {
    const alice = tokenServer({ identity: 'alice' });
    const bob = tokenServer({ identity: 'bob' });
    const base = newChannel();
    const bobs = create({
      fetchToken: bob.fetchToken,
      shareAcrossTabs: tabSharing({ channel: `${base}:bob` }),
    });
    const alices = create({
      fetchToken: alice.fetchToken,
      shareAcrossTabs: tabSharing({ channel: `${base}:alice` }),
    });
    await run(1_000);
    const secondAlice = create({
      fetchToken: alice.fetchToken,
      shareAcrossTabs: tabSharing({ channel: `${base}:alice` }),
    });
    await run(1_000);
    expect(secondAlice.token).toBe(alices.token);
    expect(secondAlice.identity).toBe('alice');
    expect([alice.times.length, bob.times.length]).toEqual([1, 1]);
    expect(bobs.identity).toBe('bob');
  });

  it('a bad or foreign token posted on the channel never replaces a good one, and raises nothing', async () => {
    const channel = newChannel();
    const lines: string[] = [];
    const logger: Logger = {
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    };
    const held = makeToken({ iat: nowS(), ttl: TTL });
    const manager = create({
      token: held,
      fetchToken: tokenServer().fetchToken,
      logger,
      shareAcrossTabs: tabSharing({ channel }),
    });
    await vi.advanceTimersByTimeAsync(0); // the construction's tokenUpdated, before recording
    lines.length = 0;
    const events = record(manager);
    const later = nowS() + 3 * TTL;
    const bad = [
      'not a jwt',
      makeToken({ iat: nowS() - 2 * TTL, ttl: TTL }), // expired
      makeToken({ identity: 'mallory', exp: later }),
      makeToken({ accountSid: 'AC00000000000000000000000000000000', exp: later }),
      makeToken({ grants: { chat: { service_sid: 'IS-another' } }, exp: later }),
      makeToken({ iat: nowS(), ttl: 2 * 86_400 }), // lives too long
      makeToken({ iat: nowS(), nbf: nowS() + 600, exp: later }), // not yet valid
      makeToken({ iat: nowS(), ttl: TTL - 60 }), // valid, but expires sooner
      held, // the same token
    ];
    const raw = rawChannel(channel);
    for (const jwt of bad) raw.postMessage({ jwt });
    raw.postMessage({ jwt: 42 });
    raw.postMessage('hello');
    raw.postMessage(null);
    await delivered();
    expect(manager.token).toBe(held);
    expect(events).toEqual([]);
    expect(manager.getState().lastError).toBeNull();
    expect(lines).toHaveLength(9);
    for (const jwt of bad.slice(1)) {
      const [, payload, signature] = jwt.split('.');
      for (const line of lines) {
        expect(line).not.toContain(payload);
        expect(line).not.toContain(signature);
      }
    }
  });

  it('a fetched token is posted once; a shared or pushed one is not posted again', async () => {
    const channel = newChannel();
    const seen: unknown[] = [];
    rawChannel(channel).onmessage = ({ data }) => seen.push(data);
    const server = tokenServer();
    const fetching = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    const pushOnly = create({ shareAcrossTabs: tabSharing({ channel }) });
    await run(1_000);
    // Two questions (one per manager), then the fetched token; the push-only tab adopted it.
    expect(seen).toEqual([{ ask: true }, { ask: true }, { jwt: fetching.token }]);
    expect(pushOnly.token).toBe(fetching.token);
    await fetching.updateToken(makeToken({ iat: nowS(), ttl: TTL + 60 }));
    await delivered();
    expect(seen).toHaveLength(3);
  });

  it('the clock offset travels with the token when the token server stated its time', async () => {
    const channel = newChannel();
    const behindMs = 2 * 3600_000; // the token server's clock is two hours behind this device's
    const server = tokenServer();
    const fetchToken: FetchToken = async () => {
      server.times.push(Date.now());
      return {
        token: makeToken({ iat: nowS() - behindMs / 1000, ttl: TTL }),
        serverTime: Date.now() - behindMs,
      };
    };
    const first = create({ fetchToken, random: () => 0, shareAcrossTabs: tabSharing({ channel }) });
    await run(1_000);
    const second = create({
      fetchToken,
      random: () => 0,
      shareAcrossTabs: tabSharing({ channel }),
    });
    await delivered();
    // By this device's clock the token expired long ago: only the stated offset makes it valid.
    expect(second.token).toBe(first.token);
    expect(server.times).toHaveLength(1);
    expect(second.getState()).toMatchObject({ tokenStatus: 'valid', clockOffsetMs: -behindMs });
    // And the receiving tab plans on the server's clock: its refresh is 440 s after the mint (a
    // follower's: the 200 s lead less a fifth; iat is in whole seconds).
    expect(second.getState().refreshAt?.getTime()).toBe(T0 + 440_000);
  });

  it('without a stated server time, a shared token that looks expired here is left to this tab’s own fetch', async () => {
    const channel = newChannel();
    const server = tokenServer();
    // A token minted two hours ago (a server clock behind, or a cache), still valid by its sender.
    const old = makeToken({ iat: nowS() - 7200, exp: nowS() - 60 });
    const opened = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    rawChannel(channel).postMessage({ jwt: old });
    await delivered();
    expect(opened.token).toBeNull();
    await run(1_000);
    expect(server.times).toHaveLength(1);
  });

  it('reset() leaves the channel: the tab takes no token from it and answers no question', async () => {
    const channel = newChannel();
    const server = tokenServer();
    const resetTab = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    await run(1_000);
    resetTab.reset();
    const seen: unknown[] = [];
    const raw = rawChannel(channel);
    raw.onmessage = ({ data }) => seen.push(data);
    raw.postMessage({ jwt: makeToken({ iat: nowS(), ttl: TTL }) });
    raw.postMessage({ ask: true });
    await delivered();
    expect(resetTab.token).toBeNull();
    expect(seen).toEqual([]);
    // A refresh for the next user fetches, and posts nothing to the old user's channel.
    await resetTab.refresh();
    await delivered();
    expect(seen).toEqual([]);
  });

  it('close() leaves the channel and clears the start-up wait: no timer, no answer', async () => {
    const channel = newChannel();
    const server = tokenServer();
    const closing = create({
      fetchToken: server.fetchToken,
      shareAcrossTabs: tabSharing({ channel }),
    });
    expect(vi.getTimerCount()).toBe(1); // the start-up window
    closing.close();
    closing.close();
    expect(vi.getTimerCount()).toBe(0);
    const seen: unknown[] = [];
    const raw = rawChannel(channel);
    raw.onmessage = ({ data }) => seen.push(data);
    raw.postMessage({ ask: true });
    await run(1_000);
    expect(seen).toEqual([]);
    expect(server.times).toEqual([]);
  });

  it('where BroadcastChannel does not exist, the option does nothing: the first fetch goes at once', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    try {
      const server = tokenServer();
      const manager = create({ fetchToken: server.fetchToken, shareAcrossTabs: tabSharing() });
      await vi.advanceTimersByTimeAsync(0);
      expect(server.times).toEqual([T0]);
      expect(manager.getState().tokenStatus).toBe('valid');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
