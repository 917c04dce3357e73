import type { IncomingMessage, ServerResponse } from 'node:http';
import { IncomingHeaders } from './incomingHeaders.js';
import { requireNodeBuiltin } from './runtime.js';

const incoming = Symbol('incoming');
const realRequest = Symbol('realRequest');
const cachedHeaders = Symbol('headers');
const cachedUrl = Symbol('url');
const bodyOf = Symbol('body');
const methodOf = Symbol('method');
const responseOf = Symbol('response');

/** The body a `node:http` request hands on: read already, to be streamed, or none. */
export type IncomingBody = Uint8Array<ArrayBuffer> | 'stream' | undefined;

interface LazyRequest {
  [incoming]: IncomingMessage;
  [realRequest]: Request | undefined;
  [cachedHeaders]: IncomingHeaders | undefined;
  [cachedUrl]: string;
  [bodyOf]: IncomingBody;
  [methodOf]: string;
  [responseOf]: ServerResponse | undefined;
}

/**
 * The signal of a request whose client may go away: it aborts when the connection closes before
 * the answer is all written, as the signals of Deno's, Bun's and `@hono/node-server`'s requests
 * do, so that an `authorize` waiting on a slow store can give up.
 */
function disconnectSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(new DOMException('The client closed the connection.', 'AbortError'));
  };
  if (response.destroyed && !response.writableFinished) abort();
  else {
    response.once('close', () => {
      if (!response.writableFinished) abort();
    });
  }
  return controller.signal;
}

function materialise(lazy: LazyRequest): Request {
  let real = lazy[realRequest];
  if (real === undefined) {
    const body = lazy[bodyOf];
    const init: RequestInit & { duplex?: 'half' } = {
      method: lazy[methodOf],
      headers: [...headersOf(lazy)],
    };
    const response = lazy[responseOf];
    if (response !== undefined) init.signal = disconnectSignal(response);
    if (body === 'stream') {
      const { Readable } = requireNodeBuiltin('node:stream', 'toNodeListener()');
      init.body = Readable.toWeb(lazy[incoming]) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    } else if (body !== undefined) {
      init.body = body;
    }
    real = new Request(lazy[cachedUrl], init);
    lazy[realRequest] = real;
  }
  return real;
}

function headersOf(lazy: LazyRequest): IncomingHeaders {
  let headers = lazy[cachedHeaders];
  if (headers === undefined) {
    headers = new IncomingHeaders(lazy[incoming].rawHeaders);
    lazy[cachedHeaders] = headers;
  }
  return headers;
}

let prototype: object | undefined;

/**
 * A prototype whose `method`, `url` and `headers` are read from the `node:http` request, and whose
 * every other member (body readers, `signal`, `clone()`, and undici's internal slots, so that
 * `new Request(request)` and `fetch(request)` work) comes from a real `Request` built on first
 * use. Built on first call, not at import: the module has no side effects.
 */
function lazyPrototype(): object {
  if (prototype !== undefined) return prototype;
  const own: PropertyDescriptorMap = {
    method: {
      get(this: LazyRequest) {
        return this[methodOf];
      },
    },
    url: {
      get(this: LazyRequest) {
        return this[cachedUrl];
      },
    },
    headers: {
      get(this: LazyRequest) {
        return headersOf(this);
      },
    },
  };
  const forwarded = new Set<PropertyKey>([
    ...Reflect.ownKeys(Request.prototype),
    // The instance's own slots are undici's internal symbols.
    ...Reflect.ownKeys(new Request('http://localhost/')),
  ]);
  for (const key of forwarded) {
    if (key === 'constructor' || key === Symbol.toStringTag || key in own) continue;
    own[key as string] = {
      get(this: LazyRequest) {
        const real = materialise(this);
        const value: unknown = Reflect.get(real, key);
        return typeof value === 'function' ? value.bind(real) : value;
      },
    };
  }
  prototype = Object.create(Request.prototype, own) as object;
  return prototype;
}

/**
 * A `Request` (`instanceof Request` holds) for a `node:http` request that costs almost nothing
 * until a member other than `method`, `url` and `headers.get()` is used. `url` is the request's
 * checked URL (see `incomingTarget`). Its `signal` aborts if the connection of `response` closes
 * before the answer is written. `rawHeaders`, in `node:http`'s flat name/value form, replaces
 * the request's own headers.
 */
export function incomingRequest(
  request: IncomingMessage,
  method: string,
  url: string,
  body: IncomingBody,
  response: ServerResponse | undefined,
  rawHeaders?: readonly string[],
): Request {
  const lazy = Object.create(lazyPrototype()) as LazyRequest;
  lazy[incoming] = request;
  lazy[realRequest] = undefined;
  lazy[cachedHeaders] = rawHeaders === undefined ? undefined : new IncomingHeaders(rawHeaders);
  lazy[cachedUrl] = url;
  lazy[responseOf] = response;
  lazy[bodyOf] = body;
  lazy[methodOf] = method;
  return lazy as unknown as Request;
}
