import type { Clock } from './clock.js';
import { AccessManagerError, FetchFailedError, FetchTimeoutError } from './errors.js';
import type { FetchToken, FetchTokenContext } from './types.js';

/**
 * Runs one `fetchToken` call: aborts its signal after `timeoutMs` and settles then even if the
 * call ignores its signal; turns whatever it throws into a typed error.
 */
export const fetchAttempt = (
  fetchToken: FetchToken,
  context: Omit<FetchTokenContext, 'signal'>,
  controller: AbortController,
  timeoutMs: number,
  clock: Clock,
): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    const { signal } = controller;
    // (No timer for a timeout past what setTimeout can hold: Infinity means none.)
    const timer =
      timeoutMs < 2_147_483_647
        ? clock.setTimeout(
            () => controller.abort(new FetchTimeoutError(`fetchToken took over ${timeoutMs} ms.`)),
            timeoutMs,
          )
        : undefined;
    const settle = (then: () => void) => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      then();
    };
    const onAbort = () => settle(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort);
    // A microtask later, so that `fetchToken` may refer to the manager being constructed.
    Promise.resolve()
      .then(() => {
        signal.throwIfAborted(); // closed or replaced before it began: no call at all
        return fetchToken({ ...context, signal });
      })
      .then(
        (jwt) => settle(() => resolve(jwt)),
        (cause: unknown) =>
          settle(() =>
            reject(
              cause instanceof AccessManagerError
                ? cause
                : new FetchFailedError('fetchToken failed.', { cause }),
            ),
          ),
      );
  });
