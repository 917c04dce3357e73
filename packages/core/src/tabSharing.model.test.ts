// A model-based test of tab sharing (issue 17, "Model-based tests": the seam between tabs): 1 to
// 4 managers ("tabs") on one channel, each with a token server of its own whose answer the test
// sets (a token, with or without a stated server time, a retryable failure, a fatal 401, a
// hang), on one fake clock, through random sequences of each tab's public calls, tabs opening
// late, freezing and resuming, time passing, the device sleeping and the channel held back; the
// READMEs' promises are checked after every step, for every tab. The channel is an in-memory
// stand-in for the browser's (src/testing/inMemoryBroadcastChannel.ts), delivering on the fake
// clock, so that a run replays exactly from its seed. A fixed seed in CI; TABS_MODEL_RUNS=n and
// TABS_MODEL_SEED=n for more, TABS_MODEL_LENGTH=n for sequences n times longer
// (TABS_MODEL_STATS=1 prints what the runs reached, TABS_MODEL_TRACE=1 what each step did,
// TABS_MODEL_NOSHRINK=1 skips shrinking).
import { makeToken } from '@access-manager/testing';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import type { Clock } from './clock.js';
import { FatalFetchError, FetchFailedError } from './errors.js';
import { tabSharing } from './tabSharing.js';
import { InMemoryBroadcastHub, type InMemoryChannel } from './testing/inMemoryBroadcastChannel.js';
import type { AccessManagerState, FetchedToken, FetchTokenContext } from './types.js';

const RUNS = Number(process.env.TABS_MODEL_RUNS ?? 150);
/** The healthy tabs' runs are longer (hours of time each): half as many. */
const CALM_RUNS = Math.ceil(RUNS / 2);
const SEED = Number(process.env.TABS_MODEL_SEED ?? 13);
/** TABS_MODEL_LENGTH=n: sequences up to n times longer. */
const LENGTH = Number(process.env.TABS_MODEL_LENGTH ?? 1);
const T0 = Date.UTC(2026, 0, 1, 12);
const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
/** Fetched tokens live 10 minutes: a refresh lead of 180-200 s, a cycle of 400-420 s. */
const TTL = 600;
/** The most tabs open at once, counting those that open late. */
const MAX_TABS = 4;
const noop = () => {};
/** The real clock, read before any test fakes it: how long a command really took. */
const realNow = performance.now.bind(performance);
const nowS = () => Math.floor(Date.now() / 1000);
/** TABS_MODEL_TRACE=1: each command, fetch answer and adoption, on the fake clock. */
const trace = (line: string) => {
  if (process.env.TABS_MODEL_TRACE) console.log(`${new Date().toISOString()} ${line}`);
};

/**
 * Each tab's own jitter source, as `Math.random` is in a browser tab, but replayable: mulberry32
 * from the run's seed. (A constant would keep two tabs' refresh points together for good, and a
 * constant 0 retries a failing server at once, on and on: full jitter.)
 */
const seededRandom = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** What a tab's token server does with the next call. */
type Answer = 'token' | 'stated' | 'retryable' | 'fatal' | 'hang';
type Pushed = 'valid' | 'longer' | 'expired' | 'otherIdentity' | 'malformed';

interface Fetch {
  context: FetchTokenContext;
  settled: boolean;
}

/** One tab: its manager and everything the test saw of it. */
class Tab {
  readonly manager: AccessManager;
  /** The tab's end of the channel (the one its manager made). */
  readonly channel: InMemoryChannel;
  /** The tab's own timers, through its clock: none may be left once it is closed. */
  readonly timers = new Set<unknown>();
  readonly fetches: Fetch[] = [];
  /** JWTs this tab's app pushed, and this tab's token server answered: its own tokens. */
  readonly own = new Set<string>();
  /** JWTs held when an SDK of this tab refused them (since reset()). */
  refusedBySdk = new Set<string>();
  /** Each token on token$, and on tokenUpdated, in order. */
  readonly adopted: AccessToken[] = [];
  readonly updated: AccessToken[] = [];
  /** Deliveries seen on each stream: frozen by close(). */
  seen = 0;
  seenAtClose = 0;
  readonly subscriptions: Subscription[] = [];
  /** The identity the tab's token server mints for. */
  user: string;
  answer: Answer;
  wake: () => void = noop;
  closed = false;
  /** Since when it was served by its token server and had no good token (see `check`). */
  staleSince: number | null = null;
  frozen = false;
  /** What fell due while frozen. */
  readonly late: Array<() => void> = [];
  /** reset() was called: the tab left the channel for good. */
  left = false;
  resets = 0;
  /** The channel's posts of this tab when it left or closed. */
  postsAtLeave = 0;
  /** The first identity adopted since reset(), and the state before each adoption. */
  anchor: string | undefined;
  before: AccessManagerState;
  /**
   * The refresh point planned for the token held, as the last idle state said, and the clock
   * estimate it was planned on (a new estimate plans the token anew, unseen during a refresh).
   */
  plannedRefreshAt: number | null = null;
  plannedOffsetMs = 0;
  /** A forced refresh was asked since the token held was adopted. */
  forced = false;
  /**
   * While a forced refresh runs: the expiry of the token it refused (the earliest, if several;
   * -Infinity when none was held). A token from another tab that expires no sooner ends it.
   */
  forcedFloor: number | null = null;
  /** What went wrong inside a subscriber (thrown there, it would be lost). */
  readonly broken: string[] = [];

  constructor(
    readonly world: World,
    readonly name: string,
    readonly identityAny: boolean,
    readonly randomSeed: number,
    readonly latencyMs: number,
    answer: Answer,
    initial: string | undefined,
  ) {
    this.user = initial ? (new AccessToken(initial).identity ?? 'alice') : 'alice';
    this.answer = answer;
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (callback, delayMs) => {
        const handle = setTimeout(() => {
          this.timers.delete(handle);
          this.run(callback);
        }, delayMs);
        this.timers.add(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        this.timers.delete(handle);
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    if (initial !== undefined) this.own.add(initial);
    const channels = world.hub.created.length;
    this.manager = new AccessManager({
      ...(initial === undefined ? {} : { token: initial }),
      fetchToken: (context) => this.#fetch(context),
      identity: identityAny ? 'any' : 'fixed',
      clock,
      random: seededRandom(randomSeed),
      wakeSignals: (onWake) => {
        this.wake = onWake;
        return () => {
          this.wake = noop;
        };
      },
      shareAcrossTabs: tabSharing({ channel: world.channelName }),
    });
    const channel = world.hub.created[channels];
    if (!channel) throw new Error('the manager made no channel');
    this.channel = channel;
    // What a tab gives the others: a token it holds, never one its SDK refused or one expired.
    const post = channel.postMessage.bind(channel);
    channel.postMessage = (data: unknown) => {
      const jwt = (data as { jwt?: unknown } | null)?.jwt;
      if (typeof jwt === 'string') {
        const token = new AccessToken(jwt);
        const fail = (what: string) => this.broken.push(`${this.name} posted ${token}: ${what}`);
        if (jwt !== this.manager.token) fail('not the token held');
        if (this.refusedBySdk.has(jwt)) fail('a token its own SDK refused');
        if (token.expiresAt.getTime() <= Date.now() + this.manager.getState().clockOffsetMs) {
          fail('expired on its estimate');
        }
      }
      post(data);
    };
    this.before = this.manager.getState();
    this.anchor = this.before.token?.identity;
    this.subscriptions.push(
      this.manager.state$.subscribe((state) => {
        this.seen++;
        this.#state(state);
      }),
      this.manager.token$.subscribe((token) => {
        trace(`${this.name} adopts ${token} (${this.own.has(token.jwt) ? 'its own' : 'shared'})`);
        this.seen++;
        this.adopted.push(token);
      }),
      this.manager.events$.subscribe((event) => {
        this.seen++;
        if (event.type === 'tokenUpdated') this.updated.push(event.token);
      }),
    );
  }

  /** A state published: an adoption is judged against the state before it. */
  #state(state: AccessManagerState): void {
    const { before } = this;
    if (state.token && state.token !== before.token) this.#judge(state.token, before, state);
    if (state.token !== before.token) {
      this.plannedRefreshAt = null;
      this.forced = false;
    }
    if (state.token && state.fetchStatus === 'idle' && state.refreshAt) {
      this.plannedRefreshAt = state.refreshAt.getTime();
      this.plannedOffsetMs = state.clockOffsetMs;
    }
    if (state.fetchStatus === 'idle' || state.fetchStatus === 'failed') this.forcedFloor = null;
    this.before = state;
  }

  /** The checks a token must have passed in this tab to be adopted (README "Tab sharing"). */
  #judge(token: AccessToken, before: AccessManagerState, after: AccessManagerState): void {
    const fail = (what: string) => this.broken.push(`${this.name} adopted ${token}: ${what}`);
    const now = Date.now();
    const held = before.token;
    const fromChannel = !this.own.has(token.jwt);
    if (this.world.bad.has(token.jwt)) fail('a malformed token');
    if (this.refusedBySdk.has(token.jwt)) fail('a token its own SDK refused');
    // Not expired on its own estimate (the offset after adoption: a stated time may move it).
    if (token.expiresAt.getTime() <= now + after.clockOffsetMs) fail('expired on its estimate');
    if (fromChannel && this.left) fail('from the channel after reset()');
    if (fromChannel && this.closed) fail('after close()');
    // Identity: the first token's since reset(), unless 'any'; under 'any', a token from another
    // tab still has the identity of the token held.
    if (!this.identityAny && this.anchor !== undefined && token.identity !== this.anchor) {
      fail(`identity ${token.identity}, not ${this.anchor}`);
    }
    if (this.identityAny && fromChannel && held && token.identity !== held.identity) {
      fail(`another tab's identity ${token.identity} under 'any'`);
    }
    this.anchor ??= token.identity;
    // README: "a token another tab posts while this tab's forced refresh runs ends that refresh
    // when it expires no sooner than the refused token"; and one that comes while it waits (to
    // start, or to retry) settles it.
    const floor = this.forcedFloor;
    const ends =
      before.fetchStatus === 'waiting' || (floor !== null && token.expiresAt.getTime() >= floor);
    if (fromChannel && ends && after.fetchStatus !== 'idle') {
      fail(`from another tab, and its refresh goes on (${after.fetchStatus})`);
    }
    if (!held || this.refusedBySdk.has(held.jwt)) return; // any valid token replaces a refused one
    // From another tab: only a token that expires later than the one held, or in the same second
    // with the greater JWT (one order for every tab).
    const later = token.expiresAt.getTime() - held.expiresAt.getTime();
    if (fromChannel && (later < 0 || (later === 0 && token.jwt < held.jwt))) {
      fail(`from another tab, expiring no later than ${held}`);
    }
    // When the held token is due, never one that expires sooner (but a forced refresh takes one
    // minted a minute or more after the held one: adoption.ts).
    const due =
      this.plannedRefreshAt !== null &&
      before.clockOffsetMs === this.plannedOffsetMs &&
      now >= this.plannedRefreshAt;
    const mintedAfter =
      (token.issuedAt?.getTime() ?? 0) - (held.issuedAt?.getTime() ?? 0) >= 60 * S;
    if (due && token.expiresAt < held.expiresAt && !(this.forced && mintedAfter)) {
      fail(`expiring sooner than ${held}, which was due`);
    }
  }

  #fetch(context: FetchTokenContext): Promise<string | FetchedToken> {
    const fetch: Fetch = { context, settled: false };
    trace(`${this.name} fetches (${context.reason}, attempt ${context.attempt})`);
    this.fetches.push(fetch);
    this.world.fetchLog.push({ tab: this, at: Date.now(), tie: this.world.tie() });
    const answer = this.answer;
    const user = this.user;
    const skewMs = this.world.serverSkewMs;
    return new Promise((resolve, reject) => {
      const settle = (then: () => void) => {
        fetch.settled = true;
        clearTimeout(timer);
        then();
      };
      const answerNow = () => {
        if (fetch.settled) return;
        const serverNow = Date.now() + skewMs;
        const jwt = makeToken({ iat: Math.floor(serverNow / 1000), ttl: TTL, identity: user });
        if (answer === 'token' || answer === 'stated') this.own.add(jwt);
        trace(`${this.name}'s token server answers ${answer}`);
        settle(() => {
          if (answer === 'token') resolve(jwt);
          // The server's clock at the middle of the call (fetchAttempt moves it to the end).
          else if (answer === 'stated') {
            resolve({ token: jwt, serverTime: serverNow - this.latencyMs / 2 });
          } else if (answer === 'retryable') {
            reject(new FetchFailedError('503', { status: 503 }));
          } else reject(new FatalFetchError('401', { status: 401 }));
        });
      };
      // (A frozen page gets the answer when it resumes.)
      const timer =
        answer === 'hang' ? undefined : setTimeout(() => this.run(answerNow), this.latencyMs);
      context.signal.addEventListener('abort', () =>
        settle(() => {
          trace(`${this.name}'s fetch aborted (${(context.signal.reason as Error)?.message})`);
          reject(context.signal.reason);
        }),
      );
    });
  }

  /** The app asks for a forced refresh (refresh({ force }), an SDK's refusal). */
  force(): void {
    if (this.closed) return;
    this.forced = true;
    const held = this.manager.getState().token?.expiresAt.getTime() ?? Number.NEGATIVE_INFINITY;
    this.forcedFloor = Math.min(this.forcedFloor ?? Number.POSITIVE_INFINITY, held);
  }

  /** Runs a task of this page: at once, or when it resumes if it is frozen. */
  run(task: () => void): void {
    if (this.frozen) this.late.push(task);
    else task();
  }

  /** The page is frozen (a background tab, the debugger): its tasks and messages wait. */
  freeze(): void {
    this.frozen = true;
    this.channel.pause();
  }

  /** It resumes: the messages that came meanwhile, then the timers that fell due, in order. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.staleSince = null; // (its time frozen does not count)
    this.channel.resume();
    for (const task of this.late.splice(0)) this.run(task);
  }

  inFlight(): number {
    return this.fetches.filter((f) => !f.settled && !f.context.signal.aborted).length;
  }

  close(): void {
    this.manager.close();
    if (!this.closed) {
      this.closed = true;
      this.seenAtClose = this.seen;
      if (!this.left) this.postsAtLeave = this.channel.posted.length;
    }
  }

  /**
   * What `getToken()` resolved with (README): a token this tab adopted, of the user it was asked
   * for (never one adopted after a reset() since the call), not one its SDK refused, valid 60 s
   * more on its estimate (or half the lifetime of a shorter token).
   */
  handedOut(jwt: string, resets: number): void {
    const token = this.adopted.find((t) => t.jwt === jwt);
    const fail = (what: string) => this.broken.push(`${this.name}'s getToken() gave ${what}`);
    totals.handedOut++;
    if (!token) {
      fail('a token it never adopted');
      return;
    }
    if (this.resets !== resets) fail(`${token} after reset()`);
    if (this.refusedBySdk.has(jwt)) fail(`${token}, which its SDK refused`);
    const lifetimeMs = token.expiresAt.getTime() - (token.issuedAt?.getTime() ?? 0);
    const leftMs = token.expiresAt.getTime() - (Date.now() + this.manager.getState().clockOffsetMs);
    if (leftMs < Math.min(60 * S, lifetimeMs / 2) - S) fail(`${token}, with ${leftMs} ms left`);
  }

  reset(): void {
    if (this.closed) return;
    this.resets++;
    if (!this.left) this.postsAtLeave = this.channel.posted.length;
    this.left = true;
    this.anchor = undefined;
    this.refusedBySdk = new Set();
    this.manager.reset();
  }

  /** The invariants of one tab. */
  check(): void {
    const { manager } = this;
    expect(this.broken).toEqual([]);
    expect(this.inFlight(), `${this.name}: fetches in flight`).toBeLessThanOrEqual(1);
    if (this.closed || this.left) {
      // It left the channel: it answers nothing and posts nothing, for good.
      expect(this.channel.closed, `${this.name}: its channel closed`).toBe(true);
      expect(this.channel.posted.length, `${this.name}: posted after leaving`).toBe(
        this.postsAtLeave,
      );
    }
    if (this.closed) {
      expect(manager.getState().status).toBe('closed');
      expect(this.seen, `${this.name}: emitted after close()`).toBe(this.seenAtClose);
      expect(this.timers.size, `${this.name}: timers after close()`).toBe(0);
      return;
    }
    // getState() agrees with token$'s last value and with the token held.
    const state = manager.getState();
    expect(state.token?.jwt ?? null).toBe(manager.token);
    if (state.token) expect(this.adopted.at(-1)).toBe(state.token);
    // tokenUpdated in adoption order.
    expect(this.updated).toEqual(this.adopted);
    // README: "a closed, frozen or hidden tab delays another by at most the retry bound" (the
    // longest backoff, 30 s, then a wait for another tab's retry: its retryAt, up to 30 s later,
    // plus fetchTimeoutMs and a second): a tab whose own token server answers, with a clock that
    // agrees, is never without a good token for 2 minutes, whatever the channel and the others do.
    const { world } = this;
    const served =
      !this.left &&
      !this.frozen &&
      (this.answer === 'token' || this.answer === 'stated') &&
      world.serverSkewMs === 0 &&
      state.fetchStatus !== 'failed';
    if (served && (state.tokenStatus === 'expired' || state.tokenStatus === 'none')) {
      this.staleSince ??= Date.now();
      expect(Date.now() - this.staleSince, `${this.name} without a good token`).toBeLessThan(
        2 * MIN,
      );
    } else this.staleSince = null;
  }
}

/** The tabs, the channel they share, and what the test saw of them together. */
class World {
  readonly hub = new InMemoryBroadcastHub();
  readonly channelName: string;
  readonly tabs: Tab[] = [];
  /** Every fetchToken call: which tab, when. */
  readonly fetchLog: Array<{ tab: Tab; at: number; tie: boolean }> = [];
  /** Tokens no tab may ever adopt. */
  readonly bad = new Set<string>();
  /** The last time something but time passing happened that the bound on fetches allows for. */
  disturbedAt: number;

  /** `settleMs`: how long after a disturbance the count of fetches is not held to the bound. */
  constructor(
    readonly serverSkewMs: number,
    runId: number,
    readonly settleMs: number,
  ) {
    this.channelName = `tabs-model-${runId}`;
    this.disturbedAt = Date.now();
  }

  open(
    identityAny: boolean,
    randomSeed: number,
    latencyMs: number,
    answer: Answer,
    initial: false | string,
  ) {
    const name = `tab${this.tabs.length}`;
    // A tab that starts with a token may be another user's (the channel is not named after it).
    const token = initial ? makeToken({ iat: nowS(), ttl: TTL, identity: initial }) : undefined;
    const tab = new Tab(this, name, identityAny, randomSeed, latencyMs, answer, token);
    this.tabs.push(tab);
    return tab;
  }

  /**
   * Lets the microtasks run and the channel deliver (a message posted within a timer's task is
   * delivered a fake millisecond later: fake timers give a 0 ms timer set in a tick 1 ms).
   */
  async settle(): Promise<void> {
    await vi.advanceTimersByTimeAsync(0);
    for (let n = 0; n < 10 && this.hub.pending > 0 && !this.hub.held; n++) {
      await vi.advanceTimersByTimeAsync(1);
    }
  }

  /**
   * Whether every tab's token server answers with a token on time, the device clock agrees with
   * it and the channel delivers: the conditions under which the README counts fetches.
   */
  healthy(): boolean {
    const sharing = this.tabs.filter((tab) => !tab.closed && !tab.left);
    return (
      new Set(sharing.map((tab) => tab.user)).size <= 1 &&
      this.serverSkewMs === 0 &&
      !this.hub.held &&
      this.tabs.every(
        (tab) =>
          tab.closed ||
          tab.left ||
          (!tab.frozen && (tab.answer === 'token' || tab.answer === 'stated')),
      )
    );
  }

  /** Something the README's count of fetches does not cover happened (see `checkFetchBound`). */
  disturbed(): void {
    this.disturbedAt = Date.now();
  }

  check(): void {
    for (const tab of this.tabs) tab.check();
    this.checkFetchBound();
  }

  /**
   * Whether two sharing tabs hold different tokens that expire in the same second: neither takes
   * the other's (`expires_no_later`), so both lead (finding 1 of the report).
   */
  tie(): boolean {
    const held = this.tabs
      .filter((tab) => !tab.closed && !tab.left)
      .flatMap((tab) => tab.manager.getState().token ?? []);
    return held.some((a) =>
      held.some((b) => a.jwt !== b.jwt && a.expiresAt.getTime() === b.expiresAt.getTime()),
    );
  }

  /**
   * README: "a browser fetches once per cycle", "the tab that fetched last fetches next, at least
   * a tenth of the lead before any other; the others fetch only when it is gone, frozen or late".
   * With every sharing tab healthy, `settleMs` after the last disturbance (a push, a reset, a
   * forced refresh, an SDK signal, a close, a sleep, a failing server, a held channel), no two
   * fetches come within one refresh cycle (400 s at least for 600 s tokens; 380 s).
   *
   * Not asserted (finding 1 of the report): two fetches while two tabs hold tokens that expire in
   * the same second (tabs that fetched at once: opened together, woken together, the followers
   * of a leader that closed). Neither adopts the other's (`expires_no_later`), so both stay
   * leaders and both fetch again in every cycle in which their refresh points fall within a round
   * trip of each other; with a constant `random` (or two tabs of one seed), in every cycle.
   * Nor retries during an outage (a failing server is a disturbance): finding 3, the `it.fails`
   * example at the end of this file.
   */
  checkFetchBound(): void {
    if (!this.healthy()) {
      this.disturbed();
      return;
    }
    const since = this.disturbedAt + this.settleMs;
    const calm = this.fetchLog.filter(({ tab, at }) => at >= since && !tab.left);
    stats.calmFetches = Math.max(stats.calmFetches, calm.length);
    for (let i = 1; i < calm.length; i++) {
      const first = calm[i - 1];
      const next = calm[i];
      if (!first || !next) continue;
      stats.boundedPairs++;
      expect(
        next.at - first.at,
        `two fetches in one cycle (${first.tab.name}, then ${next.tab.name})`,
      ).toBeGreaterThanOrEqual(380 * S);
    }
  }

  dispose(): void {
    for (const tab of this.tabs) {
      tab.manager.close();
      for (const subscription of tab.subscriptions) subscription.unsubscribe();
    }
  }
}

/** How much of what the invariants look at a run reached (printed with TABS_MODEL_STATS=1). */
const stats = { calmFetches: 0, boundedPairs: 0, caughtUp: 0 };
const totals = {
  caughtUp: 0,
  runs: 0,
  handedOut: 0,
  calmRuns: 0,
  boundedPairs: 0,
  adoptions: 0,
  shared: 0,
  fetches: 0,
};

type Command = fc.AsyncCommand<object, World>;
const command = (
  name: string,
  run: (world: World) => Promise<void> | void,
  disturbs = true,
): Command => ({
  check: () => true,
  async run(_model, world) {
    const started = realNow();
    await run(world);
    trace(
      `${name}: ${Math.round(realNow() - started)} ms (real), ${world.fetchLog.length} fetches`,
    );
    if (disturbs) world.disturbed();
    await world.settle();
    world.check();
  },
  toString: () => name,
});

/** A command on the tab at `index` (modulo the tabs open so far). */
const onTab = (
  name: string,
  run: (tab: Tab, world: World) => Promise<void> | void,
  disturbs = true,
) =>
  fc.nat(MAX_TABS - 1).map((index) =>
    command(
      `tab${index}.${name}`,
      (world) => {
        const tab = world.tabs[index % world.tabs.length];
        // A frozen page calls nothing; it only resumes.
        if (tab && (!tab.frozen || name.startsWith('thaw'))) return run(tab, world);
      },
      disturbs,
    ),
  );

const pushed = (kind: Pushed, tab: Tab, world: World): string => {
  const t = nowS();
  const other = tab.user === 'bob' ? 'carol' : 'bob';
  const jwt = {
    valid: () => makeToken({ iat: t, ttl: TTL, identity: tab.user }),
    longer: () => makeToken({ iat: t, ttl: 3 * TTL, identity: tab.user }),
    expired: () => makeToken({ iat: t - 3 * TTL, ttl: TTL, identity: tab.user }),
    otherIdentity: () => makeToken({ iat: t, ttl: TTL, identity: other }),
    malformed: () => 'not.a.jwt',
  }[kind]();
  if (kind === 'malformed') world.bad.add(jwt);
  // Under 'any', the app signs in another user here: its token server mints for them from now on.
  if (kind === 'otherIdentity' && tab.identityAny) tab.user = other;
  return jwt;
};

const answers = fc.constantFrom<Answer>('token', 'stated', 'retryable', 'fatal', 'hang');

/** The app's calls that the count of fetches does not cover. */
const appCommands = [
  fc
    .tuple(fc.constantFrom<Pushed>('valid', 'longer', 'expired', 'otherIdentity', 'malformed'))
    .chain(([kind]) =>
      onTab(`updateToken(${kind})`, (tab, world) => {
        const jwt = pushed(kind, tab, world);
        tab.own.add(jwt);
        tab.manager.updateToken(jwt).catch(noop);
      }),
    ),
  fc.boolean().chain((force) =>
    onTab(`refresh(${force ? 'force' : ''})`, (tab) => {
      if (force) tab.force();
      tab.manager.refresh({ force }).catch(noop);
    }),
  ),
  fc.constantFrom('willExpire' as const, 'expired' as const).chain((kind) =>
    onTab(`reportSdkSignal(${kind})`, (tab) => {
      if (kind === 'expired') {
        const held = tab.manager.getState().token;
        if (held && !tab.closed) tab.refusedBySdk.add(held.jwt);
        tab.force();
      }
      tab.manager.reportSdkSignal(kind).catch(noop);
    }),
  ),
  onTab('reset()', (tab) => tab.reset()),
  onTab('close()', (tab) => tab.close()),
  onTab('freeze', (tab) => tab.freeze()),
  onTab('thaw', (tab) => tab.thaw()),
];

/** What does not disturb the count of fetches: reads, wake signals, tabs opening, time passing. */
const calmCommands = [
  fc.constantFrom(undefined, 1_000, 60_000).chain((timeoutMs) =>
    onTab(
      `getToken(${timeoutMs ?? ''})`,
      (tab) => {
        const resets = tab.resets;
        tab.manager
          .getToken(timeoutMs === undefined ? {} : { timeoutMs })
          .then((jwt) => tab.handedOut(jwt, resets), noop);
      },
      false,
    ),
  ),
  // README: a wake signal runs a retry at once and re-checks the deadlines; it fetches nothing
  // more while the token is good.
  onTab('wake', (tab) => tab.wake(), false),
  fc
    .tuple(fc.boolean(), fc.nat(), fc.constantFrom<Answer>('token', 'stated'))
    .map(([identityAny, randomSeed, answer]) =>
      command(
        `open a tab (${identityAny ? "identity 'any', " : ''}random ${randomSeed}, ${answer})`,
        (world) => {
          if (world.tabs.length < MAX_TABS) world.open(identityAny, randomSeed, 0, answer, false);
        },
        false, // README: "opening tabs 2, 3 and 4 fetched nothing"
      ),
    ),
  fc
    .constantFrom(1 * S, 10 * S, 45 * S, 5 * MIN, 20 * MIN, H)
    .map((ms) =>
      command(`advance(${ms / S} s)`, () => vi.advanceTimersByTimeAsync(ms).then(noop), false),
    ),
];

/**
 * Everything else: pushes, refreshes, SDK signals, reset, close, failing servers, sleeps. (A
 * sleep of the device disturbs the count: every tab wakes past its refresh point, asks, hears no
 * newer token, and fetches: finding 2 of the report.)
 */
const disturbingCommands = [
  ...appCommands,
  answers.chain((answer) =>
    onTab(`server answers ${answer}`, (tab) => {
      tab.answer = answer;
    }),
  ),
  fc.constantFrom(1, 3).map((hours) =>
    command(`sleep(${hours} h)`, async (world) => {
      // The device sleeps: the wall clock jumps and no timer runs; then it wakes.
      vi.setSystemTime(Date.now() + hours * H);
      for (const tab of world.tabs) tab.run(tab.wake);
      await vi.advanceTimersByTimeAsync(31 * S);
    }),
  ),
  fc.constant(command('channel: hold', (world) => world.hub.hold())),
  fc.constant(command('channel: release', (world) => world.hub.release())),
];

interface TabSetup {
  identityAny: boolean;
  randomSeed: number;
  latencyMs: number;
  answer: Answer;
  /** The identity of the token it starts with, if any. */
  initial: false | string;
}

const tabSetups = (answer: fc.Arbitrary<Answer>, initial: fc.Arbitrary<false | string>) =>
  fc.array(
    fc.record({
      identityAny: fc.boolean(),
      randomSeed: fc.nat(),
      latencyMs: fc.constantFrom(0, 500, 2_000),
      answer,
      initial,
    }),
    { minLength: 1, maxLength: 3 },
  );

/** One run: the tabs open together, the commands run, then every tab closes. */
async function runTabs(
  tabs: TabSetup[],
  serverSkewMs: number,
  sequence: Iterable<Command>,
  { staggerMs = 0, settleMs = H } = {},
) {
  vi.useFakeTimers({ now: T0 });
  const world = new World(serverSkewMs, ++runs, settleMs);
  vi.stubGlobal('BroadcastChannel', world.hub.BroadcastChannel);
  try {
    for (const t of tabs) {
      world.open(t.identityAny, t.randomSeed, t.latencyMs, t.answer, t.initial);
      if (staggerMs) await vi.advanceTimersByTimeAsync(staggerMs);
    }
    await world.settle();
    world.check();
    await fc.asyncModelRun(() => ({ model: {}, real: world }), sequence);
    // Then every tab resumes and closes: nothing emitted, no timer left, nothing in the channel.
    for (const tab of world.tabs) tab.thaw();
    await world.settle();
    world.check();
    for (const tab of world.tabs) tab.close();
    world.hub.release();
    await world.settle();
    world.check();
    expect(world.hub.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    totals.runs++;
    if (stats.calmFetches >= 2) totals.calmRuns++;
    totals.boundedPairs += stats.boundedPairs;
    totals.caughtUp += stats.caughtUp;
    totals.fetches += world.fetchLog.length;
    for (const tab of world.tabs) {
      totals.adoptions += tab.adopted.length;
      totals.shared += tab.adopted.filter((t) => !tab.own.has(t.jwt)).length;
    }
  } finally {
    stats.calmFetches = stats.boundedPairs = stats.caughtUp = 0;
    world.dispose();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  }
}
let runs = 0;

/** TABS_MODEL_PATH and TABS_MODEL_REPLAY (the counterexample's replayPath) replay one run. */
const commandsOptions = (maxCommands: number) => ({
  maxCommands: maxCommands * LENGTH,
  ...(process.env.TABS_MODEL_REPLAY ? { replayPath: process.env.TABS_MODEL_REPLAY } : {}),
});

const parameters = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  seed: SEED,
  endOnFailure: !!process.env.TABS_MODEL_NOSHRINK,
  ...(process.env.TABS_MODEL_PATH ? { path: process.env.TABS_MODEL_PATH } : {}),
});

describe('tab sharing, model-based', () => {
  it(
    `keeps every tab's promises through ${RUNS} random sequences (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          tabSetups(answers, fc.constantFrom<false | string>(false, 'alice', 'alice', 'bob')),
          fc.constantFrom(0, 0, 0, -2 * H),
          fc.commands([...disturbingCommands, ...calmCommands], commandsOptions(25)),
          (tabs, serverSkewMs, sequence) => runTabs(tabs, serverSkewMs, sequence),
        ),
        parameters(RUNS),
      );
      if (process.env.TABS_MODEL_STATS) console.log(JSON.stringify(totals));
    },
    30_000 + RUNS * 200,
  );

  it(
    `healthy tabs fetch once per refresh cycle through ${CALM_RUNS} random sequences (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          tabSetups(
            fc.constantFrom<Answer>('token', 'stated'),
            fc.constantFrom<false | string>(false, 'alice'),
          ),
          fc.commands(
            [
              ...calmCommands,
              // Long stretches of time, so that cycles pass after the tabs settle.
              fc.constant(
                command('advance(2 h)', () => vi.advanceTimersByTimeAsync(2 * H).then(noop), false),
              ),
              // README: "a tab frozen through two refresh points caught up without a fetch": a
              // tab that resumes while another holds a newer token takes it, and fetches not.
              // (Meanwhile the others fetch without it: a handover, if it led.)
              fc
                .constantFrom(10 * MIN, 20 * MIN, H)
                .chain((ms) =>
                  onTab(`frozen for ${ms / MIN} min`, async (tab, world) => {
                    tab.freeze();
                    await vi.advanceTimersByTimeAsync(ms);
                    const newer = world.tabs
                      .filter((other) => other !== tab && !other.closed && !other.left)
                      .flatMap((other) => other.manager.getState().token ?? [])
                      .find((token) => token.expiresAt.getTime() > Date.now() + 5 * MIN);
                    const fetches = tab.fetches.length;
                    const held = tab.manager.getState().token;
                    // Not checked (finding 4 of the report): a backlog holding a token that is
                    // past a follower's refresh point when it comes (160 s before its expiry at
                    // most): adopted, due at once, fetched for at once, though a newer token waits
                    // behind it in the backlog.
                    const stale = tab.channel.waiting.some((data) => {
                      const jwt = (data as { jwt?: unknown } | null)?.jwt;
                      if (typeof jwt !== 'string') return false;
                      const left = new AccessToken(jwt).expiresAt.getTime() - Date.now();
                      return left > 0 && left <= 161 * S;
                    });
                    tab.thaw();
                    await vi.advanceTimersByTimeAsync(S);
                    if (tab.closed || tab.left || !newer || stale) return;
                    if (held && held.expiresAt >= newer.expiresAt) return;
                    stats.caughtUp++;
                    expect(tab.fetches.length, `${tab.name} fetched on resuming`).toBe(fetches);
                    expect(
                      tab.manager.getState().token?.expiresAt.getTime(),
                    ).toBeGreaterThanOrEqual(newer.expiresAt.getTime());
                  }),
                ),
              // A tab closing hands over: two may fetch in that cycle (README).
              onTab('close()', (tab) => tab.close()),
            ],
            commandsOptions(15),
          ),
          // The tabs open a second apart, as in the README's measurement: tabs that open at the
          // same moment (a browser restoring a session) each fetch (finding 2 of the report).
          // After a disturbance (a close), the README allows for the cycle of the handover.
          (tabs, sequence) => runTabs(tabs, 0, sequence, { staggerMs: S, settleMs: 2 * TTL * S }),
        ),
        parameters(CALM_RUNS),
      );
      if (process.env.TABS_MODEL_STATS) console.log(JSON.stringify(totals));
    },
    30_000 + CALM_RUNS * 300,
  );
});

describe('findings of the model, as examples', () => {
  /**
   * Finding 1, fixed: two tabs opened together (a restored session) fetch at once, and their
   * tokens expire in the same second. Each took the other's as no better (`expires_no_later`), so
   * both led and, with the same jitter, both fetched in every cycle for ever. Now the greater JWT
   * wins in both tabs (`decideSharedAdoption`): one leads, the other follows.
   */
  it('two tabs opened together, with the same jitter, fetch once per cycle after the first', async () => {
    vi.useFakeTimers({ now: T0 });
    const world = new World(0, 0, H);
    vi.stubGlobal('BroadcastChannel', world.hub.BroadcastChannel);
    try {
      world.open(false, 10, 500, 'token', false);
      world.open(false, 10, 500, 'token', false);
      await vi.advanceTimersByTimeAsync(MIN);
      expect(world.fetchLog).toHaveLength(2); // both fetched at once: neither had a token
      await vi.advanceTimersByTimeAsync(40 * MIN); // six refresh cycles of 600 s tokens
      const cycles = world.fetchLog.slice(2).map(({ at }) => Math.round((at - T0) / S));
      expect(cycles.length).toBeGreaterThanOrEqual(5);
      expect(cycles.length).toBeLessThanOrEqual(6);
      for (let i = 1; i < cycles.length; i++) {
        expect((cycles[i] as number) - (cycles[i - 1] as number)).toBeGreaterThanOrEqual(380);
      }
    } finally {
      world.dispose();
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });

  /**
   * Finding 3, a bug per the README ("Retries": "an outage costs the server one tab's retries,
   * not one per tab"; a tab fetches itself only with no token by `retryAt` plus `fetchTimeoutMs`
   * and a second, when the retrying tab "closed, froze, or failed again unheard"). Here the
   * retrying tab posts every next retry, yet the other tab fetches: a tab that waits for another
   * tab's retry ignores the next `{ retryAt }` when it comes after the end of its own wait
   * (`Refresher.heard`: "unless this tab's own retry comes sooner"), though that "retry" is only
   * the end of the wait. So once the backoff passes `fetchTimeoutMs` plus a second, every tab
   * retries on its own, from its first backoff step: with 3 tabs, a 15-minute outage cost 38-54
   * attempts per tab (10 seeds), where the leader alone made 51-59 with a fix. A fix must keep a
   * bound: one that waits as long as the other tab keeps posting fails the model's check that a
   * tab whose own token server answers is never 2 minutes without a good token (a tab whose
   * fetch fails, alone, then holds the others off for good; seed 1). `it.fails` until fixed;
   * then `it`.
   */
  it.fails('in an outage, a tab that hears each of another tab’s retries never fetches', async () => {
    vi.useFakeTimers({ now: T0 });
    const world = new World(0, 0, H);
    vi.stubGlobal('BroadcastChannel', world.hub.BroadcastChannel);
    try {
      const leader = world.open(false, 10, 500, 'token', false);
      await vi.advanceTimersByTimeAsync(S);
      const other = world.open(false, 11, 500, 'token', false);
      await vi.advanceTimersByTimeAsync(5 * MIN);
      expect(world.fetchLog.map(({ tab }) => tab)).toEqual([leader]);
      leader.answer = other.answer = 'retryable'; // the token server is down from here
      await vi.advanceTimersByTimeAsync(15 * MIN);
      expect(leader.fetches.length).toBeGreaterThan(10);
      expect(other.fetches.length).toBe(0);
    } finally {
      world.dispose();
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });
});
