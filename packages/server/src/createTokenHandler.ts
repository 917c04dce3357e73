import { describeError } from './describeError.js';
import { AccessTokenError, InvalidOptionError, MissingCredentialsError } from './errors.js';
import type { Grant } from './grants.js';
import { hasSyncHmac } from './hmac.js';
import { type Logger, redact } from './logger.js';
import {
  type Credentials,
  type MintedAccessToken,
  type MintOptions,
  type PreparedAccessToken,
  prepareAccessToken,
  signPrepared,
  signPreparedAsync,
} from './mintAccessToken.js';
import {
  assertAccountSid,
  assertAlgorithm,
  assertApiKeySecret,
  assertApiKeySid,
  assertRegion,
  assertTtl,
  DEFAULT_TTL,
  describeType,
  describeValue,
} from './validation.js';

/** What `authorize` grants a request: who the caller is and what their token allows. */
export interface AuthorizeResult {
  /** `grants.identity` of the token. */
  identity: string;
  /** The grant objects to put in the token (`ChatGrant`, `VoiceGrant`...). */
  grants?: readonly Grant[] | undefined;
  /**
   * Lifetime of this token in seconds; default the handler's `ttl`. A longer one is cut to the
   * handler's `maxTtl` (by default its `ttl`): a value taken from the request cannot buy a day.
   */
  ttl?: number | undefined;
}

/**
 * Decides who the caller of the token endpoint is, from the request (a session cookie, a bearer
 * token...), and what they may do. `null` (or `undefined`) answers 401. A throw answers 500 and is
 * logged.
 */
export type Authorize = (
  request: Request,
) => AuthorizeResult | null | undefined | Promise<AuthorizeResult | null | undefined>;

/** Cross-origin access to the token endpoint, for the origins listed only. */
export interface CorsOptions {
  /** Exact origins allowed to call the endpoint, such as `https://app.example.com`. */
  origins: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true`, for cookie sessions. Default false. */
  credentials?: boolean | undefined;
  /** Request headers a browser may send; default `authorization, content-type`. */
  allowHeaders?: readonly string[] | undefined;
  /** How long a browser may cache the preflight answer, in seconds; default 600. */
  maxAge?: number | undefined;
}

/** HTTP methods the token endpoint can answer; serving GET also serves HEAD. */
export type TokenMethod = 'GET' | 'POST';

/** Options of {@link createTokenHandler}. */
export interface TokenHandlerOptions extends Omit<MintOptions, 'logger' | 'nbf'> {
  /** Decides who the caller is and what their token allows; see {@link Authorize}. */
  authorize: Authorize;
  /**
   * The Twilio credentials. Default: `TWILIO_ACCOUNT_SID`, `TWILIO_API_KEY` and
   * `TWILIO_API_SECRET` from the environment (`process.env`), read when the handler is created.
   * Missing or invalid credentials throw a `MissingCredentialsError` (or the error of the bad
   * value) there and then, so that a misconfigured server fails at start, not on each request.
   */
  credentials?: Credentials | undefined;
  /**
   * The longest lifetime a token may have, in seconds, whatever `authorize` asks for; default
   * `ttl`. A longer `ttl` from `authorize` is cut to it.
   */
  maxTtl?: number | undefined;
  /**
   * Methods answered; others get 405. Default `['GET']` (what `fetchTokenFrom` sends): a server
   * that reads no body cannot be held by one sent slowly. GET brings HEAD with it.
   */
  methods?: readonly TokenMethod[] | undefined;
  /** Cross-origin access for listed origins; off by default (no CORS headers, OPTIONS is 405). */
  cors?: CorsOptions | undefined;
  /** Largest POST body accepted, in bytes; larger is 413. Default 16,384. */
  maxBodyBytes?: number | undefined;
  /**
   * The challenge a 401 carries in `WWW-Authenticate` (RFC 9110 requires one), such as
   * `Bearer realm="app"`: an auth scheme, then its parameters. Default `Bearer`.
   */
  wwwAuthenticate?: string | undefined;
  /**
   * How long an asynchronous `authorize` may take, in milliseconds; past it the answer is 503
   * `{ "error": "authorize_timeout" }` and one log line, and its late result is dropped.
   * Default 10,000; `0` for no limit. A synchronous `authorize` is never timed.
   */
  authorizeTimeoutMs?: number | undefined;
  /**
   * Receives one line per 500 and the identity warning (once per handler); never a secret or a
   * token. Without one, each cause of trouble is written to `console` once.
   */
  logger?: Logger | undefined;
}

/** A web-standard request handler: `Request` in, `Response` out. */
export type TokenHandler = (request: Request) => Promise<Response>;

/** A response before it becomes a `Response`: what the `node:http` adapter writes directly. */
export interface TokenReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** How far the body of a request was already checked against `maxBodyBytes`. */
export type BodyCheck = 'unchecked' | 'within_limit' | 'too_large';

/** What the `node:http` adapter needs from a handler made here, to skip `Request`/`Response`. */
export interface TokenHandlerInternals {
  /** Synchronous when `authorize` is: the adapter then answers within the request event. */
  reply(request: Request, body: BodyCheck): TokenReply | Promise<TokenReply>;
  /** Whether the adapter should read the body of a request with this method. */
  readsBody(method: string): boolean;
  maxBodyBytes: number;
}

const internals = Symbol('tokenHandlerInternals');

/** The internals of a handler made by {@link createTokenHandler}; undefined for any other. */
export function tokenHandlerInternals(handler: unknown): TokenHandlerInternals | undefined {
  if (typeof handler !== 'function') return undefined;
  return (handler as { [internals]?: TokenHandlerInternals })[internals];
}

const envNames = {
  accountSid: 'TWILIO_ACCOUNT_SID',
  apiKeySid: 'TWILIO_API_KEY',
  apiKeySecret: 'TWILIO_API_SECRET',
} as const;

const noop = (): void => {};

/** Where a handler reports, and under which cause: the default writes each cause once. */
type Report = (level: keyof Logger, cause: string, message: string) => void;

/**
 * A handler given no logger still says what goes wrong at request time (a throwing `authorize`, a
 * result that cannot be minted), as one `console` line per cause: a server that answers 500 and
 * prints nothing sends its developer hunting. Once per cause, so that a broken endpoint under
 * load does not flood the log.
 */
function consoleOncePerCause(): Report {
  const seen = new Set<string>();
  return (level, cause, message) => {
    if (seen.has(cause)) return;
    seen.add(cause);
    const line = `@access-manager/server: ${message} (shown once; pass a logger to createTokenHandler to see every one)`;
    // biome-ignore lint/suspicious/noConsole: the fallback when no logger is given, once per cause.
    if (level === 'warn') console.warn(line);
    // biome-ignore lint/suspicious/noConsole: as above.
    else console.error(line);
  };
}

/** Resolves the credentials, or throws why there are none usable. */
function resolveCredentials(given: Credentials | undefined): Credentials {
  if (given !== undefined) {
    if (given === null || typeof given !== 'object') {
      throw new MissingCredentialsError(
        `credentials must be { accountSid, apiKeySid, apiKeySecret }; got ${describeType(given)}.`,
      );
    }
    assertAccountSid(given.accountSid, 'credentials.accountSid');
    assertApiKeySid(given.apiKeySid, 'credentials.apiKeySid');
    assertApiKeySecret(given.apiKeySecret, 'credentials.apiKeySecret');
    return given;
  }
  // `process` is absent on some edge runtimes: there, credentials must be passed.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const missing = Object.values(envNames).filter((name) => !env?.[name]);
  if (env === undefined || missing.length > 0) {
    const where =
      env === undefined
        ? 'this runtime has no process.env: pass credentials (on a Worker, from its env bindings)'
        : `pass credentials, or set ${missing.join(', ')} in the environment`;
    throw new MissingCredentialsError(`createTokenHandler() has no Twilio credentials: ${where}.`);
  }
  const credentials = {
    accountSid: env[envNames.accountSid],
    apiKeySid: env[envNames.apiKeySid],
    apiKeySecret: env[envNames.apiKeySecret],
  };
  assertAccountSid(credentials.accountSid, envNames.accountSid);
  assertApiKeySid(credentials.apiKeySid, envNames.apiKeySid);
  assertApiKeySecret(credentials.apiKeySecret, envNames.apiKeySecret);
  return {
    accountSid: credentials.accountSid,
    apiKeySid: credentials.apiKeySid,
    apiKeySecret: credentials.apiKeySecret,
  };
}

// An HTTP token (RFC 9110): what a header name is made of.
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A challenge (RFC 9110 §11.3): an auth scheme (a token), then parameters of visible ASCII,
// spaces and tabs; no CR, LF or NUL, which would end the header.
const challenge = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t][\x20-\x7e\t]*)?$/;

/** A count option (bytes, milliseconds) is absent or a non-negative integer. */
function assertCount(value: unknown, name: string, unit: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new InvalidOptionError(
      `${name} must be a non-negative integer${unit}; got ${describeValue(value)}.`,
    );
  }
}

/** Checks the options that are code, not deployment: these throw when the handler is made. */
function checkOptions(options: TokenHandlerOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('createTokenHandler() needs an options object.');
  }
  if (typeof options.authorize !== 'function') {
    throw new InvalidOptionError(
      `authorize must be a function of the request; got ${describeValue(options.authorize)}.`,
    );
  }
  const { methods, cors, maxBodyBytes } = options;
  if (
    methods !== undefined &&
    (!Array.isArray(methods) ||
      methods.length === 0 ||
      !methods.every((method) => method === 'GET' || method === 'POST'))
  ) {
    throw new InvalidOptionError('methods must be a non-empty list of "GET" and "POST".');
  }
  assertCount(maxBodyBytes, 'maxBodyBytes', '');
  if (cors !== undefined) {
    if (cors === null || typeof cors !== 'object' || !Array.isArray(cors.origins)) {
      throw new InvalidOptionError('cors must be { origins: string[] }.');
    }
    for (const origin of cors.origins) {
      // `https://app.example/` (trailing slash) never equals an Origin header: say so now.
      let normalised: string | undefined;
      try {
        normalised = typeof origin === 'string' ? new URL(origin).origin : undefined;
      } catch {
        normalised = undefined;
      }
      if (normalised !== origin) {
        throw new InvalidOptionError(
          `cors.origins must hold origins such as "https://app.example.com", without path or trailing slash; got ${describeValue(origin)}.`,
        );
      }
    }
    const { maxAge, allowHeaders } = cors;
    if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) {
      throw new InvalidOptionError(
        `cors.maxAge must be a non-negative integer; got ${describeValue(maxAge)}.`,
      );
    }
    if (allowHeaders !== undefined) {
      if (!Array.isArray(allowHeaders)) {
        throw new InvalidOptionError(
          `cors.allowHeaders must be a list of header names such as ["authorization"]; got ${describeValue(allowHeaders)}.`,
        );
      }
      for (const name of allowHeaders as unknown[]) {
        if (typeof name !== 'string' || !headerName.test(name)) {
          throw new InvalidOptionError(
            `cors.allowHeaders must hold header names, letters, digits and !#$%&'*+-.^_\`|~ only; got ${describeValue(name)}.`,
          );
        }
      }
    }
  }
  const { wwwAuthenticate } = options;
  assertCount(options.authorizeTimeoutMs, 'authorizeTimeoutMs', ' of milliseconds');
  if (
    wwwAuthenticate !== undefined &&
    (typeof wwwAuthenticate !== 'string' || !challenge.test(wwwAuthenticate))
  ) {
    throw new InvalidOptionError(
      `wwwAuthenticate must be a challenge such as 'Bearer realm="app"' (an auth scheme, then parameters; no line breaks); got ${describeValue(wwwAuthenticate)}.`,
    );
  }
  if (options.ttl !== undefined) assertTtl(options.ttl, options.allowShortTtl === true);
  if (options.maxTtl !== undefined) {
    assertTtl(options.maxTtl, options.allowShortTtl === true);
    if (options.ttl !== undefined && options.ttl > options.maxTtl) {
      throw new InvalidOptionError(
        `ttl (${options.ttl}) must not exceed maxTtl (${options.maxTtl}): maxTtl is the longest a token may live.`,
      );
    }
  }
  if (options.region !== undefined) assertRegion(options.region);
  if (options.algorithm !== undefined) assertAlgorithm(options.algorithm);
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new InvalidOptionError('now must be a function returning milliseconds since the epoch.');
  }
}

/**
 * Whether a body with no declared length is within `limit` bytes. It reads a clone, so that
 * `authorize` gets the caller's own request, body intact: a framework's subclass (Next's
 * `NextRequest` and its `cookies`) would not survive being rebuilt with `new Request()`. The
 * clone's twin buffers what is read, at most `limit` bytes and one chunk.
 */
async function isWithin(request: Request, limit: number): Promise<boolean> {
  const copy = request.clone();
  const reader = copy.body!.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    size += value.byteLength;
    if (size > limit) {
      // Cancelling both branches of the tee cancels the source: nothing more is read.
      await Promise.all([reader.cancel(), request.body?.cancel()]).catch(noop);
      return false;
    }
  }
}

/**
 * Makes the token endpoint: a web-standard `(request: Request) => Promise<Response>` for Node's
 * and Bun's fetch servers, Deno, Workers and framework route handlers (or `node:http` and Express
 * through {@link toNodeListener}). It answers `{ token, identity, expiresAt }` (`expiresAt` in ISO
 * 8601) with `Cache-Control: private, no-store` and `Pragma: no-cache`: what the core's
 * `fetchTokenFrom(url)` reads.
 *
 * HEAD, served with GET, is answered as GET without a body.
 *
 * Statuses: 200; 401 (with `WWW-Authenticate`) when `authorize` returns null; 503 when an
 * asynchronous `authorize` takes longer than `authorizeTimeoutMs` (10 s); 405 for other methods (with `Allow`); 413 for
 * a POST body over `maxBodyBytes`; 403 for a preflight from an origin not listed; 500, with a
 * generic body and one precise log line, for a throwing `authorize` or an `authorize` result that
 * cannot be minted. Missing or invalid credentials throw here, when the handler is made.
 *
 * It signs with node:crypto where the runtime has it (Node, Bun, Deno), and with Web Crypto
 * elsewhere (Cloudflare Workers, Vercel Edge): the same token either way.
 *
 * @example
 * ```ts
 * import { ChatGrant, createTokenHandler } from '@access-manager/server';
 *
 * export const GET = createTokenHandler({
 *   logger: console,
 *   authorize: async (request) => {
 *     const user = await sessionUser(request.headers.get('cookie'));
 *     if (!user) return null;
 *     return { identity: user.id, grants: [new ChatGrant({ serviceSid: process.env.CHAT_SERVICE_SID })] };
 *   },
 * });
 * ```
 */
export function createTokenHandler(options: TokenHandlerOptions): TokenHandler {
  checkOptions(options);
  const { authorize, cors } = options;
  // HEAD is answered as GET is (RFC 9110 asks a server that serves GET to serve HEAD; Express
  // routes HEAD to app.get handlers), with the same status and headers and no body.
  const methods = new Set<string>();
  for (const method of options.methods ?? ['GET']) {
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
  }
  const allow = [...methods, ...(cors ? ['OPTIONS'] : [])].join(', ');
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;
  const origins = new Set(cors?.origins ?? []);
  const credentials = resolveCredentials(options.credentials);
  const secrets = [credentials.apiKeySecret];
  const given = options.logger;
  const report: Report =
    given === undefined ? consoleOncePerCause() : (level, _cause, message) => given[level](message);
  // A logger that throws must not turn a 500 into a rejected handler: the line is lost, the
  // answer is not.
  const log = (cause: string, message: string): void => {
    try {
      report('error', cause, redact(message, secrets));
    } catch {}
  };
  // The identity warning names no identity, so it says all it has to say the first time.
  let identityWarned = false;
  const identityLogger = {
    warn: (message: string): void => {
      if (identityWarned) return;
      identityWarned = true;
      report('warn', 'reserved_identity_characters', `token handler: ${message}`);
    },
  };
  const maxTtl = options.maxTtl ?? options.ttl ?? DEFAULT_TTL;
  const defaultTtl = options.ttl ?? Math.min(DEFAULT_TTL, maxTtl);
  // Where node:crypto exists the token is signed within the request event; elsewhere, Web Crypto.
  const sign: (prepared: PreparedAccessToken) => MintedAccessToken | Promise<MintedAccessToken> =
    hasSyncHmac ? (prepared) => signPrepared(prepared) : signPreparedAsync;
  // The preflight's fixed headers, written once: the options were checked above.
  const preflightMethods = [...methods].join(', ');
  const preflightHeaders = (cors?.allowHeaders ?? ['authorization', 'content-type']).join(', ');
  const preflightMaxAge = String(cors?.maxAge ?? 600);
  const wwwAuthenticate = options.wwwAuthenticate ?? 'Bearer';
  const authorizeTimeoutMs = options.authorizeTimeoutMs ?? 10_000;

  // No object spread on this path: `{ ...a, b }` takes a slow path in Node 20's V8 (about a
  // microsecond), which the endpoint benchmark shows.
  const corsHeaders = (request: Request): Record<string, string> | undefined => {
    if (!cors) return undefined;
    const origin = request.headers.get('origin');
    if (origin === null || !origins.has(origin)) return { vary: 'Origin' };
    // A cross-origin page sees only the safelisted headers unless told: fetchTokenFrom reads
    // Date and Age (the clock-skew estimate without a serverTime) and Retry-After (429, 503).
    const headers: Record<string, string> = {
      vary: 'Origin',
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'Date, Age, Retry-After',
    };
    if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
    return headers;
  };

  const json = (
    status: number,
    body: string,
    extra: Record<string, string> | undefined,
    allowHeader?: string,
  ): TokenReply => {
    // RFC 6749 §5.1: an answer with a token says no-store and, for HTTP/1.0 caches, Pragma:
    // no-cache; `private` for the CDNs that rewrite caching rules but keep private answers out.
    // Every answer says so: none of them may be served from a cache to another request.
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'private, no-store',
      pragma: 'no-cache',
    };
    if (extra !== undefined) Object.assign(headers, extra);
    if (allowHeader !== undefined) headers['allow'] = allowHeader;
    return { status, headers, body };
  };

  const failure = (headers: Record<string, string> | undefined): TokenReply =>
    json(500, '{"error":"internal_error"}', headers);

  const threw = (
    error: unknown,
    cause: string,
    what: string,
    headers: Record<string, string> | undefined,
  ) => {
    log(cause, `token handler: ${what}, answering 500: ${describeError(error)}`);
    return failure(headers);
  };

  const answer = (minted: MintedAccessToken, headers: Record<string, string> | undefined) => {
    // The token is base64url and dots, the date ISO: only the identity needs escaping.
    // `serverTime` (ms, this server's clock as it answers) is what a client's clock-skew estimate
    // rests on: never the token's `iat`, which a cache in between may have kept for an hour.
    const body = `{"token":"${minted.token}","identity":${JSON.stringify(minted.identity)},"expiresAt":"${new Date(minted.expiresAt * 1000).toISOString()}","serverTime":${(options.now ?? Date.now)()}}`;
    return json(200, body, headers);
  };

  /** Mints for what `authorize` returned, and writes the answer. */
  function grant(
    result: AuthorizeResult | null | undefined,
    headers: Record<string, string> | undefined,
  ): TokenReply | Promise<TokenReply> {
    if (result === null || result === undefined) {
      const refused = json(401, '{"error":"unauthorized"}', headers);
      refused.headers['www-authenticate'] = wwwAuthenticate;
      return refused;
    }
    if (typeof result !== 'object') {
      log(
        'authorize_result',
        `token handler: authorize() must return { identity, grants } or null, answering 500; got ${describeValue(result)}.`,
      );
      return failure(headers);
    }
    // A number above the cap is cut to it; anything else is checked as a ttl when minting.
    const asked = result.ttl;
    const ttl =
      asked === undefined
        ? defaultTtl
        : typeof asked === 'number' && asked > maxTtl
          ? maxTtl
          : asked;
    let prepared: PreparedAccessToken;
    try {
      prepared = prepareAccessToken({
        accountSid: credentials.accountSid,
        apiKeySid: credentials.apiKeySid,
        apiKeySecret: credentials.apiKeySecret,
        identity: result.identity,
        grants: result.grants,
        ttl,
        region: options.region,
        algorithm: options.algorithm,
        allowShortTtl: options.allowShortTtl,
        strictIdentity: options.strictIdentity,
        logger: identityLogger,
        now: options.now,
      });
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      // A wrapped foreign error (a grant's toPayload() threw) is the precise part: log it too.
      const cause = error.cause === undefined ? '' : `; cause: ${describeError(error.cause)}`;
      log(
        `mint:${error.code}`,
        `token handler: cannot mint a token for what authorize() returned, answering 500: ${error.message} (${error.code})${cause}`,
      );
      return failure(headers);
    }
    const minted = sign(prepared);
    return minted instanceof Promise
      ? minted.then((ready) => answer(ready, headers))
      : answer(minted, headers);
  }

  function authorized(
    request: Request,
    headers: Record<string, string> | undefined,
  ): TokenReply | Promise<TokenReply> {
    let result: ReturnType<Authorize>;
    try {
      result = authorize(request);
    } catch (error) {
      return threw(error, 'authorize_threw', 'authorize() threw', headers);
    }
    // A synchronous authorize is answered synchronously: no promise turns on the hot path.
    if (result !== null && typeof result === 'object' && 'then' in result) {
      return withinLimit(result as PromiseLike<AuthorizeResult | null | undefined>, headers);
    }
    return grant(result, headers);
  }

  /**
   * The answer for what an asynchronous authorize settles with, or a 503 once
   * `authorizeTimeoutMs` has passed: a session store that never answers must not hold the
   * request (and its socket) for ever. What settles after that is dropped, unminted and unlogged:
   * the one line of this request was the 503's.
   */
  function withinLimit(
    result: PromiseLike<AuthorizeResult | null | undefined>,
    headers: Record<string, string> | undefined,
  ): Promise<TokenReply> {
    const onValue = (value: AuthorizeResult | null | undefined) => grant(value, headers);
    const onError = (error: unknown) =>
      threw(error, 'authorize_threw', 'authorize() threw', headers);
    if (authorizeTimeoutMs === 0) return Promise.resolve(result).then(onValue, onError);
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        log(
          'authorize_timeout',
          `token handler: authorize() did not settle within ${authorizeTimeoutMs} ms, answering 503.`,
        );
        resolve(json(503, '{"error":"authorize_timeout"}', headers));
      }, authorizeTimeoutMs);
      Promise.resolve(result)
        .then(
          (value) => {
            if (late) return undefined;
            clearTimeout(timer);
            return onValue(value);
          },
          (error: unknown) => {
            if (late) return undefined;
            clearTimeout(timer);
            return onError(error);
          },
        )
        .then((reply) => {
          if (reply !== undefined) resolve(reply);
        }, reject);
    });
  }

  function reply(
    request: Request,
    bodyCheck: BodyCheck,
    headers: Record<string, string> | undefined,
  ): TokenReply | Promise<TokenReply> {
    const method = request.method;
    if (method === 'OPTIONS' && cors && headers !== undefined) {
      if (headers['access-control-allow-origin'] === undefined) {
        return json(403, '{"error":"origin_not_allowed"}', headers);
      }
      // A copy: `headers` is also what an error answer would carry.
      const preflight: Record<string, string> = Object.assign({}, headers);
      preflight['access-control-allow-methods'] = preflightMethods;
      if (preflightHeaders !== '') preflight['access-control-allow-headers'] = preflightHeaders;
      preflight['access-control-max-age'] = preflightMaxAge;
      preflight['cache-control'] = 'no-store';
      return { status: 204, headers: preflight, body: '' };
    }
    if (!methods.has(method)) {
      return json(405, '{"error":"method_not_allowed"}', headers, allow);
    }
    if (method === 'POST') {
      const declared = request.headers.get('content-length');
      if (bodyCheck === 'too_large' || (declared !== null && Number(declared) > maxBodyBytes)) {
        return json(413, '{"error":"payload_too_large"}', headers);
      }
      if (bodyCheck === 'unchecked' && declared === null && request.body !== null) {
        return isWithin(request, maxBodyBytes).then((within) =>
          within
            ? authorized(request, headers)
            : json(413, '{"error":"payload_too_large"}', headers),
        );
      }
    }
    return authorized(request, headers);
  }

  /**
   * Never throws nor rejects: a bug of ours or of a callback is a logged 500. The CORS headers are
   * worked out once, here, so that every answer carries them, a 500 included: without them a
   * browser hides the status from the page, which then cannot tell a failure from a network error.
   */
  function safeReply(request: Request, bodyCheck: BodyCheck): TokenReply | Promise<TokenReply> {
    let headers: Record<string, string> | undefined;
    try {
      headers = corsHeaders(request);
      const replied = reply(request, bodyCheck, headers);
      return replied instanceof Promise
        ? replied.catch((error: unknown) =>
            threw(error, 'unexpected', 'unexpected failure', headers),
          )
        : replied;
    } catch (error) {
      return threw(error, 'unexpected', 'unexpected failure', headers);
    }
  }

  const handler: TokenHandler = async (request) => {
    const { status, headers, body } = await safeReply(request, 'unchecked');
    return new Response(status === 204 || request.method === 'HEAD' ? null : body, {
      status,
      headers,
    });
  };
  const handlerInternals: TokenHandlerInternals = {
    reply: safeReply,
    readsBody: (method) => method === 'POST' && methods.has('POST'),
    maxBodyBytes,
  };
  Object.defineProperty(handler, internals, { value: handlerInternals });
  return handler;
}
