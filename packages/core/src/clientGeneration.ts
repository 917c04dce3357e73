import type { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import { type ClientSignal, decideSignal } from './clientSignal.js';
import { ClientStartError } from './clientStartError.js';
import type { Clock } from './clock.js';
import { PushTimeoutError } from './errors.js';
import type { AttachOptions, ClientLinkState, ClientSpec } from './linkTypes.js';

const noop = (): void => {};

export const parseToken = (jwt: string | undefined): AccessToken | undefined => {
  try {
    return new AccessToken(jwt);
  } catch {
    return undefined;
  }
};

/** What a generation takes from its link. */
export interface GenerationContext<Client> {
  readonly manager: AccessManager;
  readonly spec: ClientSpec<Client>;
  readonly options: AttachOptions;
  readonly clock: Clock;
  /** A state change of this generation: the link keeps it only while the generation is current. */
  report(generation: ClientGeneration<Client>, next: Partial<ClientLinkState>): void;
}

/**
 * One SDK client in the life of a link, and everything that is about that client: its pushes
 * (never two at once; a newer token supersedes one waiting; a failed or timed-out push retried with
 * backoff while the token is valid), its timers, its signal and `watch` subscriptions, and the
 * getToken a new client waits for. Retired as a whole, once: listeners removed, timers cleared,
 * an owned client shut down, and every callback of it inert from then on. It belongs to the user
 * it began with: after a `reset()` (the manager's `resets` moved on) or with another identity held,
 * nothing it hears reaches the manager and nothing is pushed to it.
 */
export class ClientGeneration<Client> {
  /** The manager's `resets` when this generation began: another count means its user signed out. */
  readonly resets: number;
  /** Aborts the getToken that a new client waits for, on retirement. */
  readonly abort = new AbortController();
  client: Client | undefined;
  /** The identity of the client's user; undefined until known. */
  identity: string | undefined;
  /** The token the client holds, as far as the link knows. */
  held: AccessToken | undefined;
  /** Whether the client takes pushes: once bound (client form), or once started (factory form). */
  live = false;
  retired = false;
  /** The push in flight (it outlives retirement: a generation after this one on the client waits). */
  inFlight: Promise<unknown> | undefined;

  /** The token the client held before `held`: an SDK may still warn about it. */
  #previous: AccessToken | undefined;
  /** The token of the push in flight, or of the last push, if it failed. */
  #triedJwt: string | undefined;
  /** A token whose push failed and that must not be pushed again (`retrySameToken: false`). */
  #spentJwt: string | undefined;
  /** When a push last changed the client's token. */
  #changedAt = Number.NEGATIVE_INFINITY;
  #forcedAt = Number.NEGATIVE_INFINITY;
  #wanted: AccessToken | undefined;
  #pushing = false;
  #attempt = 0;
  /** Until when a failed push waits before it is tried again. */
  #retryAt = Number.NEGATIVE_INFINITY;
  #timer: unknown;
  #pushTimer: unknown;
  #forceTimer: unknown;
  /** Fails the push in flight at once (the client lost its connection meanwhile). */
  #abandon: ((error: Error) => void) | undefined;
  #unbind = noop;

  constructor(
    readonly context: GenerationContext<Client>,
    /** Factory form: the link made the client, and shuts it down on retirement. */
    readonly owned: boolean,
  ) {
    this.resets = context.manager.getState().resets;
  }

  /** Takes the client and listens to it; on a throw, undoes what was done and rethrows. */
  bind(client: Client, jwt: string | undefined): void {
    const { spec } = this.context;
    this.client = client;
    this.held = parseToken(jwt);
    this.identity ??= this.held?.identity;
    let unlisten: (() => void) | undefined;
    try {
      unlisten = spec.listen?.(client, (kind) => this.#signal(kind));
      const unwatch = spec.watch?.(client, () => this.#recheck());
      this.#unbind = () => {
        unlisten?.();
        unwatch?.();
      };
    } catch (error) {
      unlisten?.();
      throw error;
    }
  }

  /** Waits for a push that the generation before left in flight on this same client. */
  follow(pending: Promise<unknown> | undefined): void {
    if (pending) this.#track(pending, () => this.deliver());
  }

  /** The manager's newest token: pushed at once unless the client holds it. */
  offer(token: AccessToken | undefined): void {
    this.#wanted = token;
    // A new token is tried at once; the backoff count goes on until a push succeeds, so that a
    // client that fails every push (each one asking for a new token) cannot spin.
    this.#retryAt = Number.NEGATIVE_INFINITY;
    this.deliver();
  }

  /** Ends the client's part in the link, once. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.abort.abort();
    this.#unbind();
    const { clock } = this.context;
    clock.clearTimeout(this.#timer);
    clock.clearTimeout(this.#pushTimer); // a push in flight is abandoned
    clock.clearTimeout(this.#forceTimer);
    if (this.owned && this.client !== undefined) this.shutdown(this.client);
  }

  /**
   * Factory form: readies the client (`spec.start`, Voice's `register()`), after `bind`: rejects
   * with what it rejected with, or with a `ClientStartError` after `startTimeoutMs`.
   */
  start(): Promise<unknown> {
    const { clock, options, spec } = this.context;
    const client = this.client as Client;
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      this.#timer = clock.setTimeout(
        () => reject(new ClientStartError(`${spec.name} was not ready within ${timeoutMs} ms.`)),
        timeoutMs,
      );
      Promise.resolve(spec.start?.(client)).then(resolve, reject);
    }).finally(() => clock.clearTimeout(this.#timer));
  }

  /** Ends a client this generation made (also one that came after retirement). */
  shutdown(client: Client): void {
    try {
      Promise.resolve(this.context.spec.shutdown?.(client)).catch(noop);
    } catch {
      // A client that throws on shutdown is gone all the same.
    }
  }

  /** Whether the manager moved on from this client's user: retired, a sign-out, another identity. */
  stale(): boolean {
    const { token, resets } = this.context.manager.getState();
    return (
      this.retired ||
      resets !== this.resets ||
      (!!token && this.identity !== undefined && token.identity !== this.identity)
    );
  }

  #set(next: Partial<ClientLinkState>): void {
    this.context.report(this, next);
  }

  /** Local time left on a token, by the manager's estimate of the server clock. */
  #left(token: AccessToken): number {
    const { manager, clock } = this.context;
    return token.expiresAt.getTime() - manager.getState().clockOffsetMs - clock.now();
  }

  #wait(delayMs: number): void {
    const { clock } = this.context;
    clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => this.deliver(), Math.max(0, delayMs));
  }

  /** Runs `settle` once: when `pending` settles, after `pushTimeoutMs`, or on `#abandon`. */
  #track(pending: Promise<unknown>, settle: (resolved: boolean, reason?: unknown) => void): void {
    const { clock, options, spec } = this.context;
    const pushTimeoutMs = options.pushTimeoutMs ?? 15_000;
    let settled = false;
    const once = (resolved: boolean, reason?: unknown): void => {
      if (this.inFlight === pending) this.inFlight = undefined;
      if (settled) return;
      settled = true;
      clock.clearTimeout(this.#pushTimer);
      this.#pushing = false;
      this.#abandon = undefined;
      if (!this.retired) settle(resolved, reason);
    };
    this.#pushing = true;
    this.inFlight = pending;
    pending.then(
      () => once(true),
      (error: unknown) => once(false, error),
    );
    // Only a client that had its connection when the push began can lose it during the push (one
    // already `denied` sends the token on a new socket; its late `tokenExpired` is about the old).
    const client = this.client as Client;
    this.#abandon = spec.confirm?.(client) === false ? undefined : (error) => once(false, error);
    // (Infinity, or anything past what setTimeout can hold, means no timeout.)
    if (pushTimeoutMs < 2_147_483_647) {
      this.#pushTimer = clock.setTimeout(() => {
        const message = `${spec.name} updateToken took over ${pushTimeoutMs} ms.`;
        once(false, new PushTimeoutError(message));
      }, pushTimeoutMs);
    }
  }

  deliver(): void {
    const token = this.#wanted;
    const target = this.client;
    if (!this.live || this.#pushing || !token || target === undefined || this.stale()) return;
    const { clock, manager, options, spec } = this.context;
    if (token.jwt === this.held?.jwt) {
      this.#set({ status: 'synced', token: this.held, lastError: undefined });
      return;
    }
    if (this.#left(token) <= 0) {
      this.#set({ status: 'failed' }); // a newer token will come through token$
      return;
    }
    if (token.jwt === this.#spentJwt) return; // a new token is on its way (see below)
    if (spec.isReady?.(target) === false) {
      this.#set({ status: 'updating' }); // `watch` calls deliver again
      return;
    }
    if (spec.isBusy?.(target) && this.held) {
      const spare = this.#left(this.held) - (options.busyMinValidityMs ?? 60_000);
      if (spare > 0) {
        this.#set({ status: 'updating' });
        this.#wait(Math.min(spare, spec.busyPollMs ?? spare)); // or sooner, when `watch` says it is idle
        return;
      }
    }
    clock.clearTimeout(this.#timer);
    this.#triedJwt = token.jwt;
    this.identity ??= token.identity;
    this.#set({ status: this.#attempt ? 'retrying' : 'updating' });
    const started = clock.now();
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(spec.updateToken(target, token.jwt));
    } catch (error) {
      pending = Promise.reject(error); // an SDK that throws at once (Voice after destroy()) never escapes
    }
    this.#track(pending, (resolved, reason) => {
      const unconfirmed = resolved && spec.confirm?.(target) === false;
      const error = unconfirmed
        ? new Error(`${spec.name} resolved updateToken without taking the token.`)
        : reason;
      if ((resolved && !unconfirmed) || spec.isDelivered?.(error)) {
        this.#attempt = 0;
        this.#triedJwt = undefined;
        const now = clock.now();
        // A push changed the client's token only if the link knew it held another one: a client
        // attached without `{ token }` may well have held this one already.
        if (this.held) this.#changedAt = now;
        this.#previous = this.held;
        this.held = token;
        this.#set({
          status: 'synced',
          token,
          lastPushedAt: new Date(now),
          pushLatencyMs: now - started,
          lastError: undefined,
        });
        spec.delivered?.(target);
        this.deliver(); // a newer token may have come meanwhile
        return;
      }
      this.#attempt++;
      this.#set({
        status: 'retrying',
        lastError: error instanceof Error ? error : new Error(String(error)),
      });
      const retry = options.retry;
      const delayMs = backoffDelay(
        this.#attempt,
        retry?.minDelayMs ?? 1_000,
        retry?.maxDelayMs ?? 30_000,
        options.random,
      );
      this.#retryAt = clock.now() + delayMs;
      if (spec.retrySameToken === false) {
        // The client may now hold this token without having used it, and would skip it: the
        // retry is a new token, asked for after the backoff (unless one came meanwhile). The
        // manager keeps fetching until it gets another one (a forced refresh ends only so).
        this.#spentJwt = token.jwt;
        clock.clearTimeout(this.#timer);
        this.#timer = clock.setTimeout(() => {
          if (this.stale()) return;
          if (manager.getState().token?.jwt !== token.jwt) return this.deliver();
          manager.refresh({ reason: 'sdk', force: true }).catch(noop);
        }, delayMs);
      } else {
        this.#wait(delayMs);
      }
    });
  }

  #signal(kind: ClientSignal): void {
    if (this.stale()) return; // a signed-out user's client signs nobody back in
    const { clock, manager, options } = this.context;
    const cooldown = options.signalCooldownMs ?? 10_000;
    const managerState = manager.getState();
    const current = managerState.token;
    const held = this.held;
    const action = decideSignal({
      kind,
      managerLeftMs: current ? this.#left(current) : null,
      clientHoldsManagerToken: current?.jwt === held?.jwt,
      // The client refusing the token just pushed to it: the push failed, nothing in flight.
      managerTokenRefused: kind === 'expired' && !this.#pushing && current?.jwt === this.#triedJwt,
      clientLeftMs: held ? this.#left(held) : null,
      previousLeftMs: this.#previous ? this.#left(this.#previous) : null,
      sinceChangeMs: clock.now() - this.#changedAt,
      refreshPlanned: managerState.refreshAt !== null,
      cooldownMs: cooldown,
    });
    if (action === 'push') {
      this.#wanted = current ?? undefined;
      this.#recheck();
    } else if (action === 'refresh') {
      manager.reportSdkSignal('willExpire').catch(noop);
    } else if (action === 'force' && !this.live) {
      // Refused while it starts (Voice: the token of `register()`): the next attempt needs a new one.
      manager.reportSdkSignal('expired').catch(noop);
    } else if (action === 'force') {
      // At most one forced fetch per cooldown, so that a client that refuses every token cannot
      // spin. A token adopted meanwhile answers the signal: it goes to the client, which says so
      // again if it refuses that one too.
      clock.clearTimeout(this.#forceTimer);
      this.#forceTimer = clock.setTimeout(
        () => {
          if (this.stale() || manager.getState().token?.jwt !== current?.jwt) return;
          this.#forcedAt = clock.now();
          manager.reportSdkSignal('expired').catch(noop);
        },
        Math.max(0, this.#forcedAt + cooldown - clock.now()),
      );
    }
  }

  /**
   * A change of the client, or a signal, tries again at once, but never cuts a failed push's
   * backoff short: a client that refuses a token and changes state with each refusal (twilsock
   * goes `denied`) must not turn the retries into a loop.
   */
  #recheck(): void {
    const client = this.client;
    if (client === undefined || this.retired) return;
    if (this.#pushing && this.context.spec.confirm?.(client) === false) {
      this.#abandon?.(
        new Error(`${this.context.spec.name} lost its connection during updateToken.`),
      );
    }
    if (this.context.clock.now() >= this.#retryAt) this.deliver();
  }
}
