import {
  type AccessManager,
  type AccessManagerState,
  type AccessToken,
  ClosedError,
} from '@access-manager/core';
import { useAccessManager } from './accessManagerProvider.js';
import { AccessManagerReactError } from './errors.js';
import { getServerState, useAccessManagerState } from './useAccessManagerState.js';

/** One promise per manager while its first token is awaited, so that every suspended component shares it. */
const awaited = new WeakMap<AccessManager, Promise<void>>();

/** The token once there is one (stable until the next adoption); the state until then. */
const tokenOrState = (state: AccessManagerState) => state.token ?? state;

/**
 * Settles at the manager's next change of state (the component then renders again, and suspends
 * again if it still has no token). Never fetches.
 */
const settled = (manager: AccessManager): Promise<void> => {
  let promise = awaited.get(manager);
  if (!promise) {
    let subscription: { unsubscribe(): void };
    let seen = 0;
    // The first call is state$ replaying the state the component saw.
    promise = new Promise<void>((resolve) => {
      subscription = manager.state$.subscribe(() => seen++ && resolve());
    });
    promise.then(() => {
      subscription.unsubscribe();
      awaited.delete(manager);
    });
    awaited.set(manager, promise);
  }
  return promise;
};

/**
 * The token held, suspending until the first one: the nearest `<Suspense>` shows its fallback
 * meanwhile. Waiting starts no fetch of its own (the manager fetches its first token when it is
 * created). Throws to the nearest error boundary the manager's error when fetching stopped for
 * good (a `FatalFetchError`: the user is signed out), a `ClosedError` once the manager is
 * closed, and `AccessManagerReactError` (`client_only`) on the server, where the Suspense boundary
 * shows its fallback and the client renders it.
 *
 * @example
 * ```tsx
 * function Identity() {
 *   const token = useAccessTokenSuspense();
 *   return <p>{token.identity}</p>;
 * }
 * <Suspense fallback={<Spinner />}><Identity /></Suspense>
 * ```
 */
export function useAccessTokenSuspense(): AccessToken {
  const manager = useAccessManager();
  const seen = useAccessManagerState(tokenOrState);
  if (!('attempt' in seen)) return seen;
  if (seen === getServerState()) {
    throw new AccessManagerReactError('client_only', 'Client only');
  }
  // Waiting cannot end: fetching stopped for good (`failed`), or the manager is `closed`.
  if (/failed|closed/.test(seen.status)) {
    throw seen.lastError ?? new ClosedError();
  }
  throw settled(manager);
}
