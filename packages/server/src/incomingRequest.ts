import type { IncomingMessage } from 'node:http';
import { IncomingHeaders } from './incomingHeaders.js';
import { requireNodeBuiltin } from './runtime.js';

const incoming = Symbol('incoming');
const realRequest = Symbol('realRequest');
const cachedHeaders = Symbol('headers');
const cachedUrl = Symbol('url');
const bodyOf = Symbol('body');
const methodOf = Symbol('method');

/** The body a `node:http` request hands on: read already, to be streamed, or none. */
export type IncomingBody = Uint8Array<ArrayBuffer> | 'stream' | undefined;

interface LazyRequest {
  [incoming]: IncomingMessage;
  [realRequest]: Request | undefined;
  [cachedHeaders]: IncomingHeaders | undefined;
  [cachedUrl]: string | undefined;
  [bodyOf]: IncomingBody;
  [methodOf]: string;
}

function urlOf(request: IncomingMessage): string {
  const socket = request.socket as {
    encrypted?: boolean;
    localAddress?: string;
    localPort?: number;
  };
  const scheme = socket.encrypted ? 'https' : 'http';
  let host = request.headers.host;
  if (!host) {
    const address = socket.localAddress ?? 'localhost';
    host = `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? 80}`;
  }
  // Express rewrites `url` under a mount path and keeps the full one in `originalUrl`.
  const path = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/';
  return `${scheme}://${host}${path}`;
}

function materialise(lazy: LazyRequest): Request {
  let real = lazy[realRequest];
  if (real === undefined) {
    const body = lazy[bodyOf];
    const init: RequestInit & { duplex?: 'half' } = {
      method: lazy[methodOf],
      headers: [...headersOf(lazy)],
    };
    if (body === 'stream') {
      const { Readable } = requireNodeBuiltin('node:stream', 'toNodeListener()');
      init.body = Readable.toWeb(lazy[incoming]) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    } else if (body !== undefined) {
      init.body = body;
    }
    real = new Request(urlOf(lazy[incoming]), init);
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
        let url = this[cachedUrl];
        if (url === undefined) {
          url = urlOf(this[incoming]);
          this[cachedUrl] = url;
        }
        return url;
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
 * until a member other than `method`, `url` and `headers.get()` is used. `rawHeaders`, in
 * `node:http`'s flat name/value form, replaces the request's own headers.
 */
export function incomingRequest(
  request: IncomingMessage,
  method: string,
  body: IncomingBody,
  rawHeaders?: readonly string[],
): Request {
  const lazy = Object.create(lazyPrototype()) as LazyRequest;
  lazy[incoming] = request;
  lazy[realRequest] = undefined;
  lazy[cachedHeaders] = rawHeaders === undefined ? undefined : new IncomingHeaders(rawHeaders);
  lazy[cachedUrl] = undefined;
  lazy[bodyOf] = body;
  lazy[methodOf] = method;
  return lazy as unknown as Request;
}
