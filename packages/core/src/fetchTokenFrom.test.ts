import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeToken } from '@access-manager/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FatalFetchError, FetchFailedError } from './errors.js';
import { fetchTokenFrom, parseRetryAfter } from './fetchTokenFrom.js';
import type { FetchTokenContext } from './types.js';

type Reply = { status: number; body: string; headers?: Record<string, string> };
let reply: Reply = { status: 200, body: '' };
let seen: { method?: string | undefined; auth?: string | undefined; accept?: string | undefined } =
  {};
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen = { method: req.method, auth: req.headers.authorization, accept: req.headers.accept };
    if (reply.status === 0) return; // never answer
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const context = (signal = new AbortController().signal): FetchTokenContext => ({
  signal,
  reason: 'manual',
  attempt: 1,
});

describe('fetchTokenFrom', () => {
  const jwt = makeToken();

  it('reads { token } JSON', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({ token: jwt, identity: 'alice' }),
      headers: { 'content-type': 'application/json' },
    };
    expect(await fetchTokenFrom(base)(context())).toMatchObject({ token: jwt });
    expect(seen).toMatchObject({ method: 'GET', accept: 'application/json, text/plain' });
  });

  it('reads a plain-text JWT', async () => {
    reply = { status: 200, body: `${jwt}\n`, headers: { 'content-type': 'text/plain' } };
    expect(await fetchTokenFrom(base)(context())).toMatchObject({ token: jwt });
  });

  it('reads the server clock from the body, else from Date plus Age, never from the token', async () => {
    const stated = Date.UTC(2026, 5, 1, 8, 0, 0, 250);
    reply = { status: 200, body: JSON.stringify({ token: jwt, serverTime: stated }) };
    expect(await fetchTokenFrom(base)(context())).toEqual({ token: jwt, serverTime: stated });
    reply = {
      status: 200,
      body: JSON.stringify({ token: jwt, serverTime: new Date(stated).toISOString() }),
    };
    expect(await fetchTokenFrom(base)(context())).toEqual({ token: jwt, serverTime: stated });
    // A cache's answer: Date is when it was made, Age how long it has been kept since.
    const date = 'Mon, 01 Jun 2026 08:00:00 GMT';
    reply = { status: 200, body: jwt, headers: { date, age: '3000' } };
    expect(await fetchTokenFrom(base)(context())).toEqual({
      token: jwt,
      serverTime: Date.parse(date) + 500 + 3_000_000,
    });
  });

  it('asks with cache: no-store, so that the browser never answers from its HTTP cache', async () => {
    reply = { status: 200, body: jwt };
    const spy = vi.spyOn(globalThis, 'fetch');
    try {
      await fetchTokenFrom(base)(context());
      expect(spy.mock.calls[0]?.[1]).toMatchObject({ cache: 'no-store' });
    } finally {
      spy.mockRestore();
    }
  });

  it('computes the request for each attempt', async () => {
    reply = { status: 200, body: JSON.stringify({ token: jwt }) };
    const fetchToken = fetchTokenFrom(base, ({ attempt }) => ({
      method: 'POST',
      headers: { authorization: `Bearer session-${attempt}` },
    }));
    await fetchToken(context());
    expect(seen).toMatchObject({ method: 'POST', auth: 'Bearer session-1' });
  });

  it.each([401, 403, 404])('treats %i as fatal', async (status) => {
    reply = { status, body: 'no' };
    const error = await fetchTokenFrom(base)(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalFetchError);
    expect(error).toMatchObject({ code: 'fetch_failed', retryable: false, status });
  });

  it.each([408, 429, 500, 503])('retries %i and honours Retry-After', async (status) => {
    reply = { status, body: 'busy', headers: { 'retry-after': '7' } };
    const error = await fetchTokenFrom(base)(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchFailedError);
    expect(error).not.toBeInstanceOf(FatalFetchError);
    expect(error).toMatchObject({ retryable: true, status, retryAfterMs: 7000 });
  });

  it('retries network errors', async () => {
    const error = await fetchTokenFrom('http://127.0.0.1:1/token')(context()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'fetch_failed', retryable: true });
  });

  it('fails on JSON without a token, retryably', async () => {
    reply = { status: 200, body: '{"jwt": 1}' };
    await expect(fetchTokenFrom(base)(context())).rejects.toMatchObject({
      code: 'fetch_failed',
      retryable: true,
    });
    reply = { status: 200, body: '{"token": "eyJ.secret' };
    const error = await fetchTokenFrom(base)(context()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'fetch_failed', retryable: true, status: 200 });
    // No cause: V8's SyntaxError would quote the body around the fault, and that may be a token.
    expect('cause' in (error as Error)).toBe(false);
    expect((error as Error).message).not.toContain('secret');
  });

  it('stops when its signal aborts, with the signal reason', async () => {
    reply = { status: 0, body: '' };
    const controller = new AbortController();
    const pending = fetchTokenFrom(base)(context(controller.signal));
    const reason = new Error('timeout');
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
  });
});
