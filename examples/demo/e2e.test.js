// End-to-end: the demo in a real browser (Debian's Chromium, driven by playwright-core).
// Starts the demo server on 127.0.0.1 with short-lived tokens, then watches refresh cycles, an
// outage that expires the token, and the recovery, the way a person would see them on the page.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TTL = 15; // seconds: a refresh cycle every ~10 s
const PUSHED = ['conversations', 'chat', 'sync', 'voice']; // the SDKs that take updateToken

// On a developer machine without Chromium the suite says so and skips; CI installs Chromium and
// sets E2E_REQUIRED=1, so that a missing browser fails there.
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.E2E_REQUIRED) throw new Error(`no Chromium at ${CHROMIUM}`);

describe.runIf(hasBrowser)('the demo in Chromium', () => {
  let server;
  let browser;
  let page;
  const problems = [];
  const serverLog = [];

  beforeAll(async () => {
    server = spawn(
      process.execPath,
      [join(here, 'server.js'), '--port', '0', '--ttl', String(TTL)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo did not start: ${serverLog.join('')}`)),
        20_000,
      );
      server.stdout.on('data', (chunk) => {
        serverLog.push(String(chunk));
        const match = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(serverLog.join(''));
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      server.stderr.on('data', (chunk) => serverLog.push(String(chunk)));
      server.on('exit', (code) => reject(new Error(`demo exited ${code}: ${serverLog.join('')}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      // The browser reports every non-2xx response it receives as a console error: the 503s
      // this test provokes on purpose are the token server being down, not a page error.
      if (/Failed to load resource: the server responded with a status of 503/.test(message.text()))
        return;
      problems.push(`console.error: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  });

  /** What the page shows, read from its DOM like a person reading the screen. */
  const read = () =>
    page.evaluate(() => {
      const text = (id) => document.getElementById(id)?.textContent ?? '';
      const rows = Object.fromEntries(
        [...document.querySelectorAll('tr[data-sdk]')].map((tr) => [
          tr.dataset.sdk,
          {
            status: tr.dataset.status,
            online: tr.dataset.online === 'true',
            jti: tr.dataset.jti,
            offline: Number(tr.dataset.offlineCount),
          },
        ]),
      );
      return {
        status: document.getElementById('status')?.dataset.status,
        jti: document.getElementById('token-jti')?.dataset.jti,
        expires: Number(document.getElementById('token-expires')?.dataset.expires),
        fetches: Number(text('fetches')),
        pushes: Number(text('pushes')),
        rows,
      };
    });

  const waitFor = async (what, check, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await read();
      if (check(seen)) return seen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(100);
    }
  };

  it('refreshes three times, one fetch per cycle, every SDK updated before its token expires', async () => {
    let current = await waitFor(
      'a first token on every SDK',
      (s) => s.jti && PUSHED.every((n) => s.rows[n]?.jti === s.jti),
      10_000,
    );
    for (let cycle = 1; cycle <= 3; cycle++) {
      const before = current;
      const next = await waitFor(
        `refresh cycle ${cycle}`,
        (s) => s.jti && s.jti !== before.jti,
        TTL * 1000,
      );
      expect(next.fetches - before.fetches).toBe(1);
      // Every SDK holds the new token before the old one expires.
      current = await waitFor(
        `every SDK to hold token ${next.jti} before ${before.jti} expires`,
        (s) =>
          PUSHED.every(
            (name) => s.rows[name]?.jti === next.jti && s.rows[name]?.status === 'synced',
          ),
        Math.max(500, before.expires - Date.now()),
      );
      expect(Date.now()).toBeLessThan(before.expires);
      expect(current.fetches - before.fetches).toBe(1);
      for (const name of [...PUSHED, 'video']) {
        expect(current.rows[name], name).toMatchObject({ online: true, offline: 0 });
      }
      if (cycle === 2) {
        await page.waitForTimeout(2_000); // mid-cycle: the bar has run down a little
        mkdirSync(join(here, '..', '..', 'docs'), { recursive: true });
        await page.screenshot({ path: join(here, '..', '..', 'docs', 'demo.png') });
      }
    }
    expect(current.pushes).toBeGreaterThanOrEqual(3 * PUSHED.length);
  }, 90_000);

  it('goes expired during an outage, and recovers by itself within the backoff bound', async () => {
    await page.click('#toggle-down');
    const expired = await waitFor(
      'the token to expire',
      (s) => s.status === 'expired',
      (TTL + 5) * 1000,
    );
    expect(Object.values(expired.rows).some((row) => !row.online)).toBe(true);
    const downSince = Date.now();
    await page.waitForTimeout(3_000); // a few more failed attempts: the backoff grows
    await page.click('#toggle-down');
    const back = Date.now();
    // max backoff 30 s, plus the fetch and the pushes
    const recovered = await waitFor(
      'recovery with every SDK online',
      (s) =>
        (s.status === 'valid' || s.status === 'expiring') &&
        [...PUSHED, 'video'].every((name) => s.rows[name]?.online) &&
        PUSHED.every((name) => s.rows[name]?.jti === s.jti),
      35_000,
    );
    expect(recovered.jti).not.toBe(expired.jti);
    expect(Date.now() - back).toBeLessThan(35_000);
    expect(back - downSince).toBeGreaterThan(0);
  }, 90_000);

  it('loads the real SDKs of real mode (Conversations, Sync, Voice, Video) without an error', async () => {
    // Real mode needs Twilio credentials and Twilio's servers; here the bundle must at least
    // build and evaluate in the browser, so that real mode cannot rot unseen.
    // (A string, so that vitest does not rewrite the browser's `import()`.)
    const exported = await page.evaluate(
      "import('/real-sdks.js').then((m) => typeof m.attachRealSdks)",
    );
    expect(exported).toBe('function');
  }, 60_000);

  it('printed no console error and no page error', () => {
    expect(problems).toEqual([]);
  });

  it('logs tokens by jti, identity and expiry, never the JWT', () => {
    const log = serverLog.join('');
    expect(log).toMatch(/minted jti=SK0{32}-\d+ identity=demo-user expires=\d{4}-/);
    expect(log).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
