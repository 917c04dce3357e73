// Issue 13 in Chromium: the tabs of one origin share the token over a BroadcastChannel, with no
// lock. Pages of one browser context (one origin, one storage partition) each run a manager with
// `shareAcrossTabs: tabSharing()` against a token route on 127.0.0.1 that mints 12-second tokens and
// counts the fetches, so a refresh cycle comes every ~10 s. The test watches 1, then 3, then 4
// pages through three cycles each, a page frozen through a refresh point, and the page that
// fetched last closing. Run alone: `npx vitest run src/tabSharing.browser.test.ts` in
// packages/core after `pnpm build` (TAB_SHARING_LOG=1 prints each cycle and the pages' logs).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium, makeToken } from '@access-manager/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCoreForBrowser } from './testing/coreBundle.js';

const TTL_S = 15;
/** The refresh lead of a 15 s token: a third of its lifetime, less up to 10 % jitter. */
const LEAD_MS = (TTL_S * 1000) / 3;
/** Fetches less than this apart belong to one refresh cycle; cycles are ~10 s apart. */
const SAME_CYCLE_MS = LEAD_MS;
const log = process.env.TAB_SHARING_LOG ? console.log : () => {};

// On a developer machine without Chromium the suite says so and skips; CI installs Chromium and
// sets E2E_REQUIRED=1, so that a missing browser fails there (as examples/demo/e2e.test.js).
const hasBrowser = hasChromium();

/**
 * The page: one manager that shares across tabs, as an app would write it (the default jitter,
 * `Math.random`), with a warning 2 s before expiry so that a 15 s token reads as `valid`. It
 * counts its own fetches and the tokens it adopted, and keeps a heartbeat that shows when it ran.
 */
const PAGE_SCRIPT = `
import { AccessManager, fetchTokenFrom, tabSharing } from '/core.js';

const params = new URLSearchParams(location.search);
const tab = params.get('tab');
const fromServer = fetchTokenFrom('/token?tab=' + tab);
let fetches = 0;
function say(message) {
  console.log(Date.now() + ' tab ' + tab + ': ' + message);
}
const manager = new AccessManager({
  fetchToken: (context) => {
    fetches++;
    return fromServer(context);
  },
  shareAcrossTabs: tabSharing(),
  warnBeforeMs: 2000,
  logger: params.has('log') ? { debug: say, info: say, warn: say, error: say } : undefined,
});
const adopted = [];
manager.token$.subscribe((token) => adopted.push(token.id));
const beats = [];
setInterval(() => beats.push(Date.now()), 100);
window.snapshot = () => {
  const state = manager.getState();
  return {
    fetches,
    adopted: [...adopted],
    tokenId: state.token ? state.token.id : null,
    tokenStatus: state.tokenStatus,
    fetchStatus: state.fetchStatus,
    longestPauseMs: Math.max(0, ...beats.slice(1).map((beat, index) => beat - beats[index])),
  };
};
window.started = true;
`;

const PAGE_HTML =
  '<!doctype html><title>tab sharing</title><script type="module" src="/page.js"></script>';

interface Snapshot {
  fetches: number;
  adopted: string[];
  tokenId: string | null;
  tokenStatus: string;
  fetchStatus: string;
  longestPauseMs: number;
}

interface Fetch {
  at: number;
  tab: string;
  tokenId: string;
}

describe.runIf(hasBrowser)('tabs of one origin share the token in Chromium, with no lock', () => {
  const fetches: Fetch[] = [];
  const outside: string[] = [];
  const problems: string[] = [];
  const pages = new Map<string, Page>();
  let server: Server;
  let origin: string;
  let browser: Browser | undefined;
  let context: BrowserContext;

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const snapshot = (tab: string) =>
    (pages.get(tab) as Page).evaluate(() =>
      (window as unknown as { snapshot(): Snapshot }).snapshot(),
    );
  const newest = () => fetches.at(-1)?.tokenId;

  /** Opens a page of the origin as tab `tab`, and waits for its manager. */
  async function open(tab: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`${tab}: ${error.message}`));
    page.on('console', (message) => log(message.text()));
    pages.set(tab, page);
    await page.goto(`${origin}/?tab=${tab}${process.env.TAB_SHARING_LOG ? '&log' : ''}`);
    await page.waitForFunction(() => (window as { started?: boolean }).started === true);
    return page;
  }

  /** The fetches since `since`, grouped into refresh cycles: fetches under 5 s apart are one. */
  function cycles(since: number): Fetch[][] {
    const groups: Fetch[][] = [];
    let last = -Infinity;
    for (const fetch of fetches.filter(({ at }) => at >= since)) {
      if (fetch.at - last >= SAME_CYCLE_MS) groups.push([]);
      groups.at(-1)?.push(fetch);
      last = fetch.at;
    }
    return groups;
  }

  /** Waits until `count` more refresh cycles have fetched, plus a second to let them settle. */
  async function watchCycles(count: number, what: string): Promise<number[]> {
    const since = Date.now();
    const deadline = since + (count + 1) * TTL_S * 1000;
    while (cycles(since).length < count && Date.now() < deadline) await sleep(100);
    // Past every page's refresh point of the last cycle (the followers' come at most 2 s after the
    // fetching page's), so that a second fetch in it would be counted.
    await sleep(2_500);
    const perCycle = cycles(since)
      .slice(0, count)
      .map((group) => group.length);
    log(`${what}: fetches per cycle ${perCycle.join(', ')}`);
    return perCycle;
  }

  /** Every open page holds the newest token, valid, and idle. */
  async function expectAllOnNewest(): Promise<void> {
    for (const tab of pages.keys()) {
      expect(await snapshot(tab), `tab ${tab}`).toMatchObject({
        tokenId: newest(),
        tokenStatus: 'valid',
        fetchStatus: 'idle',
      });
    }
  }

  beforeAll(async () => {
    const core = await bundleCoreForBrowser();
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string) => {
        response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        response.end(body);
      };
      if (url.pathname === '/') return send('text/html', PAGE_HTML);
      if (url.pathname === '/page.js') return send('text/javascript', PAGE_SCRIPT);
      if (url.pathname === '/core.js') return send('text/javascript', core);
      if (url.pathname === '/token') {
        const token = makeToken({ identity: 'tab-sharing', ttl: TTL_S });
        const tokenId = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
          .jti as string;
        fetches.push({ at: Date.now(), tab: url.searchParams.get('tab') ?? '?', tokenId });
        log(`${Date.now()} server: fetch by tab ${url.searchParams.get('tab')}`);
        return send('application/json', JSON.stringify({ token, serverTime: Date.now() }));
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
    context = await browser.newContext();
    context.on('request', (request) => {
      if (new URL(request.url()).origin !== origin) outside.push(request.url());
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('one page: one fetch per cycle (start-up alone: fetches once the 150 ms window ends)', async () => {
    const start = Date.now();
    await open('1');
    await sleep(1_000);
    expect(fetches.map(({ tab }) => tab)).toEqual(['1']);
    expect(fetches[0]?.at).toBeGreaterThanOrEqual(start + 150);
    expect(await watchCycles(3, '1 tab')).toEqual([1, 1, 1]);
    await expectAllOnNewest();
  }, 60_000);

  it('three pages: opening two beside the first costs no fetch; one fetch per cycle for all', async () => {
    const before = fetches.length;
    await open('2');
    await open('3');
    await sleep(500);
    expect(fetches.length).toBe(before);
    expect((await snapshot('2')).fetches).toBe(0);
    expect((await snapshot('3')).fetches).toBe(0);
    const [first, ...then] = await watchCycles(3, '3 tabs');
    // (With 15 s tokens a follower's refresh point is about 1 s after the leader's, which
    // Chromium's 1 s alignment of background pages' timers can eat on a busy machine: then two
    // fetch in one cycle, their tokens expire in the same second, and the greater JWT makes one
    // leader again. One fetch per cycle from the next cycle on.)
    expect([1, 2]).toContain(first);
    expect(then).toEqual([1, 1]);
    await expectAllOnNewest();
  }, 60_000);

  it('a fourth page opened mid-cycle starts with no fetch; four pages: one fetch per cycle', async () => {
    // Mid-cycle: half a cycle after the last fetch.
    const last = fetches.at(-1)?.at ?? Date.now();
    await sleep(Math.max(0, last + (TTL_S * 1000 - LEAD_MS) / 2 - Date.now()));
    const before = fetches.length;
    await open('4');
    await sleep(500);
    expect(fetches.length).toBe(before);
    expect(await snapshot('4')).toMatchObject({ fetches: 0, tokenId: newest() });
    const [first, ...then] = await watchCycles(3, '4 tabs');
    expect([1, 2]).toContain(first); // (as with three pages)
    expect(then).toEqual([1, 1]);
    await expectAllOnNewest();
  }, 60_000);

  it('a page frozen through a refresh point catches up from the others without a fetch', async () => {
    // A follower: the page that fetched last would fetch at once on waking, as it should.
    const tab = ['2', '3', '4'].find((name) => name !== fetches.at(-1)?.tab) as string;
    const page = pages.get(tab) as Page;
    const session = await context.newCDPSession(page);
    const before = await snapshot(tab);
    // What a browser does to a hidden tab. Chromium 156 accepts it and ignores it for a visible
    // page, and every headless page is visible; so the page's script is also stopped by pausing
    // it in the debugger, which holds its timers and the channel's messages in its task queues,
    // as a frozen page does. The heartbeat below proves that it stopped.
    await session.send('Page.setWebLifecycleState', { state: 'frozen' });
    await session.send('Debugger.enable');
    await session.send('Debugger.pause');
    const frozenAt = Date.now();
    // Two cycles: the frozen page's own refresh point passes while it sleeps.
    const perCycle = await watchCycles(2, `page ${tab} frozen`);
    const frozenForMs = Date.now() - frozenAt;
    await session.send('Debugger.resume');
    await session.send('Page.setWebLifecycleState', { state: 'active' });
    await sleep(1_000);
    const resumed = await snapshot(tab);
    log(`page ${tab} frozen for ${frozenForMs} ms, then: ${JSON.stringify(resumed)}`);
    expect(resumed.longestPauseMs).toBeGreaterThan(frozenForMs - 500);
    expect(perCycle).toEqual([1, 1]);
    expect(resumed).toMatchObject({
      fetches: before.fetches,
      tokenId: newest(),
      tokenStatus: 'valid',
      fetchStatus: 'idle',
    });
    expect(resumed.tokenId).not.toBe(before.tokenId);
    expect(fetches.filter(({ at, tab: by }) => at >= frozenAt && by === tab)).toEqual([]);
    await session.detach();
  }, 60_000);

  it('closing the page that fetched last does not stop the others refreshing', async () => {
    const last = fetches.at(-1)?.tab as string;
    await (pages.get(last) as Page).close();
    pages.delete(last);
    const since = Date.now();
    // The others were followers, whose refresh points fall in a band 0.4 s wide: in the cycle of
    // the handover two of them may both fetch (harmless, and no tab waited); from then on the
    // one that fetched last leads again.
    const [handover, ...after] = await watchCycles(3, `page ${last} closed`);
    expect([1, 2]).toContain(handover);
    expect(after).toEqual([1, 1]);
    expect(fetches.filter(({ at, tab }) => at >= since && tab === last)).toEqual([]);
    await expectAllOnNewest();
  }, 60_000);

  it('nothing went wrong in the pages, and nothing left 127.0.0.1', () => {
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    log(fetches.map(({ at, tab }) => `${at - (fetches[0]?.at ?? 0)} ms: tab ${tab}`).join('\n'));
  });
});
