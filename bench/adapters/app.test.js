import { eventually } from '@access-manager/testing';
import { describe, expect, it } from 'vitest';
import { CLIENTS, startApp } from './app.js';

/*
 * The proof: four real clients attached to one manager, all warning within the same
 * second, make exactly one token-server request, and every client gets that token. The same app
 * wired as the Twilio docs show makes four: the count can tell them apart.
 */

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const allHold = (app, token) => Object.values(app.tokensHeld()).every((held) => held === token);

describe.concurrent('four real clients warning within one second', () => {
  it('with the adapters: one token request, whose token reaches all four', async (ctx) => {
    // The token server takes 300 ms: the second warning comes during the fetch, the last two
    // after the new token was pushed.
    const app = await startApp({ wiring: 'adapters', delayMs: 300 });
    ctx.onTestFinished(() => app.close());
    const warned = app.warn();
    await eventually(() => app.tokens.served.length === 1 && allHold(app, app.tokens.served[0]));
    await warned;
    await delay(300);
    expect(app.tokens.served).toHaveLength(1);
    expect(app.manager.token).toBe(app.tokens.served[0]);
    for (const link of app.links) expect(link.getState().status).toBe('synced');
  });

  it('wired as the Twilio docs show: four token requests', async (ctx) => {
    const app = await startApp({ wiring: 'docs', delayMs: 300 });
    ctx.onTestFinished(() => app.close());
    await app.warn();
    await eventually(() => app.tokens.served.length === CLIENTS.length);
    await eventually(() =>
      Object.values(app.tokensHeld()).every((token) => app.tokens.served.includes(token)),
    );
    await delay(300);
    expect(app.tokens.served).toHaveLength(4);
    expect(new Set(Object.values(app.tokensHeld())).size).toBe(4);
  });

  it("with the adapters, one client's hung push never delays the others", async (ctx) => {
    const app = await startApp({ wiring: 'adapters' });
    ctx.onTestFinished(() => app.close());
    const release = app.fakes.sync.holdUpdates(); // Sync's server never answers its update
    const next = await (await fetch(app.tokens.url)).json().then((body) => body.token);
    await app.manager.updateToken(next);
    const statuses = () => app.links.map((link) => link.getState().status);
    await eventually(() =>
      statuses()
        .slice(1)
        .every((status) => status === 'synced'),
    );
    expect(app.tokensHeld()).toMatchObject({ conversations: next, chat: next, voice: next });
    expect(statuses()).toEqual([
      'updating', // Sync, still waiting
      'synced',
      'synced',
      'synced',
    ]);
    release();
    await eventually(() => app.links[0].getState().status === 'synced');
  });
});
