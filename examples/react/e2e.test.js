// End-to-end: the React example in Chromium (Debian's, driven by playwright-core), its real
// Conversations client and Voice Device talking to local fakes of Twilio's endpoints.

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from '@access-manager/testing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const TTL = 15; // seconds: a refresh cycle every ~10 s

// Without Chromium the suite says so and skips; CI sets E2E_REQUIRED=1, and then it fails.
const hasBrowser = hasChromium();

describe.runIf(hasBrowser)('the React example in Chromium', () => {
  let server;
  let browser;
  let page;
  let origin;
  const problems = [];
  const elsewhere = [];
  const serverLog = [];

  beforeAll(async () => {
    server = spawn(
      process.execPath,
      [join(here, 'server.js'), '--port', '0', '--ttl', String(TTL)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    origin = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${serverLog.join('')}`)), 30_000);
      server.stdout.on('data', (chunk) => {
        serverLog.push(String(chunk));
        const match = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(serverLog.join(''));
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      server.stderr.on('data', (chunk) => serverLog.push(String(chunk)));
      server.on('exit', (code) => reject(new Error(`exited ${code}: ${serverLog.join('')}`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
    page = await browser.newPage();
    // Nothing leaves 127.0.0.1: anything else is recorded and aborted.
    await page.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => {
        elsewhere.push(route.request().url());
        return route.abort();
      },
    );
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
    });
    await page.goto(`${origin}/`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  });

  const fakes = async () => (await fetch(`${origin}/api/state`)).json();
  const read = () =>
    page.evaluate(() => ({
      jti: document.getElementById('token')?.dataset.jti,
      chat: document.getElementById('chat')?.dataset.status,
      voice: document.getElementById('voice')?.dataset.status,
    }));
  const waitFor = async (what, check, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = { page: await read(), fakes: await fakes() };
      if (check(seen)) return seen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(200);
    }
  };
  /** Both fakes have received token `jti` (an init or update; a listen). */
  const bothHold = (s, jti) =>
    s.fakes.conversations.tokens.includes(jti) && s.fakes.voice.tokens.includes(jti);

  it('one fetch per cycle, and both clients hold each new token before the old one expires', async () => {
    let current = await waitFor(
      'the first token in both clients',
      (s) =>
        s.page.jti &&
        s.page.chat === 'synced' &&
        s.page.voice === 'synced' &&
        bothHold(s, s.page.jti),
      30_000,
    );
    // Strict Mode mounted each panel twice: still one client each, so one connection each.
    expect(current.fakes.conversations.openConnections).toBe(1);
    expect(current.fakes.voice.openConnections).toBe(1);
    expect(current.fakes.minted).toHaveLength(1);
    for (let cycle = 1; cycle <= 2; cycle++) {
      const before = current;
      const expiresAt = Date.now() + TTL * 1000;
      current = await waitFor(
        `refresh cycle ${cycle} in both clients`,
        (s) => s.page.jti && s.page.jti !== before.page.jti && bothHold(s, s.page.jti),
        TTL * 1000,
      );
      expect(Date.now()).toBeLessThan(expiresAt);
      expect(current.fakes.minted.length - before.fakes.minted.length).toBe(1);
      expect(current.fakes.minted.at(-1)).toBe(current.page.jti);
    }
  }, 90_000);

  it('unmounting the chat panel shuts its client down; Voice stays', async () => {
    await page.click('#toggle-chat');
    const closed = await waitFor(
      'the Conversations client to close its connection',
      (s) => s.fakes.conversations.openConnections === 0,
      10_000,
    );
    expect(closed.page.chat).toBeUndefined();
    expect(closed.fakes.voice.openConnections).toBe(1);
    expect(closed.page.voice).toBe('synced');
  }, 30_000);

  it('sent nothing beyond 127.0.0.1, and printed no error', () => {
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  });
});
