// End-to-end, the Video row: the demo in Chromium (playwright-core), its Video row running the
// real twilio-video against the demo server's fake Video signaling (signaling only: no media),
// with 10-second tokens. What the Room holds is read from the fake (the token of its open
// signaling connection's connect or sync), not from the page; the row's buttons are clicked as
// a person would. Video has no updateToken: Twilio reads the token when the Room connects and
// when its signaling resumes, so a Room outlives its token until its signaling drops.
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from '@access-manager/testing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from './startDemoServer.js';

const TTL = 10; // seconds: the shortest the demo takes, so that a Room outlives its token soon

// Without Chromium the suite skips, unless E2E_REQUIRED is set (CI): then it fails.
const hasBrowser = hasChromium();

describe.runIf(hasBrowser)('the demo in Chromium: the Video row, real twilio-video', () => {
  let server;
  let url;
  let browser;
  let page;
  const consoleErrors = [];
  const outside = [];
  const figures = {};

  beforeAll(async () => {
    const demo = startDemoServer(TTL);
    server = demo.child;
    url = await demo.url;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    context.on('request', (request) => {
      if (new URL(request.url()).hostname !== '127.0.0.1') outside.push(request.url());
    });
    page = await context.newPage();
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('websocket', (socket) => {
      if (new URL(socket.url()).hostname !== '127.0.0.1') outside.push(socket.url());
    });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    console.log(`video e2e figures: ${JSON.stringify(figures)}`);
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  });

  /** What the fake Video signaling server has seen, read from the demo server. */
  const twilioVideo = async () => (await (await fetch(`${url}api/state`)).json()).twilio.video;
  /** Tokens the demo's token server has minted. */
  const minted = async () => (await (await fetch(`${url}api/state`)).json()).fetches.minted;
  /** The Video row, as the page shows it. */
  const row = () =>
    page.evaluate(() => {
      const tr = document.querySelector('tr[data-sdk="video"]');
      return {
        what: tr.querySelector('.what')?.textContent,
        online: tr.dataset.online === 'true',
        status: tr.dataset.status,
        token: tr.dataset.token,
        twilioTokens: tr.dataset.twilioTokens,
        created: Number(tr.dataset.created),
        connection: tr.querySelector('[data-field="online"]')?.textContent,
        buttons: [...tr.querySelectorAll('button')].map((b) => b.textContent),
        // The token the page's AccessManager holds.
        managerToken: document.getElementById('token-jti')?.dataset.token,
      };
    });
  /** Row and fake together, once `check` holds (polled every 50 ms). */
  const until = async (what, check, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = { row: await row(), twilio: await twilioVideo() };
      if (check(seen)) return seen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** The one open signaling connection of the Room, as the fake sees it. */
  const openOne = (twilio) => (twilio.open.length === 1 ? twilio.open[0] : undefined);
  const click = (label) =>
    page.click(`tr[data-sdk="video"] button:text-is("${label}")`, { timeout: 5_000 });

  it("connects the real Room with the manager's token, the one the fake took (the page shows it), and says media is not faked", async () => {
    const seen = await until(
      'the room connected',
      (s) =>
        s.row.online &&
        s.row.token &&
        openOne(s.twilio)?.token === s.row.token &&
        s.row.twilioTokens === s.row.token,
      20_000,
    );
    expect(seen.row.what).toMatch(
      /^twilio-video 2\.36\.0, real, against a local fake Twilio signaling endpoint; media not faked/,
    );
    expect(seen.row.connection).toBe('room connected');
    expect(seen.row.token).toBe(seen.row.managerToken);
    expect(seen.row.buttons).toEqual(['Expire', 'Drop signaling', 'Complete', 'Leave', 'Join']);
    expect(openOne(seen.twilio).method).toBe('connect');
    expect(seen.twilio.refused).toBe(0);
    expect(seen.twilio.inRoom).toBe(1);
  }, 30_000);

  it('Drop signaling while the token is valid: the Room resumes with its own token, no new connect, no fetch', async () => {
    let before = await until('the room connected', (s) => s.row.online && openOne(s.twilio));
    // Well inside the token's life, so that the resume is taken and the manager's own refresh
    // (3 to 3.3 s before a 10-s token expires) is not due: a Room whose token has less than 7 s
    // left is replaced first (its token changes only when a Room connects).
    if (Number(before.row.token.split('/')[1]) * 1000 - Date.now() < 7_000) {
      await click('Expire');
      before = await until(
        'a fresh room',
        (s) => s.row.online && s.row.created === before.row.created + 1 && openOne(s.twilio),
      );
    }
    const mintedBefore = await minted();
    await click('Drop signaling');
    const seen = await until(
      'the resume',
      (s) => s.row.online && openOne(s.twilio)?.method === 'sync',
    );
    // Nothing fetched: the token server minted nothing, the manager holds what it held.
    expect(await minted()).toBe(mintedBefore);
    expect(seen.row.managerToken).toBe(before.row.managerToken);
    expect(openOne(seen.twilio).token).toBe(before.row.token);
    expect(seen.twilio.connections).toBe(before.twilio.connections + 1);
    // One token more reached the fake: the sync's. No new Room, no new connect.
    expect(seen.twilio.received).toBe(before.twilio.received + 1);
    expect(seen.row.created).toBe(before.row.created);
    expect(seen.row.token).toBe(before.row.token);
    expect(seen.twilio.refused).toBe(0);
  }, 30_000);

  it('Expire: 20104 disconnects the Room, and connectVideo connects again with a fresh token', async () => {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const before = await until('the room connected', (s) => s.row.online && openOne(s.twilio));
      const clickedAt = Date.now();
      await click('Expire');
      const seen = await until(
        'a new room',
        (s) =>
          s.row.online &&
          s.row.created === before.row.created + 1 &&
          openOne(s.twilio)?.method === 'connect' &&
          openOne(s.twilio)?.token === s.row.token,
      );
      samples.push(Date.now() - clickedAt);
      expect(seen.row.token).not.toBe(before.row.token);
    }
    figures.expireToConnectedAgainMs = samples;
  }, 40_000);

  /**
   * Nothing more reaches the fake for `ms` (no new connection, no token, no participant), and
   * the row did not plan a new connection: it would have said `connecting again` in the timeline
   * at once (and connected a second later), and shown `failed`.
   */
  const nothingConnectsFor = async (ms, before) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = { row: await row(), twilio: await twilioVideo() };
    expect(after.twilio.connections).toBe(before.twilio.connections);
    expect(after.twilio.received).toBe(before.twilio.received);
    expect(after.twilio.inRoom).toBe(0);
    expect(after.row.created).toBe(before.row.created);
    expect(after.row.online).toBe(false);
    expect(after.row.status).toBe('detached');
    expect(await page.evaluate(() => document.body.innerText)).not.toContain('connecting again');
  };
  /** Join: a new Room with the manager's token, as the fake sees it. */
  const joinRoom = async (before) => {
    await click('Join');
    const seen = await until(
      'the room joined',
      (s) =>
        s.row.online &&
        s.row.created === before.row.created + 1 &&
        openOne(s.twilio)?.method === 'connect' &&
        openOne(s.twilio)?.token === s.row.token &&
        s.twilio.inRoom === 1,
    );
    expect(seen.row.status).toBe('synced');
  };

  it('Complete: the fake ends the Room with 53118, and nothing connects again until Join', async () => {
    const before = await until('the room connected', (s) => s.row.online && openOne(s.twilio));
    await click('Complete');
    const seen = await until(
      'the room completed',
      (s) => !s.row.online && s.row.status === 'detached' && s.twilio.inRoom === 0,
    );
    expect(seen.row.connection).toBe('room disconnected');
    expect(seen.row.token).toBe('');
    expect(seen.twilio.received).toBe(before.twilio.received);
    const notes = await page.evaluate(() => document.body.innerText);
    expect(notes).toContain('video: disconnected with 53118');
    // connectVideo's reconnect would reach the fake within a few hundred ms (a 20104 one
    // does); the row's own would have shown in the timeline at once.
    await nothingConnectsFor(800, seen);
    await joinRoom(seen);
  }, 20_000);

  it("Leave: the link's detach disconnects the Room (the fake sees the participant leave), nothing connects again, and Join connects a new one", async () => {
    const before = await until(
      'the room connected',
      (s) => s.row.online && openOne(s.twilio) && s.twilio.inRoom === 1,
    );
    await click('Leave');
    const seen = await until(
      'the room left',
      (s) => !s.row.online && s.row.status === 'detached' && s.twilio.inRoom === 0,
    );
    expect(seen.row.connection).toBe('room disconnected');
    expect(seen.twilio.connections).toBe(before.twilio.connections);
    expect(seen.twilio.received).toBe(before.twilio.received);
    await nothingConnectsFor(800, seen);
    await joinRoom(seen);
  }, 20_000);

  // Last of the Room tests: a Room joined just before holds the manager's token, which has 5 to
  // 10 s left, so that the wait for it to expire is shorter than after Expire's fresh one.
  it('Drop signaling after the token expired: the resume is refused with 20104, and a new Room connects with a fresh token', async () => {
    const before = await until('the room connected', (s) => s.row.online && openOne(s.twilio));
    const exp = Number(before.row.token.split('/')[1]) * 1000;
    // The Room outlives its token: still connected after the token's expiry.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp - Date.now() + 500)));
    const expired = await row();
    expect(expired.online).toBe(true);
    expect(expired.token).toBe(before.row.token);
    await click('Drop signaling');
    const seen = await until(
      'a new room after the refused resume',
      (s) =>
        s.twilio.refused === before.twilio.refused + 1 &&
        s.row.online &&
        s.row.created === before.row.created + 1 &&
        openOne(s.twilio)?.method === 'connect' &&
        openOne(s.twilio)?.token === s.row.token,
    );
    expect(seen.row.token).not.toBe(before.row.token);
    expect(Number(seen.row.token.split('/')[1]) * 1000).toBeGreaterThan(Date.now());
  }, 40_000);

  it('printed no console error and sent nothing beyond 127.0.0.1', () => {
    expect(consoleErrors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
