// The model-based test of client links (issue 16): a manager and two links, one in the factory
// form (with a start step, as Voice's register) and one over a client the app created, driven by
// random sequences of the public calls and of the outside world's answers (fetches, factories,
// pushes and starts that resolve, reject or hang; a factory's or a start's answer after the link
// gave up on it, its time limit passed, checked to change nothing but that client's shutdown), SDK
// signals from live and retired clients, time passing and sleeping, detach and close; and
// re-entrant ones: a state$ or client$ subscriber that detaches or signs out at the next change, a
// client that signals from within updateToken; and the app attaching a client it holds as a
// further link at any point (after a sign-out too). After every step the invariants below are
// checked (with each link's timers counted through its clock).
// CI: a fixed seed and 1,000 runs; LINKS_MODEL_RUNS=10000 (and LINKS_MODEL_SEED) for more.
import { makeToken } from '@access-manager/testing';
import fc from 'fast-check';
import type { Observable } from 'rxjs';
import { afterAll, beforeAll, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import {
  attachClient,
  type ClientLink,
  type ClientSignal,
  type ClientSpec,
} from './attachClient.js';
import { countingClock } from './testing/countingClock.js';

const RUNS = Number(process.env['LINKS_MODEL_RUNS'] ?? 1_000);
const SEED = Number(process.env['LINKS_MODEL_SEED'] ?? 16);
const T0 = Date.UTC(2026, 0, 1, 12);
const PUSH_TIMEOUT_MS = 15_000;
/** The factory link's startTimeoutMs (its default): making and starting a client, together. */
const START_TIMEOUT_MS = 30_000;
const grants = { chat: { service_sid: 'IS1' } };
type User = 'alice' | 'bob';

const identityOf = (jwt: string): string =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).grants.identity;

/** A stand-in SDK client whose pushes and start answer when a step says; it records all it gets. */
interface ModelClient {
  id: number;
  /** 0: the factory link; 1: the app's client; 2 and up: app clients attached later. */
  link: number;
  identity: string;
  /** What it holds: the token of the newest push that resolved, or the one it was made with. */
  holds: string;
  holdsSeq: number;
  pushSeq: number;
  pending: Array<{ startedAt: number; resolve: () => void; reject: (e: unknown) => void }>;
  shutdowns: number;
  start: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** The last signal function the link gave it; kept after unlisten (an event already under way). */
  signal: ((kind: ClientSignal) => void) | undefined;
  /** A signal it sends from within its next updateToken, before that returns (an SDK that emits at once). */
  signalDuringPush: ClientSignal | undefined;
  /** A factory client: when (timer time) the factory call that made it began. */
  calledAt?: number;
}

/** A call of the factory link's factory, until a step answers it (or lets it hang for ever). */
interface FactoryCall {
  jwt: string;
  /** Timer time of the call, and the manager's `resets` then. */
  at: number;
  resets: number;
  resolve: (c: ModelClient) => void;
  reject: (e: unknown) => void;
}

type Link = ClientLink<ModelClient>;
type Clocked = ReturnType<typeof countingClock>;

class World {
  readonly violations: string[] = [];
  readonly clients: ModelClient[] = [];
  readonly factoryCalls: FactoryCall[] = [];
  lastCall: FactoryCall | undefined;
  /** The client the link's current factory call gave (it may be starting), if it gave one. */
  current: ModelClient | undefined;
  /** Timer time: what the steps advanced the fake timers by (a sleep moves clocks, not timers). */
  elapsed = 0;
  /** Every client the factory link emitted on client$. */
  readonly emitted = new Set<ModelClient>();
  readonly fetches: Array<{ resolve: (jwt: string) => void; reject: (e: unknown) => void }> = [];
  fetchCount = 0;
  fetchAllowed = true;
  lastUser: User = 'alice';
  detached = [false, false];
  /** What a state$ subscriber of each link, there from its start, heard last, and whether it completed. */
  readonly heard: Array<{ last: string | undefined; completed: boolean }> = [];
  closed = false;
  readonly clocks: [Clocked, Clocked, ...Clocked[]] = [countingClock(), countingClock()];
  #tokens = 0;
  readonly manager: AccessManager;
  readonly links: [Link, Link, ...Link[]];

  constructor() {
    this.manager = new AccessManager({
      token: this.token('alice'),
      identity: 'any',
      wakeSignals: false,
      random: () => 0.5,
      fetchToken: () => {
        this.fetchCount++;
        if (!this.fetchAllowed)
          this.fail('a fetch after reset() before refresh() or updateToken()');
        return new Promise<string>((resolve, reject) => this.fetches.push({ resolve, reject }));
      },
    });
    const spec = this.spec();
    const appClient = this.client(1, this.manager.token as string);
    this.links = [
      attachClient(
        this.manager,
        (jwt) => {
          if (this.detached[0]) this.fail('the factory was called after detach');
          return new Promise<ModelClient>((resolve, reject) => {
            const { resets } = this.manager.getState();
            this.lastCall = { jwt, at: this.elapsed, resets, resolve, reject };
            this.factoryCalls.push(this.lastCall);
          });
        },
        {
          ...spec,
          start: (client) => {
            if (client.shutdowns) this.fail(`client ${client.id} was started after its shutdown`);
            return new Promise<void>((resolve, reject) => {
              client.start = { resolve, reject };
            });
          },
        },
        { random: () => 0.5, clock: this.clocks[0] },
      ),
      attachClient(this.manager, appClient, spec, {
        token: appClient.holds,
        random: () => 0.5,
        clock: this.clocks[1],
      }),
    ];
    for (const link of this.links) this.observe(link);
    this.links[0].client$.subscribe((client) => this.emitted.add(client));
  }

  /**
   * Whether the factory link has certainly given up on this call: detached, called its factory
   * again since, signed out since, or the call's time limit has passed (all retire its generation).
   */
  gaveUp(call: FactoryCall): boolean {
    return (
      !!this.detached[0] ||
      call !== this.lastCall ||
      call.resets !== this.manager.getState().resets ||
      this.elapsed - call.at >= START_TIMEOUT_MS
    );
  }

  fail(what: string): void {
    this.violations.push(what);
  }

  /** A token for `user`, each expiring later than the one before. */
  token(user: User): string {
    this.#tokens++;
    return makeToken({
      identity: user,
      iat: Math.floor(Date.now() / 1000),
      ttl: 3_000 + this.#tokens,
      grants,
    });
  }

  client(link: number, jwt: string): ModelClient {
    const client: ModelClient = {
      id: this.clients.length,
      link,
      identity: identityOf(jwt),
      holds: jwt,
      holdsSeq: 0,
      pushSeq: 0,
      pending: [],
      shutdowns: 0,
      start: undefined,
      signal: undefined,
      signalDuringPush: undefined,
    };
    this.clients.push(client);
    return client;
  }

  spec(): ClientSpec<ModelClient> {
    return {
      name: 'model',
      grant: 'chat',
      updateToken: (client, jwt) => {
        const now = Date.now();
        if (client.shutdowns) this.fail(`client ${client.id} got a token after its shutdown`);
        if (this.detached[client.link]) this.fail(`client ${client.id} got a token after detach`);
        if (identityOf(jwt) !== client.identity) {
          this.fail(`client ${client.id} of ${client.identity} got a token of ${identityOf(jwt)}`);
        }
        if (client.pending.some((p) => now - p.startedAt < PUSH_TIMEOUT_MS)) {
          this.fail(`client ${client.id} got a second push while one is in flight`);
        }
        const seq = ++client.pushSeq;
        const push = new Promise<void>((resolve, reject) => {
          const entry = {
            startedAt: now,
            resolve: () => {
              if (seq > client.holdsSeq) {
                client.holds = jwt;
                client.holdsSeq = seq;
              }
              resolve();
            },
            reject,
          };
          client.pending.push(entry);
        });
        const kind = client.signalDuringPush;
        client.signalDuringPush = undefined;
        if (kind) client.signal?.(kind);
        return push;
      },
      shutdown: (client) => {
        client.shutdowns++;
      },
      listen: (client, signal) => {
        client.signal = signal;
        return () => {};
      },
    };
  }

  observe(link: Link): void {
    const heard = { last: undefined as string | undefined, completed: false };
    this.heard.push(heard);
    link.state$.subscribe({
      next: (state) => {
        heard.last = state.status;
      },
      complete: () => {
        heard.completed = true;
      },
    });
  }

  /** Whether nothing from this client may act any more: shut down, or its link detached. */
  retired(client: ModelClient): boolean {
    return client.shutdowns > 0 || !!this.detached[client.link];
  }

  /** What a step from a retired client must leave as it was (of the first `count` clients). */
  snapshot(count = this.clients.length): string {
    const clients = this.clients.slice(0, count);
    return JSON.stringify({
      fetches: this.fetchCount,
      states: this.links.map((l) => l.getState()),
      pushes: clients.map((c) => c.pushSeq),
      shutdowns: clients.map((c) => c.shutdowns),
    });
  }

  check(after: string): void {
    const { manager } = this;
    const held = manager.getState().token;
    for (const client of this.clients) {
      if (client.shutdowns > 1)
        this.fail(`client ${client.id} was shut down ${client.shutdowns} times`);
    }
    // Every factory client but the link's own, and the one being started, is shut down.
    const link = this.links[0];
    const orphans = this.clients.filter(
      (c) => c.link === 0 && c.shutdowns === 0 && c !== link.client,
    );
    for (const orphan of orphans) {
      // (Not the newest factory client: a late answer to an older call may come after it.)
      const starting = orphan === this.current && orphan.start && !this.detached[0];
      if (!starting) this.fail(`client ${orphan.id} is retired but was not shut down`);
    }
    for (const [i, l] of this.links.entries()) {
      const state = l.getState();
      if (this.detached[i]) {
        if (state.status !== 'detached') this.fail(`link ${i} detached but ${state.status}`);
        // Every state$ subscriber ends on detached, whoever detached it and from where.
        const heard = this.heard[i];
        if (heard?.last !== 'detached' || !heard.completed) {
          this.fail(`link ${i} detached, but a state$ subscriber's last was ${heard?.last}`);
        }
        const timers = this.clocks[i]?.live.size;
        if (timers) this.fail(`link ${i} detached with ${timers} timers left`);
        continue;
      }
      if (state.status === 'synced') {
        const client = l.client;
        if (!held || state.token?.jwt !== held.jwt) {
          this.fail(`link ${i} synced with ${state.token?.id} but the manager holds ${held?.id}`);
        } else if (!client || client.holds !== held.jwt) {
          this.fail(`link ${i} synced but its client does not hold that token`);
        }
      }
    }
    if (this.closed && vi.getTimerCount() !== 0) {
      this.fail(`${vi.getTimerCount()} timers left after close()`);
    }
    if (this.violations.length) throw new Error(`after ${after}: ${this.violations.join('; ')}`);
  }
}

/** One step of the world: a name for the failure message, and what it does. */
class Step implements fc.AsyncCommand<object, World> {
  constructor(
    readonly name: string,
    readonly act: (world: World) => unknown,
  ) {}
  check(): boolean {
    return true;
  }
  async run(_: object, world: World): Promise<void> {
    await this.act(world);
    await vi.advanceTimersByTimeAsync(0);
    world.check(this.name);
  }
  toString(): string {
    return this.name;
  }
}

const noop = (): void => {};
const user = fc.constantFrom<User>('alice', 'bob');
const pick = fc.nat(20);
const outcome = fc.constantFrom('resolve', 'reject');

const steps = [
  user.map(
    (u) =>
      new Step(`updateToken(${u})`, (w) => {
        w.fetchAllowed = true;
        w.lastUser = u;
        return w.manager.updateToken(w.token(u)).catch(noop);
      }),
  ),
  fc.constant(
    new Step('reset()', (w) => {
      w.manager.reset();
      w.fetchAllowed = false;
      for (const [i, l] of w.links.entries()) {
        const { status, lastError } = l.getState();
        if (!w.detached[i] && (status !== 'creating' || lastError)) {
          w.fail(`link ${i} is ${status} (${lastError?.message}) after reset()`);
        }
      }
    }),
  ),
  fc.constant(
    new Step('refresh()', (w) => {
      w.fetchAllowed = true;
      w.manager.refresh().catch(noop);
    }),
  ),
  fc.tuple(pick, fc.constantFrom<ClientSignal>('willExpire', 'expired')).map(
    ([i, kind]) =>
      new Step(`signal(${kind}) from client #${i}`, (w) => {
        const client = w.clients[i % Math.max(1, w.clients.length)];
        if (!client?.signal) return;
        const retired = w.retired(client);
        const before = w.snapshot();
        client.signal(kind);
        if (retired) {
          return vi.advanceTimersByTimeAsync(0).then(() => {
            if (w.snapshot() !== before)
              w.fail(`a signal of retired client ${client.id} changed something`);
          });
        }
        return undefined;
      }),
  ),
  outcome.map(
    (o) =>
      new Step(`fetch ${o}s`, (w) => {
        const fetch = w.fetches.shift();
        if (o === 'resolve') fetch?.resolve(w.token(w.lastUser));
        else fetch?.reject(new Error('token server down'));
      }),
  ),
  fc.tuple(pick, fc.constantFrom('resolve', 'reject', 'hang')).map(
    ([i, o]) =>
      new Step(`factory call #${i} ${o === 'hang' ? 'hangs for ever' : `${o}s`}`, async (w) => {
        const [call] = w.factoryCalls.splice(i % Math.max(1, w.factoryCalls.length), 1);
        if (!call || o === 'hang') return;
        const gaveUp = w.gaveUp(call);
        const count = w.clients.length;
        const before = w.snapshot();
        let made: ModelClient | undefined;
        if (o === 'resolve') {
          made = w.client(0, call.jwt);
          made.calledAt = call.at;
          if (!gaveUp) w.current = made;
          call.resolve(made);
        } else call.reject(new Error('factory failed'));
        if (!gaveUp) return;
        // A late answer: the client is shut down at once and nothing else changes (no error).
        await vi.advanceTimersByTimeAsync(0);
        if (made && (made.shutdowns !== 1 || made.signal || made.start || made.pushSeq)) {
          w.fail(`late client ${made.id} was not only shut down`);
        }
        if (made && w.emitted.has(made)) w.fail(`late client ${made.id} was emitted on client$`);
        if (w.snapshot(count) !== before) w.fail(`a late factory ${o} changed something`);
      }),
  ),
  fc.tuple(pick, outcome).map(
    ([i, o]) =>
      new Step(`start of client #${i} ${o}s`, (w) => {
        const client = w.clients[i % Math.max(1, w.clients.length)];
        const start = client?.start;
        if (!client || !start) return;
        client.start = undefined;
        if (o === 'resolve') start.resolve();
        else start.reject(Object.assign(new Error('register refused'), { code: 31204 }));
        // Past the time limit of making and starting it, the link gave up on this client.
        if (w.elapsed - (client.calledAt ?? w.elapsed) >= START_TIMEOUT_MS) {
          return vi.advanceTimersByTimeAsync(0).then(() => {
            if (client.shutdowns !== 1 || w.links[0].client === client) {
              w.fail(`client ${client.id}, started after its time limit, is kept`);
            }
          });
        }
        return undefined;
      }),
  ),
  fc.tuple(pick, outcome).map(
    ([i, o]) =>
      new Step(`push to client #${i} ${o}s`, (w) => {
        const client = w.clients[i % Math.max(1, w.clients.length)];
        const push = client?.pending.shift();
        if (o === 'resolve') push?.resolve();
        else push?.reject(new Error('socket closed'));
      }),
  ),
  fc.constantFrom(1_000, 5_000, 15_000, 31_000, 61_000, 1_800_000).map(
    (ms) =>
      new Step(`${ms} ms pass`, (w) => {
        w.elapsed += ms;
        return vi.advanceTimersByTimeAsync(ms);
      }),
  ),
  fc.constantFrom(600_000, 3_600_000).map(
    (ms) =>
      new Step(`a ${ms} ms sleep`, () => {
        vi.setSystemTime(Date.now() + ms);
      }),
  ),
  fc.tuple(pick, fc.constantFrom<ClientSignal>('willExpire', 'expired')).map(
    ([i, kind]) =>
      new Step(`client #${i} signals ${kind} from within its next updateToken`, (w) => {
        const client = w.clients[i % Math.max(1, w.clients.length)];
        if (client) client.signalDuringPush = kind;
      }),
  ),
  fc
    .tuple(
      fc.constantFrom<0 | 1>(0, 1),
      fc.constantFrom('detach', 'reset'),
      fc.constantFrom('state$', 'client$'),
    )
    .map(
      ([i, action, stream]) =>
        new Step(`a ${stream} subscriber of link ${i} will ${action} at the next change`, (w) => {
          let armed = false;
          const subscription = (w.links[i][stream] as Observable<unknown>).subscribe(() => {
            if (!armed) return; // the replay
            armed = false;
            subscription?.unsubscribe();
            if (action === 'detach') {
              w.links[i].detach();
              w.detached[i] = true;
            } else {
              w.manager.reset();
              w.fetchAllowed = false;
            }
          });
          armed = true;
        }),
    ),
  fc.constant(
    new Step('the app attaches a client it holds (made for the last user) as a new link', (w) => {
      if (w.closed || w.links.length > 4) return;
      const i = w.links.length;
      const client = w.client(i, w.manager.token ?? w.token(w.lastUser));
      const clock = countingClock();
      w.links.push(
        attachClient(w.manager, client, w.spec(), {
          token: client.holds,
          random: () => 0.5,
          clock,
        }),
      );
      w.clocks.push(clock);
      w.detached.push(false);
      w.observe(w.links[i] as Link);
    }),
  ),
  fc.constantFrom<0 | 1>(0, 1).map(
    (i) =>
      new Step(`detach link ${i}`, (w) => {
        w.links[i].detach();
        w.detached[i] = true;
      }),
  ),
  fc.constant(
    new Step('close()', (w) => {
      w.manager.close();
      w.closed = true;
      w.detached = w.detached.map(() => true);
    }),
  ),
];

beforeAll(() => {
  vi.useFakeTimers({ now: T0 });
});
afterAll(() => {
  vi.useRealTimers();
});

it(
  `keeps every invariant through ${RUNS} random runs (seed ${SEED})`,
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(steps, { maxCommands: 30 }), async (commands) => {
        vi.clearAllTimers();
        vi.setSystemTime(T0);
        const world = new World();
        await vi.advanceTimersByTimeAsync(0);
        try {
          await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
          // The end of every run: close, and nothing is left behind.
          await new Step('close() at the end', (w) => {
            w.manager.close();
            w.closed = true;
            w.detached = w.detached.map(() => true);
          }).run({}, world);
          for (const client of world.clients) {
            if (client.link === 0 && client.shutdowns !== 1) {
              world.fail(`client ${client.id} was shut down ${client.shutdowns} times`);
            }
          }
          world.check('the end');
        } finally {
          world.manager.close();
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  },
  Math.max(120_000, RUNS * 60),
);
