import type { Observable, Subscription } from 'rxjs';
import type { AccessToken } from './accessToken.js';
import type { Clock } from './clock.js';
import {
  AbortedError,
  type AccessManagerError,
  ClosedError,
  TimeoutError,
  TokenExpiredError,
} from './errors.js';
import { timerDelay } from './options.js';
import type { AccessManagerState, RefreshReason } from './types.js';

/** What a caller of `getToken` may ask for. */
export interface GetTokenOptions {
  /** The token handed out is valid at least this much longer; default 60 s, or half a shorter token's lifetime. */
  minValidityMs?: number;
  /**
   * Rejects with `timeout` after this long (a sign-in spinner must not wait forever). `Infinity`,
   * or more than 2^31−1 ms, is no timeout.
   */
  timeoutMs?: number;
  /** Rejects with `aborted` (the signal's reason as `cause`) when it aborts. */
  signal?: AbortSignal;
}

/** What `getToken` reads of the manager, and the two ways it can wait for a token. */
export interface TokenSource {
  readonly clock: Clock;
  closed(): boolean;
  /** How many times the manager was reset (`AccessManagerState.resets`). */
  resets(): number;
  /**
   * The token held, when it expires on the local clock, and whether an SDK refused it (then it is
   * not handed out, whatever its deadlines say); null when none is held.
   */
  held(): { token: AccessToken; expireAt: number; refused: boolean } | null;
  /** The manager's `refresh()` when it can fetch; undefined when it cannot (push-only). */
  refresh: ((options: { reason: RefreshReason; force: boolean }) => Promise<unknown>) | undefined;
  /** The fatal failure that stopped fetching (a 401): rejected with, and nothing fetched. */
  failure(): AccessManagerError | null;
  /** The states to come, without replay; completes when the manager closes. */
  readonly states$: Observable<AccessManagerState>;
}

/** Enough validity to create an SDK client with the token. */
const MIN_VALIDITY_MS = 60_000;

const noop = (): void => {};

/**
 * The JWT, valid for at least `minValidityMs` more: the one held, or, after one refresh (a forced
 * one when a token is held: that one is not enough), a fresh one; without a refresh, the next
 * token adopted. Rejects with `timeout`, `aborted` (also on `reset()`: the token it waited for
 * was the user's who left) or `closed`, and with `token_expired` when a fresh token still is not
 * valid long enough.
 */
export async function waitForToken(source: TokenSource, options: GetTokenOptions): Promise<string> {
  const { signal } = options;
  // Infinity, or past what a timer can hold (which timers turn into 1 ms): no timeout at all.
  const timeoutMs = timerDelay(options.timeoutMs, 'timeoutMs');
  timerDelay(options.minValidityMs, 'minValidityMs');
  const { clock } = source;
  const resets = source.resets();
  let stopped: AccessManagerError | undefined;
  let stop!: (error: AccessManagerError) => void;
  const stopping = new Promise<never>((_, reject) => {
    stop = (error) => {
      stopped ??= error;
      reject(stopped);
    };
  });
  stopping.catch(noop);
  const onAbort = () => stop(new AbortedError('getToken was aborted.', { cause: signal?.reason }));
  const timer =
    timeoutMs === undefined
      ? undefined
      : clock.setTimeout(
          () => stop(new TimeoutError(`No token within ${timeoutMs} ms.`)),
          timeoutMs,
        );
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  let subscription: Subscription | undefined;
  try {
    for (let fetched = false; ; fetched = true) {
      if (stopped) throw stopped;
      if (source.closed()) throw new ClosedError();
      // The user it was asked for signed out: never the next user's token, nor "expired".
      if (source.resets() !== resets) throw new AbortedError('The AccessManager was reset.');
      const held = source.held();
      if (held && !held.refused) {
        const { token, expireAt } = held;
        const lifetimeMs = token.expiresAt.getTime() - (token.issuedAt?.getTime() ?? -Infinity);
        const min = options.minValidityMs ?? Math.min(MIN_VALIDITY_MS, lifetimeMs / 2);
        if (expireAt - clock.now() > min) return token.jwt;
      }
      if (fetched && source.refresh) {
        throw new TokenExpiredError('No token is valid long enough.');
      }
      // After a fatal failure (a 401), nothing is fetched until the app asks for it.
      if (source.refresh && source.failure()) throw source.failure();
      await Promise.race([
        stopping,
        source.refresh
          ? source.refresh({ reason: held ? 'expired' : 'initial', force: !!held })
          : new Promise((resolve, reject) => {
              subscription = source.states$.subscribe({
                next: (state) => {
                  if (state.resets !== resets) {
                    reject(new AbortedError('The AccessManager was reset.'));
                  } else if (state.token && state.token !== held?.token) resolve(state.token);
                },
                complete: () => reject(new ClosedError()),
              });
            }),
      ]);
      subscription?.unsubscribe();
    }
  } finally {
    subscription?.unsubscribe();
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
