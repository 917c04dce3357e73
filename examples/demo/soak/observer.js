// What the soak records while the demo runs: every few hundred ms, the demo server's view (the
// token each real client's open connections hold, as the fake Twilio endpoints saw it) and each
// tab's page (its token, status, rows), read like a person reading the screen. From those: the
// tokens adopted and when, when each reached every client, and whether the demo is healthy.
import { DELIVERED_TO } from './verdict.js';

const ROWS = [...DELIVERED_TO, 'video'];

/** Reads one tab's page: the token it holds, its status and its rows. Runs in the page. */
function readPage() {
  const status = document.getElementById('status');
  const rows = {};
  for (const tr of document.querySelectorAll('tr[data-sdk]')) {
    rows[tr.dataset.sdk] = { online: tr.dataset.online === 'true', token: tr.dataset.token };
  }
  return {
    token: document.getElementById('token-jti')?.dataset.token || undefined,
    status: status?.dataset.status,
    tokenStatus: status?.dataset.tokenStatus,
    errorShown: !document.getElementById('last-error')?.hidden,
    rows,
  };
}

const withTimeout = (promise, ms) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);

/** `jti/exp` → exp in ms (the fakes judge expiry by it, on this machine's clock). */
export const expiryOf = (name) => Number(name.split('/').at(-1)) * 1000;

/**
 * Whether the demo is healthy in a snapshot: no tab frozen, every tab on one token that is not
 * expired, no error shown, every row online and holding it, and every real client's connections
 * (one a tab) holding it at the fake Twilio endpoint.
 */
export function isHealthy({ pages, server }, tabs) {
  if (!server?.twilio || pages.length !== tabs || pages.some((p) => !p)) return false;
  const token = pages[0].token;
  if (!token) return false;
  for (const page of pages) {
    if (page.token !== token || page.errorShown) return false;
    if (page.tokenStatus !== 'valid' && page.tokenStatus !== 'expiring') return false;
    for (const name of ROWS) {
      const row = page.rows[name];
      if (!row?.online || (name !== 'video' && row.token !== token)) return false;
    }
  }
  return DELIVERED_TO.every((name) => {
    const open = server.twilio[name]?.open ?? [];
    return open.length === tabs && open.every((c) => c.token === token);
  });
}

export class Observer {
  /** Tokens in the order they were first seen adopted by a tab: `{ name, at, expMs }`. */
  adoptions = [];
  /** token name → client → when the fake received it on the last of the client's connections. */
  deliveries = {};
  /** The latest snapshot: `{ at, server, pages, healthy, token }` (`token`: the first tab read). */
  latest = undefined;
  polls = 0;
  #seen = new Set();
  #waiters = [];
  #stopped = false;
  #loop;

  /**
   * @param {object} options
   * @param {string} options.url the demo's address
   * @param {Array<{ page: import('playwright-core').Page, frozen: boolean }>} options.tabs
   * @param {number} [options.everyMs]
   */
  constructor({ url, tabs, everyMs = 300 }) {
    this.url = url;
    this.tabs = tabs;
    this.everyMs = everyMs;
  }

  start() {
    this.#loop = this.#run();
  }

  async stop() {
    this.#stopped = true;
    await this.#loop;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('observer stopped'));
  }

  /** The first snapshot taken wholly after now. */
  next() {
    const after = Date.now();
    return new Promise((resolve, reject) => this.#waiters.push({ after, resolve, reject }));
  }

  /** The demo server's state, read from Node: it answers while a page is frozen. */
  async serverState() {
    const response = await withTimeout(fetch(`${this.url}api/state`), 5_000);
    return response.json();
  }

  async #run() {
    while (!this.#stopped) {
      const startedAt = Date.now();
      try {
        await this.#poll(startedAt);
      } catch {
        // A read that failed (the server busy, a page navigating): the next poll tries again.
      }
      const pause = Math.max(50, this.everyMs - (Date.now() - startedAt));
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async #poll(startedAt) {
    const [server, ...pages] = await Promise.all([
      this.serverState(),
      ...this.tabs.map((tab) =>
        tab.frozen ? null : withTimeout(tab.page.evaluate(readPage), 5_000).catch(() => null),
      ),
    ]);
    const at = Date.now();
    for (const page of pages) {
      if (page?.token && !this.#seen.has(page.token)) {
        this.#seen.add(page.token);
        this.adoptions.push({ name: page.token, at, expMs: expiryOf(page.token) });
      }
    }
    for (const name of DELIVERED_TO) {
      const open = server.twilio?.[name]?.open ?? [];
      const token = open[0]?.token;
      if (!token || open.length < this.tabs.length || open.some((c) => c.token !== token)) continue;
      this.deliveries[token] ??= {};
      this.deliveries[token][name] ??= Math.max(...open.map((c) => c.at ?? at));
    }
    const healthy = isHealthy({ pages, server }, this.tabs.length);
    this.latest = { at, server, pages, healthy, token: pages.find(Boolean)?.token };
    this.polls++;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.after > startedAt) return true;
      waiter.resolve(this.latest);
      return false;
    });
  }
}
