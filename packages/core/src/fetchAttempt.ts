import type { Clock } from './clock.js';
import { AccessManagerError, FetchFailedError, FetchTimeoutError } from './errors.js';
import type { FetchToken, FetchTokenContext } from './types.js';

/**
 * Runs one `fetchToken` call: aborts its signal after `timeoutMs` and settles then even if the
 * call ignores its signal; turns whatever it throws into a typed error.
 */
export function fetchAttempt(
  fetchToken: FetchToken,
  context: Omit<FetchTokenContext, 'signal'>,
  controller: AbortController,
  timeoutMs: number,
  clock: Clock,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const { signal } = controller;
    const settle = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      settle();
      reject(signal.reason);
    };
    const timer = clock.setTimeout(
      () =>
        controller.abort(new FetchTimeoutError(`fetchToken did not settle in ${timeoutMs} ms.`)),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort);
    // A microtask later, so that `fetchToken` may refer to the manager being constructed.
    Promise.resolve()
      .then(() => fetchToken({ ...context, signal }))
      .then(
        (jwt) => {
          settle();
          if (typeof jwt === 'string') resolve(jwt);
          else
            reject(new FetchFailedError('fetchToken resolved with something other than a string.'));
        },
        (cause: unknown) => {
          settle();
          reject(
            cause instanceof AccessManagerError
              ? cause
              : new FetchFailedError('fetchToken failed.', { cause }),
          );
        },
      );
  });
}
