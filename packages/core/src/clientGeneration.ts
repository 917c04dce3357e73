import type { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import { type ClientSignal, decideSignal } from './clientSignal.js';
import { ClientStartError } from './clientStartError.js';
import type { Clock } from './clock.js';
import { type AccessManagerError, PushTimeoutError } from './errors.js';
import type { AttachOptions, ClientGeneration, ClientLinkState, ClientSpec } from './linkTypes.js';

const noop = (): void => {};

/** The link's backoff before try number `attempt`, of a push or of a creation alike. */
/** The backoff before retry `attempt`, at most what a timer can hold (more would run at once). */
export const retryDelay = ({ retry, random }: AttachOptions, attempt: number): number =>
  Math.min(
    backoffDelay(attempt, retry?.minDelayMs ?? 1_000, retry?.maxDelayMs ?? 30_000, random),
    2 ** 31 - 1,
  );

export const parseToken = (jwt: string | undefined): AccessToken | undefined => {
  try {
    return new AccessToken(jwt);
  } catch {
    return undefined;
  }
};

/**
 * A new generation of a link, for a client to be made (`owned`: the link shuts it down) or given.
 * `report` publishes its state changes, until it is retired (the link's current generation is the
 * only one not retired).
 */
export function clientGeneration<Client>(
  manager: AccessManager,
  spec: ClientSpec<Client>,
  options: AttachOptions,
  clock: Clock,
  report: (next: Partial<ClientLinkState>) => void,
  owned: boolean,
): ClientGeneration<Client> {
  const cooldown = options.signalCooldownMs ?? 10_000;
  const pushTimeoutMs = options.pushTimeoutMs ?? 15_000;
  /** The token the client held before `held`: an SDK may still warn about it. */
  let previous: AccessToken | undefined;
  /** The token of the push in flight, or of the last push, if it failed. */
  let triedJwt: string | undefined;
  /** A token whose push failed and that must not be pushed again (`retrySameToken: false`). */
  let spentJwt: string | undefined;
  /** When a push last changed the client's token. */
  let changedAt = -Infinity;
  let forcedAt = -Infinity;
  /** The token to push: the manager's newest, as offered (null: none). */
  let wanted: AccessToken | null | undefined;
  let pushing = false;
  let attempt = 0;
  /** Until when a failed push waits before it is tried again. */
  let retryAt = -Infinity;
  let timer: unknown;
  let pushTimer: unknown;
  let forceTimer: unknown;
  /** The manager's `resets` when this generation began: another count means its user signed out. */
  const begunAt = manager.getState().resets;
  /** Fails the push in flight at once (the client lost its connection meanwhile). */
  let abandon: ((error: Error) => void) | undefined;
  let unbind = noop;

  const set = (next: Partial<ClientLinkState>) => {
    if (!gen.retired) report(next);
  };
  /** Local time left on a token, by the manager's estimate of the server clock. */
  const left = (token: AccessToken) =>
    token.expiresAt.getTime() - manager.getState().clockOffsetMs - clock.now();
  const wait = (delayMs: number) => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(deliver, Math.max(0, delayMs));
  };
  /** Retired, or its user gone: signed out (also before the link began, with no one since), or another. */
  const stale = () => {
    const { token, resets } = manager.getState();
    return (
      gen.retired ||
      resets !== begunAt ||
      (token ? gen.identity !== undefined && token.identity !== gen.identity : resets > 0)
    );
  };
  const shutdown = (client: Client) => {
    try {
      Promise.resolve(spec.shutdown?.(client)).catch(noop);
    } catch {
      // A client that throws on shutdown is gone all the same.
    }
  };

  /** A time limit; Infinity, or anything past what setTimeout can hold, means none. */
  const limit = (expire: () => void, ms: number) =>
    ms < 2_147_483_647 ? clock.setTimeout(expire, ms) : undefined;

  /** Runs `settle` once: when `pending` settles, after `pushTimeoutMs`, or on `abandon`. */
  const track = (
    pending: Promise<unknown>,
    settle: (resolved: boolean, reason?: unknown) => void,
  ) => {
    let settled = false;
    const once = (resolved: boolean, reason?: unknown): void => {
      // Settled already (timed out, abandoned), or another push began since (an SDK may answer
      // two pushes with one promise: this push's answer is not the other's): nothing to do.
      if (settled || gen.inFlight !== pending) return;
      settled = true;
      gen.inFlight = undefined;
      clock.clearTimeout(pushTimer);
      pushing = false; // (and `abandon`, left in place, finds this push settled)
      if (!gen.retired) settle(resolved, reason);
    };
    pushing = true;
    gen.inFlight = pending;
    pending.then(
      () => once(true),
      (error: unknown) => once(false, error),
    );
    // Only a client that had its connection when the push began can lose it during the push (one
    // already `denied` sends the token on a new socket; its late `tokenExpired` is about the old).
    abandon = spec.confirm?.(gen.client as Client) === false ? undefined : (e) => once(false, e);
    pushTimer = limit(
      () =>
        once(
          false,
          new PushTimeoutError(`${spec.name} updateToken took over ${pushTimeoutMs} ms.`),
        ),
      pushTimeoutMs,
    );
  };

  function deliver(): void {
    const token = wanted;
    const target = gen.client;
    if (!gen.live || pushing || !token || target === undefined || stale()) return;
    const held = gen.held;
    if (token.jwt === held?.jwt) {
      set({ status: 'synced', token: held, lastError: undefined });
      return;
    }
    if (left(token) <= 0) {
      set({ status: 'failed' }); // a newer token will come through token$
      return;
    }
    if (token.jwt === spentJwt) return; // a new token is on its way (see below)
    if (spec.isReady?.(target) === false) {
      set({ status: 'updating' }); // `watch` calls deliver again
      return;
    }
    if (spec.isBusy?.(target) && held) {
      const spare = left(held) - (options.busyMinValidityMs ?? 60_000);
      if (spare > 0) {
        set({ status: 'updating' });
        wait(Math.min(spare, spec.busyPollMs ?? spare)); // or sooner, when `watch` says it is idle
        return;
      }
    }
    clock.clearTimeout(timer);
    triedJwt = token.jwt;
    gen.identity ??= token.identity;
    const started = clock.now();
    let pending: Promise<unknown>;
    pushing = true; // already: an SDK may signal from within updateToken
    try {
      pending = Promise.resolve(spec.updateToken(target, token.jwt));
    } catch (error) {
      pending = Promise.reject(error); // an SDK that throws at once (Voice after destroy()) never escapes
    }
    track(pending, (resolved, reason) => {
      const unconfirmed = resolved && spec.confirm?.(target) === false;
      const error = unconfirmed
        ? new Error(`${spec.name} resolved updateToken without taking the token.`)
        : reason;
      if ((resolved && !unconfirmed) || spec.isDelivered?.(error)) {
        attempt = 0;
        triedJwt = undefined;
        const now = clock.now();
        // A push changed the client's token only if the link knew it held another one: a client
        // attached without `{ token }` may well have held this one already.
        if (gen.held) changedAt = now;
        previous = gen.held;
        gen.held = token;
        spec.delivered?.(target);
        // Effects first, then the news: a subscriber of `state$` may detach or sign out at once.
        set({
          status: 'synced',
          token,
          lastPushedAt: new Date(now),
          pushLatencyMs: now - started,
          lastError: undefined,
        });
        deliver(); // a newer token may have come meanwhile
        return;
      }
      const delayMs = retryDelay(options, ++attempt);
      retryAt = clock.now() + delayMs;
      if (spec.retrySameToken === false) {
        // The client may now hold this token without having used it, and would skip it: the
        // retry is a new token, asked for after the backoff (unless one came meanwhile). The
        // manager keeps fetching until it gets another one (a forced refresh ends only so).
        spentJwt = token.jwt;
        clock.clearTimeout(timer);
        timer = clock.setTimeout(() => {
          if (stale()) return;
          if (manager.getState().token?.jwt !== token.jwt) return deliver();
          manager.refresh({ reason: 'sdk', force: true }).catch((error) => {
            // Push-only (nothing to fetch with, and no failure standing): the app hears the
            // SDK's warning (tokenWillExpire, source 'sdk') and pushes a new token.
            const { code } = error as AccessManagerError;
            if (!stale() && code === 'fetch_failed' && manager.getState().fetchStatus === 'idle') {
              manager.reportSdkSignal('willExpire').catch(noop);
            }
          });
        }, delayMs);
      } else {
        wait(delayMs);
      }
      set({
        status: 'retrying',
        lastError: error instanceof Error ? error : new Error(String(error)),
      });
    });
    set({ status: attempt ? 'retrying' : 'updating' });
  }

  const signal = (kind: ClientSignal): void => {
    if (stale()) return; // a signed-out user's client signs nobody back in
    const managerState = manager.getState();
    const current = managerState.token;
    const held = gen.held;
    const action = decideSignal({
      kind,
      managerLeftMs: current ? left(current) : null,
      clientHoldsManagerToken: current?.jwt === held?.jwt,
      // The client refusing the token just pushed to it: the push failed, nothing in flight.
      managerTokenRefused: kind === 'expired' && !pushing && current?.jwt === triedJwt,
      clientLeftMs: held ? left(held) : null,
      previousLeftMs: previous ? left(previous) : null,
      sinceChangeMs: clock.now() - changedAt,
      refreshPlanned: managerState.refreshAt !== null,
      cooldownMs: cooldown,
    });
    if (action === 'push') {
      wanted = current;
      recheck();
    } else if (action === 'refresh') {
      manager.reportSdkSignal('willExpire').catch(noop);
    } else if (action === 'force' && !gen.live) {
      // Refused while it starts (Voice: the token of `register()`): the next try needs a new one.
      manager.reportSdkSignal('expired').catch(noop);
    } else if (action === 'force') {
      // At most one forced fetch per cooldown, so that a client that refuses every token cannot
      // spin. A token adopted meanwhile answers the signal: it goes to the client, which says so
      // again if it refuses that one too.
      clock.clearTimeout(forceTimer);
      forceTimer = clock.setTimeout(
        () => {
          if (stale() || manager.getState().token?.jwt !== current?.jwt) return;
          forcedAt = clock.now();
          manager.reportSdkSignal('expired').catch(noop);
        },
        Math.max(0, forcedAt + cooldown - clock.now()),
      );
    }
  };

  /**
   * A change of the client, or a signal, tries again at once, but never cuts a failed push's
   * backoff short: a client that refuses a token and changes state with each refusal (twilsock
   * goes `denied`) must not turn the retries into a loop.
   */
  const recheck = (): void => {
    const client = gen.client;
    if (client === undefined || gen.retired) return;
    if (pushing && spec.confirm?.(client) === false) {
      abandon?.(new Error(`${spec.name} lost its connection during updateToken.`));
    }
    if (clock.now() >= retryAt) deliver();
  };

  const gen: ClientGeneration<Client> = {
    abort: new AbortController(),
    bind(client, jwt) {
      gen.client = client;
      gen.held = parseToken(jwt);
      gen.identity ??= gen.held?.identity;
      const unlisten = spec.listen?.(client, signal);
      try {
        const unwatch = spec.watch?.(client, recheck);
        unbind = () => {
          unlisten?.();
          unwatch?.();
        };
      } catch (error) {
        unlisten?.();
        throw error;
      }
    },
    deadline(expire) {
      // (`timer` is free until the client is live: only pushes wait on it.)
      const timeoutMs = options.startTimeoutMs ?? 30_000;
      timer = limit(
        () => expire(new ClientStartError(`${spec.name} was not ready within ${timeoutMs} ms.`)),
        timeoutMs,
      );
    },
    begin() {
      gen.live = true;
      clock.clearTimeout(timer);
    },
    follow(pending) {
      if (pending) track(pending, deliver);
    },
    offer(token) {
      wanted = token;
      // A new token is tried at once; the backoff count goes on until a push succeeds, so that a
      // client that fails every push (each one asking for a new token) cannot spin.
      retryAt = -Infinity;
      deliver();
    },
    retire() {
      if (gen.retired) return;
      gen.retired = true;
      gen.abort.abort();
      unbind();
      clock.clearTimeout(timer);
      clock.clearTimeout(pushTimer); // a push in flight is abandoned
      clock.clearTimeout(forceTimer);
      if (owned && gen.client !== undefined) shutdown(gen.client);
    },
    shutdown,
    stale,
  };
  return gen;
}
