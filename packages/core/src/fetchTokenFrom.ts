import { FatalFetchError, FetchFailedError } from './errors.js';
import type { FetchedToken, FetchToken, FetchTokenContext } from './types.js';

/** Request options for {@link fetchTokenFrom}, or a function that makes them for each attempt. */
export type TokenRequestInit =
  | RequestInit
  | ((context: FetchTokenContext) => RequestInit | Promise<RequestInit>);

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/**
 * The server's clock when it answered, plus the `Age` of a cache's answer (it is that old, body
 * included): the body's `serverTime` (ms since the epoch, or an ISO string, as
 * `@access-manager/server` sends), else the HTTP `Date` moved to the middle of its whole second.
 */
const statedTime = (response: Response, body: { serverTime?: unknown }): number | undefined => {
  const age = (Number(response.headers.get('age')) || 0) * 1000;
  const field = body.serverTime;
  const fromBody = typeof field === 'number' ? field : Date.parse(field as string);
  const stated = Number.isNaN(fromBody)
    ? Date.parse(response.headers.get('date') as string) + 500
    : fromBody;
  return Number.isNaN(stated) ? undefined : stated + age;
};

/**
 * A ready-made `fetchToken` for a token endpoint: GETs `url` (or what `init` says) with
 * `cache: 'no-store'`, and reads a JSON body `{ token, serverTime? }` or a plain-text JWT, with
 * the server's clock from `serverTime` or the `Date` header. 401 and 403 are fatal (retries stop:
 * the user must sign in again), as is any other 4xx but 408 and 429; 408, 429, 5xx and network
 * errors are retried, no sooner than the server's `Retry-After`.
 *
 * @example
 * ```ts
 * const manager = new AccessManager({
 *   fetchToken: fetchTokenFrom('/api/twilio-token', () => ({
 *     headers: { authorization: `Bearer ${session.accessToken}` },
 *   })),
 * });
 * ```
 */
export function fetchTokenFrom(url: string | URL, init?: TokenRequestInit): FetchToken {
  return async (context): Promise<FetchedToken> => {
    const options = typeof init === 'function' ? await init(context) : init;
    const headers = new Headers(options?.headers);
    if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain');
    let response: Response;
    try {
      response = await fetch(url, {
        cache: 'no-store',
        ...options,
        headers,
        signal: context.signal,
      });
    } catch (cause) {
      if (context.signal.aborted) throw context.signal.reason;
      throw new FetchFailedError('The token server could not be reached.', { cause });
    }
    const { status } = response;
    if (!response.ok) {
      const message = `The token server answered ${status}.`;
      throw status === 408 || status === 429 || status >= 500
        ? new FetchFailedError(message, {
            status,
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
          })
        : new FatalFetchError(message, { status });
    }
    const text = (await response.text()).trim();
    let body: { token?: unknown; serverTime?: unknown } = { token: text };
    if (text.startsWith('{')) {
      try {
        body = JSON.parse(text);
      } catch {
        // No `cause`: V8's SyntaxError quotes the body around the fault, and that may be a token.
        body = {};
      }
      if (typeof body.token !== 'string') {
        throw new FetchFailedError('The token server sent no JSON with a "token" string.', {
          status,
        });
      }
    }
    return { token: body.token as string, serverTime: statedTime(response, body) };
  };
}
