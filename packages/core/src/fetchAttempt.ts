import type { Clock } from './clock.js';
import { AccessManagerError, FetchFailedError, FetchTimeoutError } from './errors.js';
import type { FetchToken, FetchTokenContext } from './types.js';

/** What one attempt brought: a candidate JWT, and the server's clock when it arrived, if stated. */
export interface FetchResult {
  jwt: unknown;
  /** The server's clock at the local moment the answer arrived (NaN: stated, but unreadable). */
  serverTime?: number | undefined;
}

/**
 * Runs one `fetchToken` call: aborts its signal after `timeoutMs` and settles then even if the
 * call ignores its signal; turns whatever it throws into a typed error. A stated server time is
 * taken to be from the middle of the call, and moved to the moment the answer arrived.
 */
export const fetchAttempt = (
  fetchToken: FetchToken,
  context: Omit<FetchTokenContext, 'signal'>,
  controller: AbortController,
  timeoutMs: number,
  clock: Clock,
): Promise<FetchResult> =>
  new Promise<FetchResult>((resolve, reject) => {
    const { signal } = controller;
    const startedAt = clock.now();
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
        (answer) =>
          settle(() => {
            if (typeof answer !== 'object' || answer === null) return resolve({ jwt: answer });
            // A stated time that cannot be read (an HTTP date string: NaN) is kept as NaN, so
            // that the token check says in a log line that it is not trusted.
            resolve({
              jwt: answer.token,
              serverTime:
                answer.serverTime == null
                  ? undefined
                  : Number(answer.serverTime) + (clock.now() - startedAt) / 2,
            });
          }),
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
