import { describe, expect, it, type TestContext } from 'vitest';
import { WebSocket } from 'ws';
import { makeToken } from '../tokenFactory.js';
import { decodeTwilsockFrame, encodeTwilsockFrame, type TwilsockFrame } from './twilsockFrame.js';
import { startTwilsockFake, type TwilsockFakeOptions } from './twilsockServer.js';

/** A bare twilsock client: the wire protocol only, for what the SDK tests do not reach. */
async function rawClient(ctx: TestContext, options: TwilsockFakeOptions = {}) {
  const fake = await startTwilsockFake(options);
  const socket = new WebSocket(fake.url);
  const frames: TwilsockFrame[] = [];
  socket.on('message', (data: Buffer) => frames.push(decodeTwilsockFrame(data)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  ctx.onTestFinished(async () => {
    socket.terminate();
    await fake.close();
  });
  let count = 0;
  const waitFor = async (match: (frame: TwilsockFrame) => boolean): Promise<TwilsockFrame> => {
    for (let i = 0; i < 200; i += 1) {
      const frame = frames.find(match);
      if (frame) return frame;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('no such frame');
  };
  const request = (header: Record<string, unknown>, payload?: unknown) => {
    count += 1;
    const id = `TM${count}`;
    socket.send(encodeTwilsockFrame({ method: 'message', ...header, id }, payload));
    return waitFor((f) => f.header.method === 'reply' && f.header.id === id);
  };
  return { fake, socket, request, waitFor };
}

describe('TwilsockFake protocol', () => {
  it('answers init with 200, a continuation token and client_update; an expired token with 401 / 20104', async (ctx) => {
    const { fake, request } = await rawClient(ctx);
    const ok = await request({ method: 'init', token: makeToken() });
    expect(ok.header).toMatchObject({
      status: { code: 200, status: 'OK' },
      continuation_token: 'continuation-1',
      capabilities: ['client_update'],
    });
    const now = Math.floor(Date.now() / 1000);
    const stale = makeToken({ iat: now - 100, exp: now - 1 });
    const rejected = await request({ method: 'update', token: stale });
    expect(rejected.header['status']).toMatchObject({ code: 401, errorCode: 20104 });
    expect(fake.tokens.map((r) => r.method)).toEqual(['init', 'update']);
  });

  it('accepts expired tokens when told to', async (ctx) => {
    const { request } = await rawClient(ctx, { rejectExpiredTokens: false });
    const stale = makeToken({ iat: 1, exp: 2 });
    const reply = await request({ method: 'init', token: stale });
    expect(reply.header['status']).toMatchObject({ code: 200 });
  });

  it('closeOnExpiry: closes a connection with 410 / 20104 when its token expires, counting from its latest update', async (ctx) => {
    const { fake, socket, request, waitFor } = await rawClient(ctx, { closeOnExpiry: true });
    const now = Math.floor(Date.now() / 1000);
    await request({ method: 'init', token: makeToken({ iat: now, exp: now + 1 }) });
    // The update moves the expiry on: the first token's deadline passes without a close.
    await request({ method: 'update', token: makeToken({ iat: now, exp: now + 2 }) });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, (now + 1) * 1000 - Date.now() + 100));
    expect(socket.readyState).toBe(WebSocket.OPEN);
    await closed;
    expect(Date.now()).toBeGreaterThanOrEqual((now + 2) * 1000);
    const close = await waitFor((f) => f.header.method === 'close');
    expect(close.header['status']).toMatchObject({ code: 410, errorCode: 20104 });
    await fake.waitForDisconnect();
    expect(fake.openConnections).toBe(0);
  });

  it('keeps a connection open past its token expiry by default', async (ctx) => {
    const { fake, request } = await rawClient(ctx);
    const now = Date.now() / 1000;
    await request({
      method: 'init',
      token: makeToken({ iat: Math.floor(now), exp: Math.ceil(now + 0.3) }),
    });
    await new Promise((resolve) => setTimeout(resolve, 1_400));
    expect(fake.openConnections).toBe(1);
    expect(fake.openConnectionNumbers).toEqual([1]);
    expect(fake.frames.map((f) => f.header.method)).toEqual(['init']);
  });

  it('tunnels REST: records the request with its connection token, answers with http_status and a JSON body', async (ctx) => {
    const { fake, request } = await rawClient(ctx, {
      onRequest: (r) => (r.path === '/custom' ? { status: 201, body: { made: true } } : undefined),
    });
    const token = makeToken({ identity: 'carol' });
    await request({ method: 'init', token });
    const http = (path: string, method = 'GET') => ({
      method: 'message',
      active_grant: 'ip_messaging',
      payload_type: 'application/json',
      http_request: { host: 'aim.us1.twilio.com', path, method, params: {}, headers: {} },
    });
    const custom = await request(http('/custom', 'POST'), { hello: 1 });
    expect(custom.header).toMatchObject({ status: { code: 200 }, http_status: { code: 201 } });
    expect(custom.payload).toEqual({ made: true });
    const configuration = await request(http('/Client/v2/Configuration'));
    expect(configuration.payload).toMatchObject({ identity: 'carol' });
    const unknown = await request(http('/nothing/here'));
    expect(unknown.header['http_status']).toMatchObject({ code: 404 });
    expect(fake.requests[0]).toMatchObject({
      path: '/custom',
      body: { hello: 1 },
      grant: 'ip_messaging',
      token,
      connection: 1,
    });
  });

  it('answers other methods with 200 and pushes notifications', async (ctx) => {
    const { fake, request, waitFor } = await rawClient(ctx);
    const reply = await request({ method: 'put_notification_ctx', notification_ctx_id: 'x' });
    expect(reply.header['status']).toMatchObject({ code: 200 });
    expect(fake.notify('twilio.sync.event', { event_type: 'x' })).toBe(1);
    const pushed = await waitFor((f) => f.header.method === 'notification');
    expect(pushed.header['message_type']).toBe('twilio.sync.event');
    expect(pushed.payload).toEqual({ event_type: 'x' });
  });

  it('closes idempotently and refuses new connections afterwards', async () => {
    const fake = await startTwilsockFake();
    const url = fake.url;
    await fake.close();
    await fake.close();
    const socket = new WebSocket(url);
    await expect(
      new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('closeAllFakes', () => {
  it('closes every fake still open, once', async () => {
    const { closeAllFakes } = await import('./openFakes.js');
    const { startChunderFake } = await import('./chunderServer.js');
    const twilsock = await startTwilsockFake();
    const chunder = await startChunderFake();
    let teardowns = 0;
    twilsock.addTeardown(() => {
      teardowns += 1;
    });
    chunder.addTeardown(() => {
      teardowns += 1;
    });
    await closeAllFakes();
    await closeAllFakes();
    expect(teardowns).toBe(2);
    const socket = new WebSocket(twilsock.url);
    await expect(
      new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
