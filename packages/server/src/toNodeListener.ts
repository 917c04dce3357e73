import type { Buffer as NodeBuffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TokenReply, tokenHandlerInternals } from './createTokenHandler.js';
import { describeError } from './describeError.js';
import { InvalidOptionError } from './errors.js';
import { type IncomingBody, incomingRequest } from './incomingRequest.js';
import { incomingTarget } from './incomingTarget.js';
import { type Logger, redact } from './logger.js';
import { requireNodeBuiltin } from './runtime.js';
import { describeValue } from './validation.js';

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Receives a line when a handler not made by `createTokenHandler` throws (answered 500). */
  logger?: Pick<Logger, 'error'> | undefined;
  /**
   * How long a request body may take to arrive, in milliseconds, from the moment the listener
   * gets the request; past it the answer is 408 and the connection is closed. Default 10,000:
   * without it, a body trickled a byte at a time holds a socket for Node's `requestTimeout`
   * (300 s). `0` turns it off.
   */
  bodyTimeoutMs?: number | undefined;
}

const defaultBodyTimeoutMs = 10_000;

/** A `node:http` request listener, also an Express (or Connect) route handler. */
export type NodeListener = (request: IncomingMessage, response: ServerResponse) => void;

/** Any web-standard handler; {@link createTokenHandler}'s gets a faster path. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

const tooLarge = Symbol('tooLarge');
const timedOut = Symbol('timedOut');

// Found when a listener is made: every runtime with node:http has node:buffer.
let Buffer: typeof NodeBuffer;

// These describe the bytes on the wire, which a body parser consumed and may have decoded
// (body-parser inflates gzip): they do not describe what it left on `req.body`.
const wireHeaders = new Set(['content-length', 'transfer-encoding', 'content-encoding']);

/** The raw headers of a request whose body a body parser read, for the body handed on instead. */
function parsedBodyHeaders(rawHeaders: readonly string[], json: boolean): string[] {
  const headers: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    if (wireHeaders.has(name) || (json && name === 'content-type')) continue;
    headers.push(rawHeaders[index]!, rawHeaders[index + 1]!);
  }
  if (json) headers.push('content-type', 'application/json');
  return headers;
}

/** A body a body parser read first, as it is handed on, with the headers that describe it. */
interface ParsedBody {
  bytes: Uint8Array<ArrayBuffer> | typeof tooLarge;
  rawHeaders: string[];
}

/**
 * What a body parser (Express's `express.json()`, `express.urlencoded()`, `express.text()`...)
 * left on `req.body` once it read the stream: a string (as UTF-8) or bytes as they are, under
 * their own content-type; anything else (a parsed object) as its JSON, under
 * `content-type: application/json`; nothing as an empty body. Either way without the headers
 * that described the bytes on the wire.
 */
function parsedBody(request: IncomingMessage, limit: number): ParsedBody {
  const parsed = (request as { body?: unknown }).body;
  let bytes: Uint8Array<ArrayBuffer>;
  let json = false;
  if (parsed === undefined || parsed === null) {
    bytes = new Uint8Array(0);
  } else if (typeof parsed === 'string' || parsed instanceof Uint8Array) {
    bytes = Buffer.from(parsed);
  } else {
    bytes = Buffer.from(JSON.stringify(parsed) ?? '');
    json = true;
  }
  return {
    bytes: bytes.length > limit ? tooLarge : bytes,
    rawHeaders: parsedBodyHeaders(request.rawHeaders, json),
  };
}

/**
 * Reads a body up to `limit` bytes; `tooLarge` past it, without reading further; `timedOut` if it
 * has not all come within `timeoutMs`.
 */
function readBody(
  request: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer> | typeof tooLarge | typeof timedOut> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return Promise.resolve(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: NodeBuffer[] = [];
    let size = 0;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            cleanup();
            request.pause();
            resolve(timedOut);
          }, timeoutMs)
        : undefined;
    const onData = (chunk: NodeBuffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.pause();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

// A new object each time: writeReply adds to the headers it is given.
const requestTimeout = (): TokenReply => ({
  status: 408,
  headers: { 'content-type': 'application/json', 'cache-control': 'private, no-store' },
  body: '{"error":"request_timeout"}',
});

// A request line and Host that make no well-formed URL: nothing of it reaches the handler.
const badRequest = (): TokenReply => ({
  status: 400,
  headers: { 'content-type': 'application/json', 'cache-control': 'private, no-store' },
  body: '{"error":"bad_request"}',
});

/**
 * Whether the answer is someone else's now: a middleware in front (a connect-timeout 503)
 * answered first, or the client went away. Writing then would throw ERR_HTTP_HEADERS_SENT out of
 * a promise callback, which ends the process.
 */
const answeredOrGone = (response: ServerResponse): boolean =>
  response.headersSent || response.destroyed;

/**
 * Writes an answer. Called as is only within the request event, where a response that something
 * else answered already throws into the listener's own try (and is left alone there): the
 * check of {@link writeLate} stays off the synchronous path of every token.
 */
function writeReply(response: ServerResponse, reply: TokenReply, close: boolean): void {
  const headers: Record<string, string | number> = reply.headers;
  headers['content-length'] = Buffer.byteLength(reply.body);
  // Past a body refused or never read the connection holds unread bytes, maybe still coming a
  // byte at a time: it cannot carry another request, and closing it is what frees the socket.
  if (close) headers['connection'] = 'close';
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

/** Writes an answer that comes later (after an `await`), unless it is someone else's now. */
function writeLate(response: ServerResponse, reply: TokenReply, close: boolean): void {
  if (!answeredOrGone(response)) writeReply(response, reply, close);
}

async function writeResponse(
  response: ServerResponse,
  answer: Response,
  close: boolean,
): Promise<void> {
  // Answered 408 while the handler still waited for the body, or answered by a middleware.
  if (answeredOrGone(response)) return;
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (close) headers['connection'] = 'close';
  response.writeHead(answer.status, headers);
  response.end(answer.body === null ? undefined : Buffer.from(await answer.arrayBuffer()));
}

function fail(response: ServerResponse): void {
  if (response.destroyed) return;
  if (response.headersSent) {
    // Ours half written: cut it, so that the client sees a broken answer, not a short one.
    if (!response.writableEnded) response.destroy();
    return;
  }
  response.writeHead(500, {
    'content-type': 'application/json',
    'cache-control': 'private, no-store',
    connection: 'close',
  });
  response.end('{"error":"internal_error"}');
}

/**
 * Serves a web-standard handler from `node:http`, Express or Connect. For a handler made by
 * {@link createTokenHandler} it skips building `Request` and `Response` objects (the request
 * handed to `authorize` is a `Request` that is only fully built if more than `method`, `url` or
 * `headers.get()` is used), which keeps the token endpoint close to a bare `node:http` server.
 * A POST body is read up to the handler's `maxBodyBytes` before `authorize` runs. If a body
 * parser read it first, what it left on `req.body` is handed on: a string or bytes as they are,
 * an object as JSON with `content-type: application/json`, in both cases without the
 * `content-length`, `transfer-encoding` and `content-encoding` of the bytes the parser read.
 * A body that has not all arrived within `bodyTimeoutMs` (10 s) is answered 408; a body the
 * endpoint never reads closes the connection after the answer. An answer a middleware sent
 * first is left alone. `request.signal` aborts if the client goes away before the answer.
 * `request.url` is built from a checked `Host` and path (or an absolute-form request line);
 * a request that makes no well-formed URL is answered 400 without calling the handler.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createTokenHandler, toNodeListener } from '@access-manager/server';
 *
 * const tokens = toNodeListener(createTokenHandler({ authorize }));
 * createServer(tokens).listen(3000);
 * // Express: app.get('/token', tokens);
 * ```
 */
export function toNodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): NodeListener {
  Buffer = requireNodeBuiltin('node:buffer', 'toNodeListener()').Buffer;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? defaultBodyTimeoutMs;
  if (!Number.isSafeInteger(bodyTimeoutMs) || bodyTimeoutMs < 0) {
    throw new InvalidOptionError(
      `bodyTimeoutMs must be a non-negative integer of milliseconds; got ${describeValue(bodyTimeoutMs)}.`,
    );
  }
  const internals = tokenHandlerInternals(handler);
  if (internals === undefined) {
    const onError = (error: unknown, response: ServerResponse): void => {
      try {
        options.logger?.error(
          redact(`node listener: the handler failed, answering 500: ${describeError(error)}`),
        );
      } catch {}
      fail(response);
    };
    return (request, response) => {
      const method = request.method ?? 'GET';
      const { url, declaresBody } = incomingTarget(request);
      if (url === undefined) {
        writeReply(response, badRequest(), true);
        return;
      }
      const body: IncomingBody = method === 'GET' || method === 'HEAD' ? undefined : 'stream';
      if (body === 'stream' && bodyTimeoutMs > 0 && !request.readableEnded) {
        guardBody(request, response, bodyTimeoutMs);
      }
      const close = body === undefined && declaresBody && !request.readableEnded;
      Promise.resolve()
        .then(() => handler(incomingRequest(request, method, url, body, response)))
        .then((answer) => writeResponse(response, answer, close))
        .catch((error: unknown) => onError(error, response));
    };
  }
  const { reply, readsBody, maxBodyBytes } = internals;
  const answer = (
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    url: string,
    body: Uint8Array<ArrayBuffer> | typeof tooLarge | typeof timedOut | undefined,
    unread: boolean,
    late: boolean,
    rawHeaders?: readonly string[],
  ): void => {
    if (body === timedOut) {
      writeLate(response, requestTimeout(), true);
      return;
    }
    const refused = body === tooLarge;
    const close = refused || unread;
    const lazy = incomingRequest(
      request,
      method,
      url,
      refused ? undefined : body,
      response,
      rawHeaders,
    );
    const replied = reply(lazy, refused ? 'too_large' : 'within_limit');
    if (replied instanceof Promise) {
      replied.then(
        (ready) => writeLate(response, ready, close),
        () => fail(response),
      );
    } else if (late) {
      writeLate(response, replied, close);
    } else {
      writeReply(response, replied, close);
    }
  };
  return (request, response) => {
    const method = request.method ?? 'GET';
    try {
      const { url, declaresBody } = incomingTarget(request);
      if (url === undefined) {
        writeReply(response, badRequest(), true);
        return;
      }
      if (!readsBody(method)) {
        // A body this endpoint never reads (a POST answered 405, a GET with a body) may be
        // trickled for minutes: the answer closes the connection instead of waiting for it.
        const unread = declaresBody && !request.readableEnded;
        answer(request, response, method, url, undefined, unread, false);
        return;
      }
      // A body parser read the stream already: hand on what it left.
      if (request.readableEnded) {
        const parsed = parsedBody(request, maxBodyBytes);
        answer(request, response, method, url, parsed.bytes, false, false, parsed.rawHeaders);
        return;
      }
      readBody(request, maxBodyBytes, bodyTimeoutMs)
        .then((body) => answer(request, response, method, url, body, false, true))
        .catch(() => fail(response));
    } catch {
      fail(response);
    }
  };
}

/**
 * For a handler that reads the body itself: answers 408 and closes the connection if the body has
 * not all arrived in time. The handler's own answer, if it comes later, is dropped.
 */
function guardBody(request: IncomingMessage, response: ServerResponse, timeoutMs: number): void {
  const timer = setTimeout(() => {
    if (request.readableEnded) return;
    writeLate(response, requestTimeout(), true);
  }, timeoutMs);
  const clear = (): void => clearTimeout(timer);
  request.once('end', clear);
  request.once('close', clear);
  response.once('close', clear);
}
