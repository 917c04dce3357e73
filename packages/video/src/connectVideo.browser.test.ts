// connectVideo with the real twilio-video 2.36.0, in Chromium (Node has no WebRTC), against the
// local fake of Twilio Video's signaling from @access-manager/testing, which checks each token
// as Twilio does (HS256 with the secret the token route signs with, exp, the video grant) by its
// own clock: the test moves that clock to make Twilio think a token has expired. The page runs
// an AccessManager whose fetchToken reads a token route on 127.0.0.1; connectVideo gets
// twilio-video's `connect` with `wsServer` (the fake) and `insights: false`. No media: the Room
// connects with no SDP answer and stays connected. Run alone: `npx vitest run
// src/connectVideo.browser.test.ts` in packages/video after `pnpm build` of the core
// (VIDEO_SAMPLES=20 takes more samples of the time from 20104 to the Room connected again).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  hasChromium,
  makeToken,
  randomSecret,
  startVideoSignalingFake,
  type VideoSignalingFake,
} from '@access-manager/testing';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const hasBrowser = hasChromium();
const SAMPLES = Number(process.env['VIDEO_SAMPLES'] ?? 5);

/** connectVideo from this package's source, the built core, and twilio-video, for the page. */
async function bundleForPage(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `
        export { AccessManager } from '@access-manager/core';
        export { connectVideo } from './index.ts';
        export { connect } from 'twilio-video';
      `,
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    define: { global: 'globalThis' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * The page: `start(run, room)` makes a manager (fetching from `/token?run=`) and connects a room
 * with connectVideo (`reconnectOnExpiry`); `snapshot(run)` says what happened to it.
 */
const PAGE_SCRIPT = `
import { AccessManager, connect, connectVideo } from '/bundle.js';

const wsServer = new URLSearchParams(location.search).get('ws');
const runs = new Map();
window.start = (id, roomName) => {
  const run = { rooms: [], events: [], first: 'pending', ended: null };
  const manager = new AccessManager({
    fetchToken: async () => (await (await fetch('/token?run=' + id)).json()).token,
  });
  const video = connectVideo(
    manager,
    connect,
    { name: roomName, audio: false, video: false, wsServer, insights: false },
    { reconnectOnExpiry: true },
  );
  video.room$.subscribe({
    next: (room) => {
      run.rooms.push({ room, at: Date.now() });
      const note = (event, error) =>
        run.events.push({ event, code: (error && error.code) ?? null, at: Date.now() });
      room.on('disconnected', (_room, error) => note('disconnected', error));
      room.on('reconnecting', (error) => note('reconnecting', error));
      room.on('reconnected', () => note('reconnected'));
    },
    complete: () => { run.ended = 'complete'; },
    error: (error) => { run.ended = 'error ' + (error.code ?? error.message); },
  });
  video.then(
    () => { run.first = 'connected'; },
    (error) => { run.first = 'rejected ' + (error.code ?? error.name); },
  );
  run.manager = manager;
  run.video = video;
  runs.set(id, run);
};
window.snapshot = (id) => {
  const run = runs.get(id);
  return {
    first: run.first,
    ended: run.ended,
    events: run.events,
    rooms: run.rooms.map(({ room, at }) => ({
      sid: room.sid, name: room.name, state: room.state, at,
      identity: room.localParticipant.identity,
    })),
    managerToken: run.manager.getState().token?.jwt ?? null,
  };
};
window.tryConnect = (token) =>
  connect(token, { name: 'refused', audio: false, video: false, wsServer, insights: false }).then(
    (room) => { room.disconnect(); return 'connected'; },
    (error) => error.code + ' ' + error.message,
  );
window.detach = (id) => runs.get(id).video.detach();
window.leave = (id) => runs.get(id).rooms.at(-1).room.disconnect();
window.ready = true;
`;

interface Snapshot {
  first: string;
  ended: string | null;
  events: Array<{ event: string; code: number | null; at: number }>;
  rooms: Array<{ sid: string; name: string; state: string; at: number; identity: string }>;
  managerToken: string | null;
}

describe.runIf(hasBrowser)('connectVideo with the real twilio-video in Chromium', () => {
  const secret = randomSecret();
  /** How far Twilio's clock (the fake's) is ahead of the page's and the token route's. */
  let twilioAheadMs = 0;
  /** The lifetime of the tokens the route mints, in s. */
  let ttl = 120;
  /** Tokens minted per run. */
  const fetches = new Map<string, string[]>();
  const outside: string[] = [];
  const consoleErrors: string[] = [];
  let fake: VideoSignalingFake;
  let http: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fake = await startVideoSignalingFake({ secret, now: () => Date.now() + twilioAheadMs });
    const bundle = await bundleForPage();
    http = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string) => {
        response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        response.end(body);
      };
      if (url.pathname === '/token') {
        const run = url.searchParams.get('run') ?? '';
        const token = makeToken({ identity: 'alice', grants: { video: {} }, ttl, secret });
        fetches.set(run, [...(fetches.get(run) ?? []), token]);
        return send('application/json', JSON.stringify({ token }));
      }
      if (url.pathname === '/bundle.js') return send('text/javascript', bundle);
      if (url.pathname === '/page.js') return send('text/javascript', PAGE_SCRIPT);
      return send('text/html', '<!doctype html><script type="module" src="/page.js"></script>');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
    const context = await browser.newContext();
    context.on('request', (request) => {
      if (new URL(request.url()).hostname !== '127.0.0.1') outside.push(request.url());
    });
    page = await context.newPage();
    page.on('websocket', (socket) => {
      if (new URL(socket.url()).hostname !== '127.0.0.1') outside.push(socket.url());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${port}/?ws=${encodeURIComponent(fake.url)}`);
    await page.waitForFunction('window.ready === true');
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
    if (http) await new Promise((resolve) => http.close(resolve));
  });

  const snapshot = (run: string): Promise<Snapshot> =>
    page.evaluate((id) => (window as any).snapshot(id), run);
  const until = async (run: string, what: string, check: (s: Snapshot) => boolean) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const seen = await snapshot(run);
      if (check(seen)) return seen;
      if (Date.now() > deadline) throw new Error(`no ${what}: ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const participantsOf = (room: string) => fake.participants.filter((p) => p.roomName === room);

  it('connects with the manager token, reconnects to the same room with a fresh token on 20104, resumes a dropped signaling by itself, and reconnects when the resume is refused', async () => {
    ttl = 120;
    await page.evaluate(() => (window as any).start('a', 'standup'));
    let seen = await until('a', 'room', (s) => s.rooms[0]?.state === 'connected');
    expect(seen.first).toBe('connected');
    expect(fetches.get('a')).toHaveLength(1);
    // The token Twilio saw is the one the manager fetched and holds.
    expect(participantsOf('standup')).toHaveLength(1);
    expect(participantsOf('standup')[0]?.token).toBe(fetches.get('a')?.[0]);
    expect(seen.managerToken).toBe(fetches.get('a')?.[0]);
    expect(seen.rooms[0]).toMatchObject({ name: 'standup', identity: 'alice' });
    const roomSid = seen.rooms[0]?.sid;

    // 20104 while connected: a fresh token (the held one is forced out: Twilio refused it), the
    // same room, connected again. Each time measured from the fake sending 20104.
    const samples: number[] = [];
    for (let i = 1; i <= SAMPLES; i++) {
      const sentAt = Date.now();
      expect(fake.expire()).toBe(1);
      seen = await until('a', `room ${i + 1}`, (s) => s.rooms[i]?.state === 'connected');
      samples.push((seen.rooms[i]?.at ?? 0) - sentAt);
      expect(seen.events.filter((e) => e.event === 'disconnected').map((e) => e.code)).toEqual(
        Array(i).fill(20104),
      );
      expect(seen.rooms[i]?.sid).toBe(roomSid);
      expect(fetches.get('a')).toHaveLength(i + 1);
      expect(participantsOf('standup').at(-1)?.token).toBe(fetches.get('a')?.[i]);
    }
    const sorted = [...samples].sort((x, y) => x - y);
    console.log(
      `20104 → Room connected again, ${SAMPLES} samples: min ${sorted[0]} ms, median ${sorted[Math.floor(SAMPLES / 2)]} ms, max ${sorted.at(-1)} ms`,
    );
    expect(new Set(fetches.get('a')).size).toBe(SAMPLES + 1);

    // The socket dropped while the token is valid: the SDK resumes (sync) with the token it
    // connected with; the same Room, no fetch.
    const fetched = fetches.get('a')?.length;
    const current = participantsOf('standup').at(-1);
    fake.dropConnections();
    seen = await until('a', 'reconnected', (s) => s.events.at(-1)?.event === 'reconnected');
    expect(seen.events.slice(-2).map((e) => e.event)).toEqual(['reconnecting', 'reconnected']);
    expect(seen.rooms).toHaveLength(SAMPLES + 1);
    expect(seen.rooms.at(-1)?.state).toBe('connected');
    expect(current?.resumed).toBe(1);
    expect(fake.tokens.at(-1)).toMatchObject({ type: 'sync', token: current?.token });
    expect(fetches.get('a')).toHaveLength(fetched ?? 0);

    // The socket dropped after Twilio's clock passed the token's expiry: the sync is refused
    // with 20104, the Room disconnects, and connectVideo connects again with a fresh token.
    ttl = 3_600;
    twilioAheadMs = 121_000;
    fake.dropConnections();
    seen = await until('a', 'room after refused sync', (s) => s.rooms.length === SAMPLES + 2);
    seen = await until('a', 'connected', (s) => s.rooms.at(-1)?.state === 'connected');
    twilioAheadMs = 0;
    expect(fake.tokens.filter((r) => r.type === 'sync').at(-1)).toMatchObject({
      token: current?.token,
      refused: { code: 20104 },
    });
    expect(seen.events.filter((e) => e.event === 'disconnected').at(-1)?.code).toBe(20104);
    expect(fetches.get('a')).toHaveLength((fetched ?? 0) + 1);
    expect(participantsOf('standup').at(-1)?.token).toBe(fetches.get('a')?.at(-1));
    expect(seen.rooms.at(-1)?.sid).toBe(roomSid);
    expect(seen.ended).toBeNull();
  }, 40_000);

  it('a completed Room is not connected again: room$ completes, nothing is fetched', async () => {
    await page.evaluate(() => (window as any).start('b', 'completed'));
    await until('b', 'room', (s) => s.rooms[0]?.state === 'connected');
    const tokensBefore = fake.tokens.length;
    expect(fake.complete()).toBeGreaterThanOrEqual(1);
    const seen = await until('b', 'end', (s) => s.ended !== null);
    expect(seen.ended).toBe('complete');
    expect(seen.events.map((e) => [e.event, e.code])).toEqual([['disconnected', 53118]]);
    // A reconnect would have come within a second (the 20104 ones take 40 to 500 ms).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(fake.tokens.length).toBe(tokensBefore);
    expect(fetches.get('b')).toHaveLength(1);
    // complete() ended every room, the first test's too: it ends there without a reconnect.
    expect((await snapshot('a')).ended).toBe('complete');
  });

  it('detach while connecting cancels the connect; once connected it leaves the Room (the fake sees the participant go), and nothing reconnects', async () => {
    // Detached with the connect under way (Twilio has its token, and holds its answer, so
    // that the Room cannot connect first): connect() is cancelled; room$ completes, nobody in.
    const tokensBefore = fake.tokens.length;
    fake.holdConnects = true;
    try {
      await page.evaluate(() => (window as any).start('c', 'cancelled'));
      await fake.waitForToken({ type: 'connect', after: tokensBefore });
      await page.evaluate(() => (window as any).detach('c'));
    } finally {
      fake.holdConnects = false;
    }
    let seen = await until('c', 'end', (s) => s.ended !== null && s.first !== 'pending');
    expect(seen.ended).toBe('complete');
    expect(seen.first).toBe('rejected closed');
    expect(seen.rooms).toEqual([]);
    expect(participantsOf('cancelled')).toEqual([]);
    expect(fetches.get('c')).toHaveLength(1);

    // Detached once connected: connectVideo created the Room, so it leaves it (the SDK sends
    // `disconnect`, the fake lets the participant go); room$ completes; nothing reconnects.
    await page.evaluate(() => (window as any).start('d', 'detached'));
    await until('d', 'room', (s) => s.rooms[0]?.state === 'connected');
    expect(participantsOf('detached').map((p) => p.state)).toEqual(['connected']);
    const tokensBefore2 = fake.tokens.length;
    await page.evaluate(() => (window as any).detach('d'));
    seen = await snapshot('d');
    expect(seen.ended).toBe('complete');
    expect(seen.rooms[0]?.state).toBe('disconnected');
    expect(seen.events.map((e) => [e.event, e.code])).toEqual([['disconnected', null]]);
    await expect
      .poll(() => participantsOf('detached').map((p) => p.state), { timeout: 5_000 })
      .toEqual(['ended']);
    await page.evaluate(() => (window as any).detach('d')); // idempotent
    expect(fake.tokens.length).toBe(tokensBefore2);
    expect(fetches.get('d')).toHaveLength(1);

    // The app left first: detach then has nothing to leave, and does not throw.
    await page.evaluate(() => (window as any).start('e', 'left'));
    await until('e', 'room', (s) => s.rooms[0]?.state === 'connected');
    await page.evaluate(() => (window as any).leave('e'));
    await expect
      .poll(() => participantsOf('left').map((p) => p.state), { timeout: 5_000 })
      .toEqual(['ended']);
    await page.evaluate(() => (window as any).detach('e'));
    seen = await snapshot('e');
    expect(seen.ended).toBe('complete');
    expect(seen.events.map((e) => [e.event, e.code])).toEqual([['disconnected', null]]);
    expect(fetches.get('e')).toHaveLength(1);
  });

  it("twilio-video's connect() rejects a token Twilio would refuse, with Twilio's error", async () => {
    const tryConnect = (token: string) =>
      page.evaluate((jwt) => (window as any).tryConnect(jwt) as Promise<string>, token);
    const iat = Math.floor(Date.now() / 1000) - 120;
    const cases: Array<[string, string]> = [
      [
        makeToken({ grants: { video: {} }, secret, iat, ttl: 60 }),
        '20104 Access Token expired or expiration date invalid',
      ],
      [
        makeToken({ grants: { video: {} }, secret: randomSecret() }),
        '20107 Invalid Access Token signature',
      ],
      [makeToken({ grants: { chat: {} }, secret }), '20106 Invalid Access Token grants'],
      [makeToken({ grants: { video: {} }, secret }), 'connected'],
    ];
    for (const [token, expected] of cases) expect(await tryConnect(token)).toBe(expected);
    expect(participantsOf('refused')).toHaveLength(1);
  });

  it('sent nothing beyond 127.0.0.1 and printed no console error but the two provoked', () => {
    expect(outside).toEqual([]);
    // twilio-video logs a dropped signaling socket at level error, once for each of the two
    // drops of the first test; nothing else.
    const dropped =
      /^\S+ error \[connect #\d+\] event \{elapsedTime: \d+, group: signaling, level: error, name: closed, timestamp: \d+\}$/;
    expect(consoleErrors.filter((text) => !dropped.test(text))).toEqual([]);
    expect(consoleErrors.filter((text) => dropped.test(text))).toHaveLength(2);
  });
});
