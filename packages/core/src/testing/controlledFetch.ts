// Test support, not published: a fetchToken whose answers the test gives.
import type { FetchedToken, FetchToken, FetchTokenContext } from '../types.js';

/**
 * A `fetchToken` that answers only when the test says: each call is recorded in `calls` and
 * waits in `pending` until the test resolves or rejects it.
 */
export function controlledFetch() {
  const calls: FetchTokenContext[] = [];
  const pending: Array<{
    resolve: (answer: string | FetchedToken) => void;
    reject: (e: unknown) => void;
  }> = [];
  const fetchToken: FetchToken = (context) => {
    calls.push(context);
    return new Promise((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { fetchToken, calls, pending };
}
