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
    const timer = clock.setTimeout(
      () => controller.abort(new FetchTimeoutError(`fetchToken took over ${timeoutMs} ms.`)),
      timeoutMs,
    );
    const settle = (then: () => void) => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      then();
    };
    const onAbort = () => settle(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort);
    // A microtask later, so that `fetchToken` may refer to the manager being constructed.
    Promise.resolve()
      .then(() => fetchToken({ ...context, signal }))
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
