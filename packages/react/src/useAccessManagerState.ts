import { AccessManager, type AccessManagerState, type AccessToken } from '@access-manager/core';
import { useCallback, useRef, useSyncExternalStore } from 'react';
import { useAccessManager } from './accessManagerProvider.js';

let serverState: AccessManagerState | undefined;

/**
 * What every hook reads on the server and while the client hydrates, so that both render the
 * same markup: the state of a manager that holds no token and fetches nothing (`status: 'empty'`,
 * `tokenStatus: 'none'`, `fetchStatus: 'idle'`). Taken from such a manager, made once, so that it
 * is the core's own and never drifts from it.
 *
 * @example
 * ```ts
 * getServerState().tokenStatus; // 'none'
 * ```
 */
export const getServerState = (): AccessManagerState => {
  serverState ??= new AccessManager({ wakeSignals: false }).getState();
  return serverState;
};

const whole = (state: AccessManagerState) => state;
const selectToken = (state: AccessManagerState) => state.token;

/**
 * The manager's state, through `useSyncExternalStore`: `getServerState()` on the server and
 * while hydrating, then the manager's own snapshot. With a `selector`, the component re-renders
 * only when what it selects changes (by `Object.is`): select a field (`state.status`,
 * `state.token`) rather than build an object, which is new at every change. An inline selector
 * is fine.
 *
 * @example
 * ```tsx
 * const status = useAccessManagerState((state) => state.status); // 'valid', 'refreshing', ...
 * const signedIn = useAccessManagerState((state) => state.token !== null);
 * ```
 */
export function useAccessManagerState(): AccessManagerState;
export function useAccessManagerState<Selected>(
  selector: (state: AccessManagerState) => Selected,
): Selected;
export function useAccessManagerState<Selected>(
  selector: (state: AccessManagerState) => Selected = whole as never,
): Selected {
  const manager = useAccessManager();
  // The last selection, with the state and selector it came from: React asks for the snapshot
  // several times a render, and a selector that builds an object must give the same one each time.
  const last = useRef<[AccessManagerState, typeof selector, Selected]>(null);
  const select = (state: AccessManagerState): Selected => {
    let seen = last.current;
    if (seen?.[0] !== state || seen[1] !== selector) {
      seen = last.current = [state, selector, selector(state)];
    }
    return seen[2];
  };
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = manager.state$.subscribe(onChange);
      return () => subscription.unsubscribe();
    },
    [manager],
  );
  return useSyncExternalStore(
    subscribe,
    () => select(manager.getState()),
    () => select(getServerState()),
  );
}

/**
 * The token held (identity, expiry, grants), or null: re-renders only when a token is adopted or
 * dropped. An `AccessToken` keeps its JWT out of its fields, so React DevTools never shows it;
 * hand `token.jwt` to an SDK in an effect or a handler, or use `useGetToken()`.
 *
 * @example
 * ```tsx
 * const token = useAccessToken();
 * return token ? <p>Signed in as {token.identity} until {token.expiresAt.toLocaleTimeString()}</p> : null;
 * ```
 */
export function useAccessToken(): AccessToken | null {
  return useAccessManagerState(selectToken);
}
