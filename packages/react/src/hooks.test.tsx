import {
  AccessManager,
  ClosedError,
  FatalFetchError,
  MissingGrantError,
} from '@access-manager/core';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Suspense, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AttachTestDoubleOptions,
  attachTestDouble,
  SdkClientDouble,
} from '../test/clientLinkDouble.js';
import {
  chatToken,
  controlledManager,
  ErrorBoundary,
  type PendingFetch,
  renderCounter,
} from '../test/harness.js';
import {
  AccessManagerProvider,
  AccessManagerReactError,
  useAccessManager,
  useAccessManagerState,
  useAccessToken,
  useAccessTokenSuspense,
  useTwilioClient,
} from './index.js';

const managers: AccessManager[] = [];
const track = <T extends { manager: AccessManager }>(made: T): T => {
  managers.push(made.manager);
  return made;
};

beforeEach(() => {
  // React logs every error that reaches a boundary; the tests assert on the boundary instead.
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

afterEach(() => {
  cleanup();
  for (const manager of managers.splice(0)) manager.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Lets the manager's promises and the deferred work of the hooks settle inside act. */
const settle = () => act(async () => {});

/** Waits for the manager's fetch number `index` (it starts a tick after it is asked for). */
const fetchNumber = async (fetches: PendingFetch[], index: number): Promise<PendingFetch> => {
  await act(() => vi.waitFor(() => expect(fetches.length).toBeGreaterThan(index)));
  return fetches[index] as PendingFetch;
};

const answer = async (fetches: PendingFetch[], index: number, jwt: string) => {
  const fetch = await fetchNumber(fetches, index);
  await act(async () => fetch.resolve(jwt));
};

it(`runs React ${process.env.REACT_VERSION}`, async () => {
  const { version } = await import('react');
  expect(version.split('.')[0]).toBe(process.env.REACT_VERSION);
});

describe('AccessManagerProvider and useAccessManager', () => {
  it('hands the manager down, and leaves it open after unmount', () => {
    const { manager } = track(controlledManager());
    let seen: AccessManager | undefined;
    function Reader() {
      seen = useAccessManager();
      return null;
    }
    const { unmount } = render(
      <AccessManagerProvider manager={manager}>
        <Reader />
      </AccessManagerProvider>,
    );
    expect(seen).toBe(manager);
    unmount();
    expect(manager.getState().status).not.toBe('closed');
  });

  it('outside a provider, an error boundary gets AccessManagerReactError no_provider', () => {
    const caught: unknown[] = [];
    function Orphan() {
      useAccessToken();
      return null;
    }
    render(
      <ErrorBoundary onError={(error) => caught.push(error)}>
        <Orphan />
      </ErrorBoundary>,
    );
    expect(caught[0]).toBeInstanceOf(AccessManagerReactError);
    expect(caught[0]).toMatchObject({ code: 'no_provider', name: 'AccessManagerReactError' });
    expect(screen.getByTestId('boundary').textContent).toBe('no_provider');
  });
});

describe('useAccessManagerState', () => {
  it('renders each state the manager publishes', async () => {
    const { manager, fetches } = track(controlledManager());
    const counter = renderCounter();
    const seen: string[] = [];
    function Status() {
      counter.count();
      const state = useAccessManagerState();
      seen.push(`${state.status}/${state.fetchStatus}`);
      return <p data-testid="status">{state.status}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Status />
      </AccessManagerProvider>,
    );
    expect(screen.getByTestId('status').textContent).toBe('refreshing');
    await answer(fetches, 0, chatToken());
    expect(screen.getByTestId('status').textContent).toBe('valid');
    expect(seen).toEqual(['refreshing/fetching', 'valid/idle']);
    expect(counter.renders).toBe(2);
  });

  it('with a selector, re-renders only when the selection changes', async () => {
    const { manager, fetches } = track(controlledManager());
    const whole = renderCounter();
    const selected = renderCounter();
    function Whole() {
      whole.count();
      useAccessManagerState();
      return null;
    }
    function Selected() {
      selected.count();
      const status = useAccessManagerState((state) => state.status);
      return <p data-testid="selected">{status}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Whole />
        <Selected />
      </AccessManagerProvider>,
    );
    // Two failed attempts: attempt, lastError and fetchStatus change, the status stays 'refreshing'.
    for (let attempt = 0; attempt < 2; attempt++) {
      const fetch = await fetchNumber(fetches, attempt);
      await act(async () => fetch.reject(new Error('503')));
    }
    await fetchNumber(fetches, 2);
    expect(manager.getState().attempt).toBe(3);
    expect(whole.renders).toBeGreaterThanOrEqual(3);
    expect(selected.renders).toBe(1);
    await answer(fetches, 2, chatToken());
    expect(screen.getByTestId('selected').textContent).toBe('valid');
    expect(selected.renders).toBe(2);
  });
});

describe('useAccessToken', () => {
  it('is null, then the token; re-renders on adoption only, not on status changes', async () => {
    const { manager, fetches } = track(controlledManager());
    const counter = renderCounter();
    function Identity() {
      counter.count();
      const token = useAccessToken();
      return <p data-testid="identity">{token ? `${token.identity} ${token.id}` : 'none'}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Identity />
      </AccessManagerProvider>,
    );
    expect(screen.getByTestId('identity').textContent).toBe('none');
    const first = chatToken();
    await answer(fetches, 0, first);
    expect(screen.getByTestId('identity').textContent).toBe(
      `alice ${manager.getState().token?.id}`,
    );
    expect(counter.renders).toBe(2);
    // A refresh: the status goes 'refreshing' and back, and one new token is adopted.
    let refreshed: Promise<unknown> | undefined;
    await act(async () => {
      refreshed = manager.refresh();
    });
    expect(manager.getState().status).toBe('refreshing');
    expect(counter.renders).toBe(2);
    await answer(fetches, 1, chatToken());
    await refreshed;
    expect(manager.getState().status).toBe('valid');
    expect(counter.renders).toBe(3);
  });
});

describe('useAccessTokenSuspense', () => {
  it('suspends until the first token, and fetches nothing of its own', async () => {
    const { manager, fetches } = track(controlledManager());
    function Identity() {
      return <p data-testid="identity">{useAccessTokenSuspense().identity}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Suspense fallback={<p data-testid="fallback">waiting</p>}>
          <Identity />
          <Identity />
        </Suspense>
      </AccessManagerProvider>,
    );
    expect(screen.getByTestId('fallback')).toBeTruthy();
    await settle();
    expect(fetches).toHaveLength(1); // the manager's own first fetch
    await answer(fetches, 0, chatToken('bob'));
    expect(screen.getAllByTestId('identity').map((p) => p.textContent)).toEqual(['bob', 'bob']);
    expect(fetches).toHaveLength(1);
  });

  it('gives the error boundary the FatalFetchError that stopped fetching', async () => {
    const { manager, fetches } = track(controlledManager());
    const caught: unknown[] = [];
    function Identity() {
      return <p>{useAccessTokenSuspense().identity}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <ErrorBoundary onError={(error) => caught.push(error)}>
          <Suspense fallback={<p>waiting</p>}>
            <Identity />
          </Suspense>
        </ErrorBoundary>
      </AccessManagerProvider>,
    );
    const fetch = await fetchNumber(fetches, 0);
    await act(async () => fetch.reject(new FatalFetchError('signed out', { status: 401 })));
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(FatalFetchError);
    expect(screen.getByTestId('boundary').textContent).toBe('fetch_failed');
  });

  it('gives the error boundary a ClosedError when the manager is closed while waiting', async () => {
    const { manager } = track(controlledManager());
    const caught: unknown[] = [];
    function Identity() {
      return <p>{useAccessTokenSuspense().identity}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <ErrorBoundary onError={(error) => caught.push(error)}>
          <Suspense fallback={<p>waiting</p>}>
            <Identity />
          </Suspense>
        </ErrorBoundary>
      </AccessManagerProvider>,
    );
    await act(async () => manager.close());
    expect(caught[0]).toBeInstanceOf(ClosedError);
    expect(screen.getByTestId('boundary').textContent).toBe('closed');
  });
});

describe('useTwilioClient', () => {
  /** The clients the factory made, in order. */
  let made: SdkClientDouble[];
  const factory = (jwt: string) => {
    const client = new SdkClientDouble(jwt);
    made.push(client);
    return client;
  };
  beforeEach(() => {
    made = [];
  });

  function Chat({ onRender }: { onRender?: () => void }) {
    onRender?.();
    const { client, status, error } = useTwilioClient(attachTestDouble, factory);
    return (
      <p data-testid="chat" data-status={status} data-error={error?.message ?? ''}>
        {client ? `client holds ${client.holds}` : 'no client'}
      </p>
    );
  }
  const chat = () => screen.getByTestId('chat');

  it('makes the client once a token is there, and re-renders on status changes only', async () => {
    const { manager, fetches } = track(controlledManager());
    const counter = renderCounter();
    render(
      <AccessManagerProvider manager={manager}>
        <Chat onRender={counter.count} />
      </AccessManagerProvider>,
    );
    expect(chat().dataset['status']).toBe('creating');
    expect(made).toHaveLength(0);
    await answer(fetches, 0, chatToken());
    await settle();
    const first = manager.getState().token?.id;
    expect(made).toHaveLength(1);
    expect(chat().textContent).toBe(`client holds ${first}`);
    expect(chat().dataset['status']).toBe('synced');
    const rendersWhenSynced = counter.renders;

    // The manager's own status changes (refreshing) do not render the client's component.
    let refreshed: Promise<unknown> | undefined;
    await act(async () => {
      refreshed = manager.refresh();
    });
    expect(counter.renders).toBe(rendersWhenSynced);
    await answer(fetches, 1, chatToken());
    await refreshed;
    await settle();
    const second = manager.getState().token?.id;
    expect(second).not.toBe(first);
    expect(made).toHaveLength(1);
    expect(made[0]?.holds).toBe(second);
    expect(chat().dataset['status']).toBe('synced');
    // updating, then synced: two renders for the push of the new token, no more.
    expect(counter.renders - rendersWhenSynced).toBeLessThanOrEqual(2);
    expect(counter.renders - rendersWhenSynced).toBeGreaterThanOrEqual(1);
  });

  it('under StrictMode makes exactly one client, and leaves no listener, timer or client after unmount', async () => {
    vi.useFakeTimers();
    const { manager } = track(controlledManager({ token: chatToken() }));
    const timersOfManagerAlone = vi.getTimerCount();
    let factoryCalls = 0;
    let attachCalls = 0;
    const counted = (
      m: AccessManager,
      make: (jwt: string) => SdkClientDouble,
      options?: AttachTestDoubleOptions,
    ) => {
      attachCalls++;
      return attachTestDouble(
        m,
        (jwt: string) => {
          factoryCalls++;
          return make(jwt);
        },
        options,
      );
    };
    function StrictChat() {
      const { client, status } = useTwilioClient(counted, factory);
      return (
        <p data-testid="chat" data-status={status}>
          {client ? 'client' : 'no client'}
        </p>
      );
    }
    const { unmount } = render(
      <AccessManagerProvider manager={manager}>
        <StrictChat />
      </AccessManagerProvider>,
      { reactStrictMode: true },
    );
    await settle();
    expect(chat().dataset['status']).toBe('synced');
    expect(attachCalls).toBe(1);
    expect(factoryCalls).toBe(1);
    expect(made).toHaveLength(1);
    const client = made[0] as SdkClientDouble;
    expect(client.listenerCount('tokenAboutToExpire')).toBe(1);
    expect(client.shutDown).toBe(false);

    unmount();
    await settle();
    expect(client.shutDown).toBe(true);
    expect(client.listenerCount('tokenAboutToExpire')).toBe(0);
    expect(vi.getTimerCount()).toBe(timersOfManagerAlone);
    // The grant is released: a token without `chat` is adopted again.
    await act(() => manager.updateToken(chatToken('alice', 3500).replace(/x/, 'x')));
    expect(made).toHaveLength(1);
  });

  it('a client whose component mounts again after a real unmount is a new one', async () => {
    const { manager } = track(controlledManager({ token: chatToken() }));
    function Toggle() {
      const [shown, setShown] = useState(true);
      return (
        <>
          <button type="button" onClick={() => setShown((s) => !s)}>
            toggle
          </button>
          {shown && <Chat />}
        </>
      );
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Toggle />
      </AccessManagerProvider>,
    );
    await settle();
    expect(made).toHaveLength(1);
    fireEvent.click(screen.getByText('toggle'));
    await settle();
    expect(made[0]?.shutDown).toBe(true);
    fireEvent.click(screen.getByText('toggle'));
    await settle();
    expect(made).toHaveLength(2);
    expect(made[1]?.shutDown).toBe(false);
  });

  it('shows the new client when the link makes one (the identity changed)', async () => {
    const { manager } = track(controlledManager({ token: chatToken('alice'), identity: 'any' }));
    render(
      <AccessManagerProvider manager={manager}>
        <Chat />
      </AccessManagerProvider>,
    );
    await settle();
    expect(made).toHaveLength(1);
    await act(async () => {
      manager.reset();
      await manager.updateToken(chatToken('bob'));
    });
    await settle();
    expect(made).toHaveLength(2);
    expect(made[0]?.shutDown).toBe(true);
    expect(chat().textContent).toBe(`client holds ${manager.getState().token?.id}`);
  });

  it('a new manager detaches the old link and makes a new client', async () => {
    const a = track(controlledManager({ token: chatToken('alice') }));
    const b = track(controlledManager({ token: chatToken('bob') }));
    const { rerender } = render(
      <AccessManagerProvider manager={a.manager}>
        <Chat />
      </AccessManagerProvider>,
    );
    await settle();
    rerender(
      <AccessManagerProvider manager={b.manager}>
        <Chat />
      </AccessManagerProvider>,
    );
    await settle();
    expect(made).toHaveLength(2);
    expect(made[0]?.shutDown).toBe(true);
    expect(made[1]?.shutDown).toBe(false);
    expect(chat().textContent).toBe(`client holds ${b.manager.getState().token?.id}`);
  });

  it('what attach throws (a missing grant) reaches the error boundary, typed', async () => {
    const { manager } = track(
      controlledManager({ token: chatToken() }), // a chat grant, no voice grant
    );
    const caught: unknown[] = [];
    function Voice() {
      useTwilioClient(attachTestDouble, factory, { grant: 'voice' });
      return null;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <ErrorBoundary onError={(error) => caught.push(error)}>
          <Voice />
        </ErrorBoundary>
      </AccessManagerProvider>,
    );
    await settle();
    expect(caught[0]).toBeInstanceOf(MissingGrantError);
    expect(screen.getByTestId('boundary').textContent).toBe('missing_grant');
    expect(made).toHaveLength(0);
  });
});

describe('getToken from an event handler', () => {
  it('resolves the JWT without rendering the component', async () => {
    const jwt = chatToken();
    const { manager } = track(controlledManager({ token: jwt }));
    const counter = renderCounter();
    const got: string[] = [];
    function Dial() {
      counter.count();
      const manager = useAccessManager();
      return (
        <button type="button" onClick={() => manager.getToken().then((t) => got.push(t))}>
          dial
        </button>
      );
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Dial />
      </AccessManagerProvider>,
    );
    fireEvent.click(screen.getByText('dial'));
    await settle();
    expect(got).toEqual([jwt]);
    expect(counter.renders).toBe(1);
  });
});

describe('with the default refresh jitter', () => {
  // Jitter makes `refreshAt` fractional: the core's getState() once returned a new object at
  // every call then, and useSyncExternalStore looped (fixed in the core's deriveState).
  it('a manager with the default jitter holding a token renders once', async () => {
    const counter = renderCounter();
    const manager = new AccessManager({
      token: chatToken(),
      fetchToken: () => new Promise<string>(() => {}),
      wakeSignals: false,
    });
    managers.push(manager);
    function Identity() {
      counter.count();
      return <p>{useAccessManagerState().status}</p>;
    }
    render(
      <AccessManagerProvider manager={manager}>
        <Identity />
      </AccessManagerProvider>,
    );
    await settle();
    expect(counter.renders).toBe(1);
  });
});

describe('what React DevTools shows', () => {
  /**
   * Every value React DevTools can show of the hooks and props of the rendered components: it
   * lists an object's enumerable keys along its prototype chain (react-devtools-shared's
   * getAllEnumerableKeys), and calls no getter that is not one of them. The SDK client objects
   * themselves are the SDK's, not this package's, and are left out.
   */
  const shownValues = (container: HTMLElement): string[] => {
    const key = Object.keys(container).find((k) => k.startsWith('__reactContainer$'));
    const root = (container as unknown as Record<string, unknown>)[key as string] as Fiber;
    const shown: string[] = [];
    const seen = new Set<unknown>();
    const walk = (value: unknown, depth: number): void => {
      if (typeof value === 'string') shown.push(value);
      if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return;
      if (value instanceof SdkClientDouble) return;
      seen.add(value);
      for (let object: object | null = value; object; object = Object.getPrototypeOf(object)) {
        for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(object))) {
          if (descriptor.enumerable && name !== '_owner' && name !== '_store') {
            walk((value as Record<string, unknown>)[name], depth + 1);
          }
        }
      }
    };
    interface Fiber {
      child: Fiber | null;
      sibling: Fiber | null;
      memoizedProps: unknown;
      memoizedState: unknown;
    }
    const visit = (fiber: Fiber | null) => {
      for (let node = fiber; node; node = node.sibling) {
        walk(node.memoizedProps, 0);
        // A function component's hooks: { memoizedState, next } in a list.
        for (
          let hook = node.memoizedState as { memoizedState?: unknown; next?: unknown } | null;
          hook && typeof hook === 'object' && 'next' in hook;
          hook = hook.next as typeof hook
        ) {
          walk(hook.memoizedState, 0);
        }
        visit(node.child);
      }
    };
    visit(root);
    return shown;
  };

  it('no hook value or prop holds the JWT', async () => {
    const jwt = chatToken();
    const { manager } = track(controlledManager({ token: jwt }));
    function Everything() {
      const token = useAccessToken();
      const state = useAccessManagerState();
      const suspended = useAccessTokenSuspense();
      const { status } = useTwilioClient(attachTestDouble, (t) => new SdkClientDouble(t));
      return (
        <p data-testid="everything">
          {token?.identity} {state.status} {suspended.identity} {status}
        </p>
      );
    }
    const { container } = render(
      <AccessManagerProvider manager={manager}>
        <Suspense fallback={null}>
          <Everything />
        </Suspense>
      </AccessManagerProvider>,
    );
    await settle();
    expect(screen.getByTestId('everything').textContent).toBe('alice valid alice synced');
    const shown = shownValues(container);
    // The walk reached the token's fields (a control: it would find a JWT kept in one).
    expect(shown).toContain('alice');
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    expect(
      shown.filter((text) => [header, payload, signature].some((part) => text.includes(part))),
    ).toEqual([]);
  });
});
