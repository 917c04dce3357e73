// @vitest-environment node
// Hydration in Chromium: the page that react-dom/server renders in Node (every hook, the none
// snapshot) hydrates in the browser without a mismatch, then follows the manager's own state.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessManager } from '@access-manager/core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium, makeToken } from '@access-manager/testing';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../test/hydrationApp.js';

const here = dirname(fileURLToPath(import.meta.url));
const REACT = process.env.REACT_VERSION ?? '19';

// Without Chromium the suite skips, unless E2E_REQUIRED is set (CI), as examples/demo/e2e.test.js.
const hasBrowser = hasChromium();

/** react and react-dom of the React under test, for the browser bundle. */
function reactAliases(): Record<string, string> {
  if (REACT !== '18') return {};
  const env = createRequire(import.meta.url).resolve('@access-manager/react-18-env/package.json');
  const require18 = createRequire(env);
  return {
    react: dirname(require18.resolve('react/package.json')),
    'react-dom': dirname(require18.resolve('react-dom/package.json')),
  };
}

describe.runIf(hasBrowser)(`hydration in Chromium (React ${REACT})`, () => {
  let server: Server;
  let browser: Browser;
  let origin = '';
  let tokensServed = 0;
  let markup = '';

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [join(here, '..', 'test', 'hydrationClient.tsx')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      jsx: 'automatic',
      alias: reactAliases(),
      // The development build: it is the one that reports hydration mismatches.
      define: { 'process.env.NODE_ENV': '"development"' },
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]?.text ?? '';
    const manager = new AccessManager(); // the server's: holds no token, fetches nothing
    markup = renderToString(<App manager={manager} />);
    manager.close();
    const page = `<!doctype html><html><head><meta charset="utf-8"><title>hydration</title></head><body><div id="root">${markup}</div><script type="module" src="/client.js"></script></body></html>`;
    server = createServer((request, response) => {
      if (request.url === '/token') {
        tokensServed++;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ token: makeToken({ identity: 'hydra' }) }));
      } else if (request.url === '/client.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        response.end(script);
      } else if (request.url === '/favicon.ico') {
        response.writeHead(204).end();
      } else if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end(page);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('hydrates without a mismatch, then shows the token, with one fetch', async () => {
    // The server's markup: the none snapshot, no client, the Suspense fallback.
    expect(markup).toContain('<p id="status">empty</p><p id="token">no token</p>');
    expect(markup).toContain('<p id="chat">creating no client</p>');
    expect(markup).toContain('<span id="fallback">waiting</span>');
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        messages.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.waitForFunction(
      () => document.getElementById('token')?.textContent === 'hydra',
      undefined,
      { timeout: 10_000 },
    );
    await page.waitForSelector('#suspended');
    expect(await page.textContent('#chat')).toBe('synced client');
    expect(await page.textContent('#suspended')).toBe('hydra');
    const recoverable = await page.evaluate(() => window.recoverableErrors);
    const mismatch = /hydrat|match|server rendered|did not expect/i;
    expect(messages.filter((text) => mismatch.test(text))).toEqual([]);
    expect(recoverable.filter((text) => mismatch.test(text))).toEqual([]);
    expect(messages).toEqual([]);
    // The one thing React reports: the Suspense boundary of useAccessTokenSuspense, which the
    // server left to the client (AccessManagerReactError client_only), rendered on the client.
    expect(recoverable).toHaveLength(1);
    expect(recoverable[0]).toMatch(/Client only$/);
    expect(tokensServed).toBe(1);
    await page.close();
  }, 60_000);
});
