// What a client or a middleware in front can do to a node:http token endpoint: answer first,
// trickle a body, go away, or send a request line or Host header that makes no URL. Real
// sockets on 127.0.0.1, each server started and stopped by its test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type Authorize, createTokenHandler } from './createTokenHandler.js';
import { type FetchHandler, type NodeListener, toNodeListener } from './toNodeListener.js';

const credentials = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  apiKeySecret: 'clients-test-secret',
};

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const tokenHandler = (authorize: Authorize = () => ({ identity: 'alice' })) =>
  createTokenHandler({ credentials, authorize, logger: { warn() {}, error() {} } });

/** A raw connection: what the server sent, and when it closed the connection, if it did. */
function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    received: () => received,
    /** The first answer's status line and headers, once they are in. */
    head: async (): Promise<string> => {
      while (!received.includes('\r\n\r\n')) {
        await new Promise((resolve) => socket.once('data', resolve));
      }
      return received.slice(0, received.indexOf('\r\n\r\n'));
    },
  };
}

/** Resolves true if `promise` settles within `ms`, false otherwise. */
const within = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('a middleware answers first: the process does not crash', () => {
  it('an async authorize slower than a connect-timeout style 503 is dropped, not written', async () => {
    const failures: unknown[] = [];
    const record = (error: unknown): void => {
      failures.push(error);
    };
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    try {
      let settled: () => void = () => {};
      const authorizeSettled = new Promise<void>((resolve) => {
        settled = resolve;
      });
      const app = express();
      // connect-timeout in a few lines: 503 after 100 ms unless something answered.
      app.use((_request, response, next) => {
        const timer = setTimeout(() => {
          if (!response.headersSent) response.status(503).json({ error: 'timeout' });
        }, 100);
        response.on('close', () => clearTimeout(timer));
        next();
      });
      app.get(
        '/api/token',
        toNodeListener(
          tokenHandler(
            () =>
              new Promise((resolve) =>
                setTimeout(() => {
                  resolve({ identity: 'alice' });
                  setImmediate(settled);
                }, 300),
              ),
          ),
        ),
      );
      const port = await listen(createServer(app));
      const response = await fetch(`http://127.0.0.1:${port}/api/token`);
      expect(response.status).toBe(503);
      await authorizeSettled;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(failures).toEqual([]);
      // Still serving.
      expect((await fetch(`http://127.0.0.1:${port}/api/token`)).status).toBe(503);
    } finally {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    }
  });
});

describe('a body trickled to an endpoint that reads none cannot hold the socket', () => {
  const trickled = async (listener: NodeListener, requestHead: string) => {
    const port = await listen(createServer(listener));
    const client = rawClient(port);
    client.socket.write(requestHead);
    // A byte every 100 ms, as a slow-loris client sends its body.
    const trickle = setInterval(() => client.socket.write('x'), 100);
    try {
      const head = await client.head();
      const closedInTime = await within(client.closed, 3000);
      return { head, closedInTime };
    } finally {
      clearInterval(trickle);
    }
  };
  const declared = (method: string) =>
    `${method} /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx`;
  const chunked = 'GET /token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n';

  it('a POST to the default GET-only endpoint: 405 and the connection closed', async () => {
    const { head, closedInTime } = await trickled(toNodeListener(tokenHandler()), declared('POST'));
    expect(head).toMatch(/^HTTP\/1\.1 405 /);
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(closedInTime).toBe(true);
  });

  it('a GET with a body, declared or chunked: answered, and the connection closed', async () => {
    for (const request of [declared('GET'), chunked]) {
      const { head, closedInTime } = await trickled(toNodeListener(tokenHandler()), request);
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head).toMatch(/\r\nconnection: close\r\n/i);
      expect(closedInTime).toBe(true);
    }
  });

  it('a GET with a body through the generic adapter: the same', async () => {
    const generic: FetchHandler = () => new Response('ok');
    const { head, closedInTime } = await trickled(toNodeListener(generic), declared('GET'));
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedInTime).toBe(true);
  });

  it('a GET without a body keeps its connection alive', async () => {
    const port = await listen(createServer(toNodeListener(tokenHandler())));
    const client = rawClient(port);
    client.socket.write('GET /token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const head = await client.head();
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).not.toMatch(/connection: close/i);
    expect(await within(client.closed, 300)).toBe(false);
  });
});

describe('a client that goes away is noticed', () => {
  const aborts = async (listener: (authorize: Authorize) => NodeListener) => {
    let called: () => void = () => {};
    const authorizeCalled = new Promise<void>((resolve) => {
      called = resolve;
    });
    let reason: unknown;
    const aborted = new Promise<void>((resolve) => {
      const authorize: Authorize = (request) =>
        new Promise((settle) => {
          request.signal.addEventListener('abort', () => {
            reason = request.signal.reason;
            resolve();
            settle(null);
          });
          called();
        });
      void listen(createServer(listener(authorize))).then((port) => {
        const client = rawClient(port);
        client.socket.write('GET /token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        void authorizeCalled.then(() => client.socket.destroy());
      });
    });
    expect(await within(aborted, 3000)).toBe(true);
    expect((reason as Error).name).toBe('AbortError');
  };

  it('request.signal aborts when the client disconnects (token handler)', async () => {
    await aborts((authorize) => toNodeListener(tokenHandler(authorize)));
  });

  it('request.signal aborts when the client disconnects (any fetch handler)', async () => {
    await aborts((authorize) =>
      toNodeListener(async (request) => {
        await authorize(request);
        return new Response('late');
      }),
    );
  });

  it('the signal of an answered request never aborts', async () => {
    let signal: AbortSignal | undefined;
    const port = await listen(
      createServer(
        toNodeListener(
          tokenHandler((request) => {
            signal = request.signal;
            return { identity: 'alice' };
          }),
        ),
      ),
    );
    expect((await fetch(`http://127.0.0.1:${port}/token`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal?.aborted).toBe(false);
  });
});

describe('request.url is always a well-formed URL with the request path, or the answer is 400', () => {
  const exchange = async (listener: NodeListener, request: string) => {
    const port = await listen(createServer(listener));
    const client = rawClient(port);
    client.socket.write(request);
    return { port, head: await client.head() };
  };
  const seeing = () => {
    const urls: string[] = [];
    const listener = toNodeListener(
      tokenHandler((request) => {
        urls.push(request.url);
        return { identity: 'alice' };
      }),
    );
    return { urls, listener };
  };

  it('an absolute-form request line gives the URL it names, once', async () => {
    const { urls, listener } = seeing();
    const port = await listen(createServer(listener));
    const client = rawClient(port);
    client.socket.write(
      `GET http://127.0.0.1:${port}/api/token?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    expect(await client.head()).toMatch(/^HTTP\/1\.1 200 /);
    expect(urls).toEqual([`http://127.0.0.1:${port}/api/token?x=1`]);
    expect(new URL(urls[0]!).pathname).toBe('/api/token');
  });

  it('answers 400 to a Host that is no host, or that carries a path, without authorize', async () => {
    for (const host of [
      'a b',
      'evil.example/x?',
      'evil.example#',
      'a@b',
      '[::1',
      '999.1.1.1',
      'a:99999',
    ]) {
      const { urls, listener } = seeing();
      const { head } = await exchange(listener, `GET /token HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect(head, host).toMatch(/^HTTP\/1\.1 400 /);
      expect(urls, host).toEqual([]);
    }
  });

  it('answers 400 to two Host headers, and to a target that is neither a path nor a URL', async () => {
    const twice = seeing();
    const { head } = await exchange(
      twice.listener,
      'GET /token HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n',
    );
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    for (const target of ['*', 'ftp://127.0.0.1/token', 'http://evil.example@127.0.0.1/token']) {
      const { urls, listener } = seeing();
      const answer = await exchange(listener, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(answer.head, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(urls).toEqual([]);
    }
  });

  it('takes ordinary hosts: a name, an IPv4 or IPv6 address, with or without a port', async () => {
    for (const host of [
      'localhost',
      'api.example.com:8443',
      '127.0.0.1',
      '[::1]:3000',
      'A-B.example',
    ]) {
      const { urls, listener } = seeing();
      const { head } = await exchange(listener, `GET /token HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect(head, host).toMatch(/^HTTP\/1\.1 200 /);
      expect(new URL(urls[0]!).host, host).toBe(new URL(`http://${host}`).host);
    }
  });

  it('the generic adapter answers 400 too', async () => {
    let called = false;
    const listener = toNodeListener(() => {
      called = true;
      return new Response('ok');
    });
    const { head } = await exchange(
      listener,
      'GET /token HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n',
    );
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(called).toBe(false);
  });
});
