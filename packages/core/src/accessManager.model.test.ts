// A model-based test of the manager (issue 17): random sequences of the public calls and of the
// outside world's answers (fetch outcomes, time passing, sleep, wake signals), on fake timers,
// with the invariants checked after every step. A fixed seed in CI; MBT_RUNS=n for more runs,
// MBT_SEED=n for another sequence.
import { makeToken } from '@access-manager/testing';
import fc from 'fast-check';
import { type Subscription, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import type { AccessToken } from './accessToken.js';
import { FatalFetchError, FetchFailedError } from './errors.js';
import type {
  AccessManagerEvent,
  AccessManagerState,
  FetchedToken,
  FetchTokenContext,
} from './types.js';

const RUNS = Number(process.env.MBT_RUNS ?? 1_000);
const SEED = Number(process.env.MBT_SEED ?? 17);
const T0 = Date.UTC(2026, 0, 1, 12);
const H = 3_600_000;
const nowS = () => Math.floor(Date.now() / 1000);
const noop = () => {};

type Answer = 'token' | 'stated' | 'retryable' | 'fatal' | 'hang';
type Pushed = 'valid' | 'malformed' | 'expired' | 'future' | 'otherIdentity' | 'notString';
type Stream = 'token$' | 'state$' | 'events$';
type Act = 'close' | 'reset' | 'push';

/** The real system under test and what the test saw of it. */
class World {
  readonly fetches: Array<{
    context: FetchTokenContext;
    settled: boolean;
    resolve: (answer: string | FetchedToken) => void;
    reject: (error: unknown) => void;
  }> = [];
  wake: (() => void) | null = null;
  readonly manager: AccessManager;
  /** Each token on token$ with the time it came: the adoption order. */
  readonly adopted: AccessToken[] = [];
  readonly events: AccessManagerEvent[] = [];
  /** The last state `state$` published. */
  published: AccessManagerState | undefined;
  /** When each of `events` came (fake clock). */
  readonly eventTimes: number[] = [];
  readonly subscriptions: Subscription[] = [];
  /** Tokens the world made that a manager must never adopt. */
  readonly bad = new Set<string>();
  closed = false;
  /** The identity of the first token adopted since reset(). */
  identity: string | undefined;
  /** After reset(): no fetch until something asks for a token. */
  quietSince: number | null = null;
  eventsAtClose = 0;
  /** The token held when an SDK last refused one (reportSdkSignal('expired')). */
  refused: AccessToken | null = null;
  /** Every token an SDK refused (its JWT). */
  readonly refusedJwts = new Set<string>();
  /** Expired tokens pushed so far: each is a minute older than the last, so no two agree in age. */
  expiredPushes = 0;
  /**
   * A reaction a command armed: at its next delivery, the first subscriber of `on` (subscribed
   * before the world's own observers) acts once, from inside the delivery.
   */
  reaction: { on: Stream; act: Act } | null = null;
  /**
   * Tokens whose delivery a reaction's reset() or close() cut short: the subscribers before it
   * heard them, those after did not (as with an rxjs Subject completed mid-delivery).
   */
  readonly interrupted = new Set<AccessToken | null>();

  /** `fetches`: with a `fetchToken`; else push-only (where the seeds' rule judges expired tokens). */
  constructor(initial: string | undefined, fetches: boolean) {
    this.manager = new AccessManager({
      ...(initial === undefined ? {} : { token: initial }),
      ...(fetches ? { fetchToken: (context: FetchTokenContext) => this.#fetch(context) } : {}),
      wakeSignals: (onWake) => {
        this.wake = onWake;
        return () => {
          this.wake = null;
        };
      },
      random: () => 0.5,
      retry: { minDelayMs: 1_000, maxDelayMs: 30_000 },
    });
    const react = (on: Stream) => () => {
      const reaction = this.reaction;
      if (reaction?.on !== on) return;
      this.reaction = null;
      if (reaction.act !== 'push') this.interrupted.add(this.manager.getState().token);
      this.act(reaction.act);
    };
    this.subscriptions.push(
      this.manager.token$.subscribe(react('token$')),
      this.manager.state$.subscribe(react('state$')),
      this.manager.events$.subscribe(react('events$')),
      this.manager.token$.subscribe((token) => {
        // Every check a token must pass, held against the truth (the device clock is right here).
        expect(this.bad.has(token.jwt), `adopted a bad token ${token}`).toBe(false);
        expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now());
        this.identity ??= token.identity; // under identity 'fixed', until reset()
        expect(token.identity).toBe(this.identity);
        this.adopted.push(token);
      }),
      this.manager.events$.subscribe((event) => {
        this.events.push(event);
        this.eventTimes.push(Date.now());
      }),
      this.manager.state$.subscribe((state) => {
        this.published = state;
      }),
    );
  }

  #fetch(context: FetchTokenContext): Promise<string | FetchedToken> {
    return new Promise((resolve, reject) => {
      const fetch = { context, settled: false, resolve, reject };
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          fetch.settled = true;
          then(value);
        };
      fetch.resolve = settle(resolve);
      fetch.reject = settle(reject);
      context.signal.addEventListener('abort', () => fetch.reject(context.signal.reason));
      this.fetches.push(fetch);
    });
  }

  /** Fetch calls under way: not settled, not aborted. */
  inFlight() {
    return this.fetches.filter((fetch) => !fetch.settled && !fetch.context.signal.aborted);
  }

  async settle(): Promise<void> {
    await vi.advanceTimersByTimeAsync(0);
  }

  /** The invariants, after every step. */
  async check(): Promise<void> {
    const { manager } = this;
    const state = manager.getState();
    expect(this.inFlight().length).toBeLessThanOrEqual(1);
    if (this.quietSince !== null) expect(this.fetches.length).toBe(this.quietSince);
    if (this.closed) {
      expect(state.status).toBe('closed');
      expect(this.events.length).toBe(this.eventsAtClose);
      expect(vi.getTimerCount()).toBe(0);
      await this.lateSubscribersComplete();
      return;
    }
    // state$ published every change: its last state is the state now (a UI that renders from
    // state$ shows a token's expiry when it comes; review11's first finding).
    expect(this.published).toBe(state);
    // getState() agrees with the token held, and token$'s last value is it.
    expect(state.token?.jwt ?? null).toBe(manager.token);
    if (state.token) expect(this.adopted.at(-1)).toBe(state.token);
    expect(state.tokenStatus === 'none').toBe(state.token === null);
    // The token an SDK refused is shown expired while it is the one held (issue 21).
    if (state.token && state.token === this.refused) {
      expect(state.tokenStatus).toBe('expired');
      expect(['expired', 'failed']).toContain(state.status);
    }
    // tokenUpdated in adoption order on every stream.
    const whole = (token: AccessToken) => !this.interrupted.has(token);
    const updated = this.events.flatMap((e) => (e.type === 'tokenUpdated' ? [e.token] : []));
    expect(updated.filter(whole)).toEqual(this.adopted.filter(whole));
    // For a token, the manager's tokenWillExpire comes before its tokenExpired (unless an SDK
    // refused the token first); no warning from any source comes after a tokenExpired; and two tokenExpired are 10 s apart at least (what
    // SDKs and the manager say at one moment is said once; review10).
    const warned = new Set<string>();
    const expiredAt = new Map<string, number>();
    for (const [i, event] of this.events.entries()) {
      const at = this.eventTimes[i] as number;
      if (event.type === 'tokenWillExpire') {
        expect(expiredAt.has(event.token.jwt)).toBe(false);
        warned.add(event.token.jwt);
      }
      if (event.type === 'tokenExpired') {
        // (A token an SDK refused gets no warning after the refusal: it is no good already.)
        if (event.source === 'manager' && !this.refusedJwts.has(event.token.jwt)) {
          expect(warned.has(event.token.jwt)).toBe(true);
        }
        expect(at - (expiredAt.get(event.token.jwt) ?? -Infinity)).toBeGreaterThanOrEqual(10_000);
        expiredAt.set(event.token.jwt, at);
      }
    }
    // A late subscriber gets the current state and token at once.
    const late: AccessManagerState[] = [];
    const tokens: AccessToken[] = [];
    manager.state$.subscribe((s) => late.push(s)).unsubscribe();
    manager.token$.subscribe((t) => tokens.push(t)).unsubscribe();
    expect(late).toEqual([state]);
    expect(tokens).toEqual(state.token ? [state.token] : []);
  }

  async lateSubscribersComplete(): Promise<void> {
    const { manager } = this;
    const done = (source: typeof manager.events$ | typeof manager.token$ | typeof manager.state$) =>
      new Promise<unknown[]>((resolve) => {
        (source as typeof manager.events$).pipe(toArray()).subscribe(resolve as never);
      });
    const [tokens, events, states] = await Promise.race([
      Promise.all([done(manager.token$), done(manager.events$), done(manager.state$)]),
      new Promise<never>((_, reject) =>
        queueMicrotask(() => reject(new Error('a stream did not complete'))),
      ),
    ]);
    expect(tokens).toEqual([]);
    expect(events).toEqual([]);
    expect((states as AccessManagerState[]).map((s) => s.status)).toEqual(['closed']);
  }

  close(): void {
    this.manager.close();
    if (!this.closed) this.eventsAtClose = this.events.length;
    this.closed = true;
    this.quietSince = null;
  }

  act(act: Act): void {
    if (act === 'close') this.close();
    else if (act === 'reset') {
      // First: a subscriber may push the next user's token from inside reset().
      this.identity = undefined;
      this.quietSince = this.fetches.length;
      this.manager.reset();
    } else {
      this.asked();
      this.manager.updateToken(makeToken({ iat: nowS(), ttl: 3600 })).catch(noop);
    }
  }

  /** Something asked for a token: fetching is allowed again. */
  asked(): void {
    this.quietSince = null;
  }
}

type Command = fc.AsyncCommand<object, World>;
const command = (name: string, run: (world: World) => Promise<void> | void): Command => ({
  check: () => true,
  async run(_model, world) {
    await run(world);
    await world.settle();
    await world.check();
  },
  toString: () => name,
});

const pushed = (kind: Pushed, world: World): string => {
  const t = nowS();
  const made = {
    valid: () => makeToken({ iat: t, ttl: 3600 }),
    malformed: () => 'not.a.jwt',
    expired: () => makeToken({ iat: t - 3 * 3600 - 60 * world.expiredPushes++, ttl: 3600 }),
    future: () => makeToken({ iat: t + 2 * 3600, ttl: 3600 }), // the device clock is behind
    otherIdentity: () =>
      makeToken({ iat: t, ttl: 3600, identity: world.identity === 'bob' ? 'carol' : 'bob' }),
    notString: () => undefined as unknown as string,
  }[kind]();
  const bad =
    kind === 'otherIdentity' ? world.identity !== undefined : kind !== 'valid' && kind !== 'future';
  if (bad) world.bad.add(made);
  return made;
};

const commands = [
  fc
    .constantFrom<Pushed>('valid', 'malformed', 'expired', 'future', 'otherIdentity', 'notString')
    .map((kind) =>
      command(`updateToken(${kind})`, (world) => {
        const jwt = pushed(kind, world);
        world.asked(); // (an expired one starts a fetch: the app asked for a token)
        world.manager.updateToken(jwt).catch(noop);
      }),
    ),
  fc.boolean().map((force) =>
    command(`refresh(${force ? 'force' : ''})`, (world) => {
      world.asked();
      world.manager.refresh({ force }).catch(noop);
    }),
  ),
  fc.constant(command('reset()', (world) => world.act('reset'))),
  fc.constant(command('close', (world) => world.close())),
  // Re-entrancy: a subscriber that signs out, closes or pushes from inside its next delivery.
  fc
    .tuple(
      fc.constantFrom<Stream>('token$', 'state$', 'events$'),
      fc.constantFrom<Act>('close', 'reset', 'push'),
    )
    .map(([on, act]) =>
      command(`on next ${on}: ${act}`, (world) => {
        world.reaction = { on, act };
      }),
    ),
  fc.constantFrom(undefined, 1_000, 60_000, Number.POSITIVE_INFINITY).map((timeoutMs) =>
    command(`getToken(${timeoutMs ?? ''})`, (world) => {
      world.asked();
      world.manager.getToken(timeoutMs === undefined ? {} : { timeoutMs }).catch(noop);
    }),
  ),
  fc.constantFrom(1_000, 10_000, 45_000, 5 * 60_000, 20 * 60_000).map((ms) =>
    command(`advance(${ms})`, async () => {
      await vi.advanceTimersByTimeAsync(ms);
    }),
  ),
  fc.constantFrom(1, 3, 9).map((hours) =>
    command(`sleep(${hours} h)`, async () => {
      // The device sleeps: the wall clock jumps, no timer runs; then it wakes.
      vi.setSystemTime(Date.now() + hours * H);
      await vi.advanceTimersByTimeAsync(31_000);
    }),
  ),
  fc.constant(command('wake', (world) => world.wake?.())),
  fc.constantFrom('willExpire' as const, 'expired' as const).map((kind) =>
    command(`reportSdkSignal(${kind})`, (world) => {
      world.asked(); // an SDK asked for a token
      if (kind === 'expired') {
        world.refused = world.manager.getState().token;
        if (world.refused) world.refusedJwts.add(world.refused.jwt);
      }
      world.manager.reportSdkSignal(kind).catch(noop);
    }),
  ),
  fc.constantFrom<Answer>('token', 'stated', 'retryable', 'fatal', 'hang').map((answer) =>
    command(`answer(${answer})`, (world) => {
      const fetch = world.inFlight()[0];
      if (!fetch || answer === 'hang') return;
      const token = makeToken({ iat: nowS(), ttl: 3600 });
      if (answer === 'token') fetch.resolve(token);
      else if (answer === 'stated') fetch.resolve({ token, serverTime: Date.now() });
      else if (answer === 'retryable') fetch.reject(new FetchFailedError('503', { status: 503 }));
      else fetch.reject(new FatalFetchError('401', { status: 401 }));
    }),
  ),
];

describe('the manager, model-based', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(
    `keeps every invariant through ${RUNS} random sequences (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.boolean(),
          fc.commands(commands, { maxCommands: 30 }),
          async (startsWithToken, fetches, sequence) => {
            vi.useFakeTimers({ now: T0 });
            const world = new World(
              startsWithToken ? makeToken({ iat: nowS(), ttl: 3600 }) : undefined,
              fetches,
            );
            try {
              await world.settle();
              await world.check();
              await fc.asyncModelRun(() => ({ model: {}, real: world }), sequence);
              // Then close, if no command did: nothing emitted, no timer, every stream completes.
              world.close();
              await world.settle();
              await world.check();
            } finally {
              world.manager.close();
              for (const subscription of world.subscriptions) subscription.unsubscribe();
              vi.useRealTimers();
            }
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    30_000 + RUNS * 60,
  );
});
