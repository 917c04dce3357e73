// @vitest-environment node
// Server rendering: in Node, with no DOM. Nothing of the package is imported before the test
// has set traps on the browser globals.
import { AccessManager } from '@access-manager/core';
import { Suspense } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachTestDouble, SdkClientDouble } from '../test/clientLinkDouble.js';
import { chatToken } from '../test/harness.js';

const BROWSER_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'self',
  'HTMLElement',
  'requestAnimationFrame',
];

/** Makes every browser global that Node lacks a getter that records who read it. */
function trapBrowserGlobals(): { touched: string[]; restore(): void } {
  const touched: string[] = [];
  const trapped = BROWSER_GLOBALS.filter((name) => !(name in globalThis));
  for (const name of trapped) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get: () => {
        touched.push(name);
        return undefined;
      },
    });
  }
  return {
    touched,
    restore: () => {
      for (const name of trapped) delete (globalThis as Record<string, unknown>)[name];
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('on a server', () => {
  it('importing the package touches no browser global', async () => {
    expect(typeof document).toBe('undefined'); // a Node environment, no DOM
    vi.resetModules();
    const traps = trapBrowserGlobals();
    try {
      const module = await import('./index.js');
      expect(Object.keys(module)).toContain('useTwilioClient');
      // The server snapshot comes from a manager made then: that touches nothing either.
      expect(module.getServerState()).toMatchObject({ status: 'empty', tokenStatus: 'none' });
    } finally {
      traps.restore();
    }
    expect(traps.touched).toEqual([]);
  });

  it('renderToString of every hook gives the none snapshot, starts no fetch, makes no client', async () => {
    const {
      AccessManagerProvider,
      useAccessManager,
      useAccessManagerState,
      useAccessToken,
      useAccessTokenSuspense,
      useTwilioClient,
    } = await import('./index.js');
    const fetchToken = vi.fn(() => Promise.resolve(chatToken()));
    // A manager that holds a token, so that making it fetches nothing: any fetch would be a hook's.
    const manager = new AccessManager({ token: chatToken(), fetchToken, wakeSignals: false });
    const factory = vi.fn((jwt: string) => new SdkClientDouble(jwt));
    function Identity() {
      return <span id="suspended">{useAccessTokenSuspense().identity}</span>;
    }
    function Page() {
      const fromProvider = useAccessManager();
      const state = useAccessManagerState();
      const status = useAccessManagerState((s) => s.status);
      const token = useAccessToken();
      const chat = useTwilioClient(attachTestDouble, factory);
      return (
        <main>
          <p id="status">{`${state.status} ${state.tokenStatus} ${state.fetchStatus} ${status}`}</p>
          <p id="token">{token ? token.identity : 'no token'}</p>
          <p id="chat">{`${chat.status} ${chat.client ? 'client' : 'no client'}`}</p>
          <p id="handler">{String(fromProvider === manager)}</p>
          <Suspense fallback={<span id="fallback">waiting</span>}>
            <Identity />
          </Suspense>
        </main>
      );
    }
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let html = '';
    try {
      html = renderToString(
        <AccessManagerProvider manager={manager}>
          <Page />
        </AccessManagerProvider>,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(html).toContain('<p id="status">empty none idle empty</p>');
      expect(html).toContain('<p id="token">no token</p>');
      expect(html).toContain('<p id="chat">creating no client</p>');
      expect(html).toContain('<p id="handler">true</p>');
      expect(html).toContain('<span id="fallback">waiting</span>');
      expect(html).not.toContain('id="suspended"');
      expect(fetchToken).not.toHaveBeenCalled();
      expect(factory).not.toHaveBeenCalled();
      expect(errors).not.toHaveBeenCalled();
    } finally {
      manager.close();
    }
  });
});
