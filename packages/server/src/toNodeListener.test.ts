import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenHandler, type TokenHandlerOptions } from './createTokenHandler.js';
import { decodeAccessToken } from './decodeAccessToken.js';
import { ChatGrant } from './grants.js';
import {
  type FetchHandler,
  type NodeListener,
  type NodeListenerOptions,
  toNodeListener,
} from './toNodeListener.js';

const credentials = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  apiKeySecret: 'listener-test-secret',
};

let server: Server | undefined;

afterEach(async () => {
  const open = server;
  server = undefined;
  if (open) await new Promise((resolve) => open.close(resolve));
});

async function serve(listener: NodeListener): Promise<string> {
  server = createServer(listener);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// POST is served: most of these tests are about reading a body.
const tokenListener = (
  options: Partial<TokenHandlerOptions> = {},
  listenerOptions: NodeListenerOptions = {},
) =>
  toNodeListener(
    createTokenHandler({
      credentials,
      methods: ['GET', 'POST'],
      authorize: () => ({ identity: 'alice' }),
      ...options,
    }),
    listenerOptions,
  );

/**
 * A POST that declares `declared` bytes and sends `sent` of them, then waits: a body trickled
 * too slowly. Resolves with the answer and whether the server closed the connection.
 */
function trickle(
  url: string,
  declared: number,
  sent: string,
): Promise<{ status: number; body: string; closed: boolean; elapsedMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/token`,
      { method: 'POST', headers: { 'content-length': String(declared) }, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          // The socket closes right after a `connection: close` answer.
          const finish = () =>
            resolve({ status, body, closed: true, elapsedMs: performance.now() - started });
          if (request.socket?.destroyed) finish();
          else request.socket?.once('close', finish);
        });
      },
    );
    request.on('error', reject);
    request.write(sent);
  });
}

/** A raw request, to send what fetch will not (a chunked body, an exact method). */
function raw(
  url: string,
  method: string,
  chunks: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('toNodeListener with a token handler', () => {
  it('serves the token over node:http with the same answer as the web handler', async () => {
    const url = await serve(
      tokenListener({
        authorize: () => ({ identity: 'alice', grants: [new ChatGrant({ serviceSid: 'IS1' })] }),
      }),
    );
    const response = await fetch(`${url}/token`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { token: string; identity: string; expiresAt: string };
    expect(body.identity).toBe('alice');
    expect(decodeAccessToken(body.token).payload.grants).toEqual({
      identity: 'alice',
      chat: { service_sid: 'IS1' },
    });
    expect(Number(response.headers.get('content-length'))).toBe(
      Buffer.byteLength(JSON.stringify(body)),
    );
  });

  it('gives authorize a Request with method, url and headers, and a working body', async () => {
    const seen: Record<string, unknown>[] = [];
    const url = await serve(
      tokenListener({
        authorize: async (request) => {
          seen.push({
            isRequest: request instanceof Request,
            method: request.method,
            url: request.url,
            auth: request.headers.get('Authorization'),
            missing: request.headers.get('x-missing'),
            body: request.method === 'POST' ? await request.json() : null,
            signal: request.signal instanceof AbortSignal,
            copy: new Request(request.url, { headers: request.headers }).headers.get(
              'authorization',
            ),
          });
          return { identity: 'alice' };
        },
      }),
    );
    await fetch(`${url}/token?x=1`, { headers: { authorization: 'Bearer abc' } });
    await fetch(`${url}/token`, {
      method: 'POST',
      headers: { authorization: 'Bearer def', 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob' }),
    });
    expect(seen).toEqual([
      {
        isRequest: true,
        method: 'GET',
        url: `${url}/token?x=1`,
        auth: 'Bearer abc',
        missing: null,
        body: null,
        signal: true,
        copy: 'Bearer abc',
      },
      {
        isRequest: true,
        method: 'POST',
        url: `${url}/token`,
        auth: 'Bearer def',
        missing: null,
        body: { user: 'bob' },
        signal: true,
        copy: 'Bearer def',
      },
    ]);
  });

  it('lets authorize rebuild or clone the request', async () => {
    const bodies: string[] = [];
    const url = await serve(
      tokenListener({
        authorize: async (request) => {
          bodies.push(await request.clone().text());
          bodies.push(await new Request(request).text());
          return { identity: 'alice' };
        },
      }),
    );
    const response = await fetch(`${url}/token`, { method: 'POST', body: 'hello' });
    expect(response.status).toBe(200);
    expect(bodies).toEqual(['hello', 'hello']);
  });

  it('answers 413 to a body over the limit, declared or chunked, without calling authorize', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const url = await serve(tokenListener({ authorize, maxBodyBytes: 10 }));
    const declared = await raw(`${url}/token`, 'POST', ['x'.repeat(11)], {
      'content-length': '11',
    });
    expect(declared.status).toBe(413);
    expect(declared.headers['connection']).toBe('close');
    const chunked = await raw(`${url}/token`, 'POST', ['x'.repeat(6), 'y'.repeat(6)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({ error: 'payload_too_large' });
    expect(authorize).not.toHaveBeenCalled();
    const within = await raw(`${url}/token`, 'POST', ['x'.repeat(5), 'y'.repeat(5)]);
    expect(within.status).toBe(200);
  });

  it('answers 405 without reading the body of a method not served', async () => {
    const url = await serve(tokenListener({ maxBodyBytes: 1 }));
    const response = await raw(`${url}/token`, 'PUT', ['x'.repeat(100)]);
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD, POST');
  });

  it('answers HEAD as GET, with the length of the GET body and no body', async () => {
    const url = await serve(tokenListener({ now: () => 1_000_000_000 }));
    const get = await raw(`${url}/token`, 'GET', []);
    const head = await raw(`${url}/token`, 'HEAD', []);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers['cache-control']).toBe('private, no-store');
  });

  it('answers CORS preflights over node:http', async () => {
    const origin = 'https://app.example.com';
    const url = await serve(tokenListener({ cors: { origins: [origin] } }));
    const response = await raw(`${url}/token`, 'OPTIONS', [], { origin });
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(response.body).toBe('');
  });

  it('hands on a body a body parser already read, Express-style', async () => {
    const identities: string[] = [];
    const listener = tokenListener({
      authorize: async (request) => {
        identities.push(((await request.json()) as { user: string }).user);
        return { identity: 'alice' };
      },
    });
    const url = await serve((request, response) => {
      // What express.json() leaves behind: the stream consumed, the result on req.body.
      request.resume();
      request.on('end', () => {
        (request as unknown as { body: unknown }).body = { user: 'parsed' };
        listener(request, response);
      });
    });
    const response = await fetch(`${url}/token`, {
      method: 'POST',
      body: JSON.stringify({ user: 'raw' }),
    });
    expect(response.status).toBe(200);
    expect(identities).toEqual(['parsed']);
  });

  it('describes a body a body parser left as an object as the JSON it is handed on as', async () => {
    const seen: unknown[] = [];
    const listener = tokenListener({
      authorize: async (request) => {
        seen.push({
          type: request.headers.get('content-type'),
          length: request.headers.get('content-length'),
          encoding: request.headers.get('content-encoding'),
          names: [...request.headers.keys()].filter((name) => name.startsWith('content')),
          body: await request.json(),
        });
        return { identity: 'alice' };
      },
    });
    const url = await serve((request, response) => {
      // What express.urlencoded() leaves behind: the form as an object.
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        (request as unknown as { body: unknown }).body = Object.fromEntries(form);
        listener(request, response);
      });
    });
    const response = await fetch(`${url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ user: 'bob' }),
    });
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      {
        type: 'application/json',
        length: null,
        encoding: null,
        names: ['content-type'],
        body: { user: 'bob' },
      },
    ]);
  });

  it('hands on a string or a Buffer a body parser left as it is, with its own content-type', async () => {
    const seen: unknown[] = [];
    const listener = tokenListener({
      authorize: async (request) => {
        seen.push({
          type: request.headers.get('content-type'),
          length: request.headers.get('content-length'),
          body: await request.text(),
        });
        return { identity: 'alice' };
      },
    });
    const url = await serve((request, response) => {
      // express.text() leaves a string; express.raw() a Buffer. Both decode a gzip body.
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = `${raw.toString()} (parsed, é)`;
        (request as unknown as { body: unknown }).body =
          request.headers['x-as'] === 'buffer' ? Buffer.from(text) : text;
        listener(request, response);
      });
    });
    for (const as of ['string', 'buffer']) {
      const response = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-as': as },
        body: 'hello',
      });
      expect(response.status).toBe(200);
    }
    const expected = { type: 'text/plain', length: null, body: 'hello (parsed, é)' };
    expect(seen).toEqual([expected, expected]);
  });

  it('uses originalUrl under an Express mount path', async () => {
    const urls: string[] = [];
    const listener = tokenListener({
      authorize: (request) => {
        urls.push(new URL(request.url).pathname);
        return { identity: 'alice' };
      },
    });
    const url = await serve((request, response) => {
      Object.assign(request, { originalUrl: request.url, url: '/' });
      listener(request, response);
    });
    await fetch(`${url}/api/token`);
    expect(urls).toEqual(['/api/token']);
  });
});

describe('toNodeListener with any fetch handler', () => {
  it('converts the Response: status, headers, cookies and body', async () => {
    const handler: FetchHandler = async (request) =>
      new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`, {
        status: 201,
        headers: [
          ['x-one', '1'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
        ],
      });
    const url = await serve(toNodeListener(handler));
    const response = await fetch(`${url}/echo`, { method: 'POST', body: 'payload' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-one')).toBe('1');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('POST /echo payload');
  });

  it('answers 500 and logs when the handler throws', async () => {
    const error = vi.fn();
    const url = await serve(
      toNodeListener(
        () => {
          throw new Error('broken handler');
        },
        { logger: { error } },
      ),
    );
    const response = await fetch(url);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal_error' });
    expect(error).toHaveBeenCalledWith(expect.stringContaining('broken handler'));
  });
});

describe('toNodeListener: a body that arrives too slowly', () => {
  it('answers 408 and closes the connection once bodyTimeoutMs has passed, without authorize', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const url = await serve(tokenListener({ authorize }, { bodyTimeoutMs: 200 }));
    const answer = await trickle(url, 100, 'x');
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ error: 'request_timeout' });
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(answer.elapsedMs).toBeLessThan(5000);
    expect(authorize).not.toHaveBeenCalled();
  });

  it('does the same for a handler that reads the body itself', async () => {
    const handler = vi.fn(async (request: Request) => new Response(await request.text()));
    const url = await serve(toNodeListener(handler, { bodyTimeoutMs: 200 }));
    const answer = await trickle(url, 100, 'x');
    expect(answer.status).toBe(408);
    expect(answer.closed).toBe(true);
  });

  it('lets a body that arrives in time through, and has a 10 s default', async () => {
    const url = await serve(tokenListener({}, { bodyTimeoutMs: 200 }));
    const answer = await raw(`${url}/token`, 'POST', ['{"a"', ':1}']);
    expect(answer.status).toBe(200);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let resolved = false;
      const listener = tokenListener();
      const { PassThrough } = await import('node:stream');
      const request = Object.assign(new PassThrough(), {
        method: 'POST',
        url: '/token',
        headers: { 'content-length': '10' },
        rawHeaders: ['content-length', '10'],
        socket: {},
      });
      const written: { status?: number } = {};
      const response = {
        headersSent: false,
        writeHead: (status: number) => {
          written.status = status;
          resolved = true;
        },
        end: () => {},
      };
      listener(request as never, response as never);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(resolved).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(written.status).toBe(408);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a bodyTimeoutMs that is not a non-negative integer', () => {
    const handler = () => new Response('');
    expect(() => toNodeListener(handler, { bodyTimeoutMs: -1 })).toThrow(/bodyTimeoutMs/);
    expect(() => toNodeListener(handler, { bodyTimeoutMs: 1.5 })).toThrow(/bodyTimeoutMs/);
  });
});
