// Hostile review of the link engine after the size refactor (issue 17, 87792fc..675be7d): each
// test is a finding that failed on the code under review and passes since its fix, ranked by harm
// (worst first). Public
// API only, fake timers. Each test says whether it passes on 87792fc (a regression) or not
// (older than the refactor).
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient, type ClientLinkState, type ClientSpec } from './attachClient.js';
import { onFakeTime } from './testing/onFakeTime.js';
import { type TwilsockClientLike, twilsockSpec } from './twilsockSpec.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const grants = { chat: { service_sid: 'IS1' } };
const tokenFor = (identity: string, iatOffsetS = 0, ttl = 3600) =>
  makeToken({ identity, iat: nowS() + iatOffsetS, ttl, grants });

const { cleanup, managed } = onFakeTime(T0, { wakeSignals: false, random: () => 0.5 });

describe('finding 1 (older than the refactor): a twilsock client’s failed push asks a push-only app for a new token', () => {
  it('Conversations on a push-only manager: after a failed push, the app hears tokenWillExpire or tokenExpired (source sdk)', async () => {
    // retrySameToken: false (twilsock skips a token it stored): the retry is a new token, asked
    // for with manager.refresh({ force: true }). A push-only manager has no fetchToken: that
    // refresh rejects ('No fetchToken'), the rejection is swallowed, and nobody tells the app,
    // which is the only one that can mint the next token. The link stays `retrying` with no
    // timer; the client's own tokenAboutToExpire then does nothing either (decideSignal says
    // push, and deliver skips the spent token); only its tokenExpired, once its old token is
    // gone and twilsock has dropped the connection, reaches the app (checked so).
    const first = tokenFor('alice', -100, 400);
    const manager = managed({ token: first });
    const fromSdk: string[] = [];
    manager.events$.subscribe((e) => {
      if ('source' in e && e.source === 'sdk') fromSdk.push(e.type);
    });
    const listeners = new Map<string, Set<(arg?: { errorCode?: number }) => void>>();
    let refuse = true;
    const client: TwilsockClientLike & { pushes: string[] } = {
      connectionState: 'connected',
      pushes: [],
      updateToken(jwt) {
        this.pushes.push(jwt);
        return refuse ? Promise.reject(new Error('twilsock: update failed')) : Promise.resolve();
      },
      on: (event, listener) => {
        listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
      },
      off: (event, listener) => listeners.get(event)?.delete(listener),
    };
    const link = attachClient(manager, client, twilsockSpec('conversations', 'chat'), {
      token: first,
      random: () => 0.5,
    });
    cleanup.unshift(() => link.detach());
    const next = tokenFor('alice');
    await manager.updateToken(next); // the app's new token: its push fails once
    await flush();
    expect(client.pushes).toEqual([next]);
    expect(link.getState().status).toBe('retrying');
    refuse = false;
    await vi.advanceTimersByTimeAsync(30_000); // far past the backoff (0.5 x 1 s)
    expect(fromSdk.length).toBeGreaterThan(0);
  });
});

describe('finding 2 (older than the refactor): a link’s bad options fail at once with invalid_option', () => {
  // The manager checks its timings (InvalidOptionError naming the option: "an unset
  // Number(process.env.X) would otherwise switch off every refresh"); attachClient checks none.
  // With retry.minDelayMs NaN every backoff is NaN, which a timer runs at once: a factory that
  // fails was called 102 times in 100 ms of fake time, and a push that fails was retried as
  // often (an SDK client made, or a token sent to Twilio, every millisecond); retry.maxDelayMs
  // -1 does the same (102 calls in 100 ms: a negative delay runs at once). pushTimeoutMs -1
  // times out every push that does not answer within the same tick.
  const quiet: ClientSpec<object> = { name: 'quiet', grant: 'chat', updateToken: () => {} };
  it.each([
    ['retry.minDelayMs NaN', { retry: { minDelayMs: Number.NaN } }],
    ['retry.maxDelayMs -1', { retry: { maxDelayMs: -1 } }],
    ['pushTimeoutMs -1', { pushTimeoutMs: -1 }],
    ['startTimeoutMs NaN', { startTimeoutMs: Number.NaN }],
  ])('%s', (name, options) => {
    const manager = managed({ token: tokenFor('alice') });
    let link: { detach(): void } | undefined;
    try {
      link = attachClient(manager, () => ({}), quiet, options);
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_option' });
      return;
    }
    link.detach();
    expect.fail(`attached with ${name}`);
  });
});

describe('finding 3 (the lead’s 7c4cce5 with 509b1c4; passes on 87792fc): detach() from a state$ subscriber is delivered after its callback, not inside it', () => {
  const quiet: ClientSpec<{ pushes: string[] }> = {
    name: 'quiet',
    grant: 'chat',
    updateToken: (client, jwt) => {
      client.pushes.push(jwt);
    },
  };

  it('a subscriber that closes the manager on `failed` and then renders what it got ends on `detached`', async () => {
    // A UI: on a failed link, sign the user out for good (close), then render the state it got.
    // Deliveries are queued, not re-entered (STYLE.md): the `detached` its own close() causes
    // comes after this callback returns. Since Broadcast.complete() delivers `last` at once, the
    // subscriber hears `detached` inside its `failed` callback and renders `failed` last.
    const manager = managed({ token: tokenFor('alice') });
    const link = attachClient(manager, { pushes: [] }, quiet, { token: tokenFor('alice', -1) });
    cleanup.unshift(() => link.detach());
    const rendered: string[] = [];
    link.state$.subscribe((state) => {
      if (state.status === 'failed') manager.close();
      rendered.push(state.status);
    });
    await flush();
    manager.reset();
    await manager.updateToken(tokenFor('bob')); // the app's client is alice's: failed
    await flush();
    expect(rendered).toContain('failed');
    expect(rendered.at(-1)).toBe('detached');
    expect(rendered.indexOf('detached')).toBeGreaterThan(rendered.indexOf('failed'));
  });

  it('a subscriber that detaches on `synced` hears `detached` after `synced`', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const link = attachClient(manager, { pushes: [] }, quiet, { token: tokenFor('alice', -1) });
    cleanup.unshift(() => link.detach());
    const seen: string[] = [];
    link.state$.subscribe((state) => {
      if (state.status === 'synced') link.detach();
      seen.push(state.status);
    });
    await flush();
    expect(seen.slice(-2)).toEqual(['synced', 'detached']);
  });
});

describe('finding 4 (a regression of the refactor, ce268fc; passes on 87792fc): a push settles with its own answer, not with an earlier push’s', () => {
  it('an SDK that answers a retried push with the promise still pending from the timed-out one: the link records the token the client got, and pushes it once', async () => {
    // An SDK that coalesces updateToken calls while one is under way answers each call with the
    // same (native) promise: Promise.resolve() of it is that promise again, so both pushes track
    // one object. Before ce268fc each push settled once with its own closure; now the first
    // push's handler, finding that object in flight again, settles the second push as the first.
    type Client = { pushes: string[]; holds: string | undefined };
    let gate!: () => void;
    let shared: Promise<void> | undefined;
    let pendingJwt: string | undefined;
    const coalescing: ClientSpec<Client> = {
      name: 'coalescing',
      grant: 'chat',
      updateToken: (client, jwt) => {
        client.pushes.push(jwt);
        pendingJwt = jwt;
        shared ??= new Promise<void>((resolve) => {
          gate = () => {
            client.holds = pendingJwt;
            shared = undefined;
            resolve();
          };
        });
        return shared;
      },
    };
    const first = tokenFor('alice', -10);
    const a = tokenFor('alice', -5);
    const manager = managed({ token: a });
    const client: Client = { pushes: [], holds: first };
    const link = attachClient(manager, client, coalescing, { token: first, pushTimeoutMs: 1_000 });
    cleanup.unshift(() => link.detach());
    const states: ClientLinkState[] = [];
    link.state$.subscribe((s) => states.push(s));
    await flush();
    expect(client.pushes).toEqual([a]); // A's push hangs
    await vi.advanceTimersByTimeAsync(1_000); // and times out: retrying
    expect(link.getState().status).toBe('retrying');
    const b = tokenFor('alice');
    await manager.updateToken(b); // a newer token is pushed at once, on the same pending update
    await flush();
    expect(client.pushes).toEqual([a, b]);
    states.length = 0;
    gate(); // the SDK's one update ends: the client holds B
    await flush();
    expect(client.holds).toBe(b);
    // The link never says the client holds A, and does not push B a second time.
    expect(states.map((s) => s.token?.jwt === a)).not.toContain(true);
    expect(client.pushes).toEqual([a, b]);
    expect(link.getState()).toMatchObject({ status: 'synced' });
    expect(link.getState().token?.jwt).toBe(b);
  });
});
