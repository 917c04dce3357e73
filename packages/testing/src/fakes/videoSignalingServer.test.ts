// The fake Video signaling server, spoken to as twilio-video speaks (TCMP v2 around RSP v2; see
// lib/twilioconnection.js and lib/signaling/v2/twilioconnectiontransport.js of twilio-video
// 2.36.0). The real SDK against it, in Chromium: packages/video/src/connectVideo.browser.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeToken, randomSecret } from '../tokenFactory.js';
import { checkVideoToken } from './videoAccessToken.js';
import { startVideoSignalingFake, type VideoSignalingFake } from './videoSignalingServer.js';

const secret = randomSecret();
const videoToken = (options: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ grants: { video: {} }, secret, ...options });

/** A socket that speaks TCMP, and the RSP bodies (and other TCMP messages) it received. */
async function client(fake: VideoSignalingFake, helloBody: Record<string, unknown>) {
  const socket = new WebSocket(fake.url);
  const received: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data: Buffer) => {
    received.push(JSON.parse(data.toString()));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    JSON.stringify({ id: 'h1', timeout: 5000, type: 'hello', version: 2, body: helloBody }),
  );
  /** The next RSP body (a `msg`'s), waiting for it if need be. */
  const next = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const index = received.findIndex((m) => m['type'] === 'msg');
      if (index >= 0) return received.splice(index, 1)[0]?.['body'] as Record<string, unknown>;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const send = (body: Record<string, unknown>) =>
    socket.send(JSON.stringify({ type: 'msg', body }));
  return { socket, received, next, send };
}

let fake: VideoSignalingFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('checkVideoToken: what Twilio refuses', () => {
  const now = Date.now();
  const cases: Array<[string, unknown, number | null]> = [
    ['a good token', videoToken(), null],
    ['not a string', 42, 20101],
    ['not a JWT', 'abc', 20101],
    ['garbage parts', 'a.b.c', 20101],
    ['another secret', makeToken({ grants: { video: {} }, secret: randomSecret() }), 20107],
    ['expired', videoToken({ iat: Math.floor(now / 1000) - 100, ttl: 50 }), 20104],
    ['living more than a day', videoToken({ ttl: 86_401 }), 20104],
    ['not yet valid', videoToken({ nbf: Math.floor(now / 1000) + 60 }), 20105],
    ['no video grant', makeToken({ secret }), 20106],
    ['no identity', videoToken({ identity: null }), 20106],
  ];
  it.each(cases)('%s', (_name, token, code) => {
    const checked = checkVideoToken(token, secret, now);
    if (code === null) expect(checked).toMatchObject({ identity: 'alice' });
    else expect(checked).toMatchObject({ code });
  });

  it('a tampered signature is refused, and no error names the token', () => {
    const token = videoToken();
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const checked = checkVideoToken(tampered, secret, now);
    expect(checked).toMatchObject({ code: 20107 });
    expect(JSON.stringify(checked)).not.toContain(token.split('.')[1]);
  });
});

describe('VideoSignalingFake', () => {
  it('welcomes, answers ice with iced and connect with connected, checking the token each time', async () => {
    fake = await startVideoSignalingFake({ secret, heartbeatTimeoutMs: 2_000 });
    const token = videoToken({ identity: 'bob' });
    const c = await client(fake, { type: 'ice', token, version: 1 });
    expect(await c.next()).toEqual({ type: 'iced', ice_servers: [] });
    expect(c.received[0]).toEqual({ id: 'h1', type: 'welcome', negotiatedTimeout: 2_000 });
    c.send({ type: 'connect', token, name: 'standup', participant: {}, peer_connections: [] });
    const connected = await c.next();
    expect(connected).toMatchObject({
      type: 'connected',
      name: 'standup',
      participant: { identity: 'bob' },
      participants: [],
      options: { session_timeout: 30 },
    });
    expect(fake.tokens.map((r) => [r.type, r.token === token, r.refused])).toEqual([
      ['ice', true, undefined],
      ['connect', true, undefined],
    ]);
    expect(fake.connectedParticipants).toHaveLength(1);
    // A heartbeat is answered (the SDK closes with 3001 after three it did not get).
    c.socket.send(JSON.stringify({ type: 'heartbeat' }));
    await fake.waitForMessage('connect');
    await expect.poll(() => c.received.some((m) => m['type'] === 'heartbeat')).toBe(true);
    c.socket.close();
  });

  it('refuses a token signed with another secret with 20107, and lets nobody in', async () => {
    fake = await startVideoSignalingFake({ secret });
    const c = await client(fake, { type: 'ice', token: makeToken({ grants: { video: {} } }) });
    expect(await c.next()).toMatchObject({ type: 'error', code: 20107 });
    expect(fake.participants).toEqual([]);
    c.socket.close();
  });

  it('expire() sends 20104 to the connected participants and ends them', async () => {
    fake = await startVideoSignalingFake({ secret });
    const token = videoToken();
    const c = await client(fake, { type: 'connect', token, name: 'r' });
    expect(await c.next()).toMatchObject({ type: 'connected' });
    expect(fake.expire()).toBe(1);
    expect(await c.next()).toEqual({
      type: 'error',
      code: 20104,
      message: 'Access Token expired or expiration date invalid',
    });
    expect(fake.connectedParticipants).toEqual([]);
    expect(fake.expire()).toBe(0);
    c.socket.close();
  });

  it('a sync resumes the session while its token is valid, and is refused with 20104 once Twilio thinks it expired', async () => {
    let skewMs = 0;
    fake = await startVideoSignalingFake({ secret, now: () => Date.now() + skewMs });
    const token = videoToken({ ttl: 120 });
    const first = await client(fake, { type: 'connect', token, name: 'r' });
    const { session } = await first.next();
    fake.dropConnections();
    const resumed = await client(fake, { type: 'sync', session, token });
    expect(await resumed.next()).toMatchObject({ type: 'synced', session, name: 'r' });
    expect(fake.participants[0]).toMatchObject({ connection: 2, resumed: 1, state: 'connected' });

    fake.dropConnections();
    skewMs = 121_000;
    const refused = await client(fake, { type: 'sync', session, token });
    expect(await refused.next()).toMatchObject({ type: 'error', code: 20104 });
    expect(fake.tokens.at(-1)).toMatchObject({ type: 'sync', refused: { code: 20104 } });
    expect(fake.connectedParticipants).toEqual([]);
    refused.socket.close();
  });

  it('complete() ends the room with status completed; a later connect to that name is a new room', async () => {
    fake = await startVideoSignalingFake({ secret });
    const c = await client(fake, { type: 'connect', token: videoToken(), name: 'r' });
    const { sid } = await c.next();
    expect(fake.complete()).toBe(1);
    expect(await c.next()).toEqual({ type: 'disconnected', status: 'completed' });
    const again = await client(fake, { type: 'connect', token: videoToken(), name: 'r' });
    const next = await again.next();
    expect(next['sid']).not.toBe(sid);
    c.socket.close();
    again.socket.close();
  });

  it('holdConnects: a connect is checked and recorded but not answered, and nobody is let in', async () => {
    fake = await startVideoSignalingFake({ secret });
    fake.holdConnects = true;
    const token = videoToken();
    const c = await client(fake, { type: 'connect', token, name: 'r' });
    await fake.waitForToken({ type: 'connect', token });
    c.send({ type: 'ping' }); // answered by nothing either: a round trip to let a reply arrive
    await fake.waitForMessage('ping');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.received.filter((m) => m['type'] === 'msg')).toEqual([]);
    expect(fake.participants).toEqual([]);
    // A refused token is still answered with its error.
    const refused = await client(fake, {
      type: 'connect',
      token: makeToken({ secret }),
      name: 'r',
    });
    expect(await refused.next()).toMatchObject({ type: 'error', code: 20106 });
    c.socket.close();
    refused.socket.close();
  });

  it('a disconnect from the client ends its participant', async () => {
    fake = await startVideoSignalingFake({ secret });
    const c = await client(fake, { type: 'connect', token: videoToken(), name: 'r' });
    const { session } = await c.next();
    c.send({ type: 'disconnect', session, version: 2 });
    await fake.waitForMessage('disconnect');
    expect(fake.participants[0]?.state).toBe('ended');
    c.socket.close();
  });
});
