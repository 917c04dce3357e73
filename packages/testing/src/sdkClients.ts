import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { Client as ConversationsClient } from '@twilio/conversations';
import type { Device } from '@twilio/voice-sdk';
import type { Client as ChatClient } from 'twilio-chat';
import type { SyncClient } from 'twilio-sync';
import type { ChunderFake } from './fakes/chunderServer.js';
import type { TwilsockFake } from './fakes/twilsockServer.js';
import { installVoiceGlobals } from './fakes/voiceGlobals.js';

/*
 * The real Twilio SDK clients, pointed at the local fakes. Each SDK is loaded on first use (so
 * that importing this package stays cheap), and each client is registered with its fake so that
 * `await fake.close()` shuts the client down before the server goes away.
 */

/** Extra client options, merged over the ones the helpers set. */
export type SdkClientOptions = Record<string, unknown>;

/** How long a teardown waits for an SDK's `shutdown()` before giving up on it. */
const SHUTDOWN_TIMEOUT_MS = 2_000;

const twilsockOptions = (fake: TwilsockFake, options: SdkClientOptions | undefined) => ({
  logLevel: 'silent' as const,
  ...options,
  twilsock: { uri: fake.url },
});

async function shutdownQuietly(shutdown: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    shutdown().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * A real `twilio-sync` client connected to `fake`. It is connected once the fake has its
 * `init` (`await fake.waitForToken({ method: 'init' })`).
 *
 * @example
 * ```ts
 * const fake = await startTwilsockFake();
 * const client = await createSyncClient(fake, makeToken({ grants: { data_sync: {} } }));
 * await fake.waitForToken({ method: 'init' });
 * await fake.close(); // shuts the client down too
 * ```
 */
export async function createSyncClient(
  fake: TwilsockFake,
  token: string,
  options?: SdkClientOptions,
): Promise<SyncClient> {
  const { SyncClient } = await import('twilio-sync');
  const client = new SyncClient(token, twilsockOptions(fake, options));
  fake.addTeardown(() => shutdownQuietly(() => client.shutdown()));
  return client;
}

/**
 * A real `@twilio/conversations` client connected to `fake`, not yet initialized: wait for
 * {@link waitForInitialized} (about 50 ms against the fake). Its HTTP cache is off, as for
 * {@link createChatClient}.
 *
 * @example
 * ```ts
 * const client = await createConversationsClient(fake, token);
 * await waitForInitialized(client);
 * ```
 */
export async function createConversationsClient(
  fake: TwilsockFake,
  token: string,
  options?: SdkClientOptions,
): Promise<ConversationsClient> {
  const { Client } = await import('@twilio/conversations');
  const client = new Client(token, {
    httpCacheIntervalOverride: 'PT0S', // see createChatClient
    ...twilsockOptions(fake, options),
  });
  trackInitState(client, () => client.getSubscribedConversations());
  fake.addTeardown(() => shutdownQuietly(() => client.shutdown()));
  return client;
}

/**
 * A real `twilio-chat` client connected to `fake`, not yet initialized: wait for
 * {@link waitForInitialized}. Its HTTP cache is turned off (`httpCacheIntervalOverride:
 * 'PT0S'`): otherwise each cached GET starts a cleanup interval that outlives `shutdown()`.
 *
 * @example
 * ```ts
 * const client = await createChatClient(fake, token);
 * await waitForInitialized(client);
 * ```
 */
export async function createChatClient(
  fake: TwilsockFake,
  token: string,
  options?: SdkClientOptions,
): Promise<ChatClient> {
  const { Client } = await import('twilio-chat');
  const client = new Client(token, {
    // Typed `number`, but parsed as an ISO 8601 duration.
    httpCacheIntervalOverride: 'PT0S' as unknown as number,
    ...twilsockOptions(fake, options),
  });
  trackInitState(client, () => client.getSubscribedChannels());
  fake.addTeardown(() => shutdownQuietly(() => client.shutdown()));
  return client;
}

/**
 * A real `@twilio/voice-sdk` Device whose signaling goes to `fake` (`chunderw`), with Insights
 * publishing off. Installs the browser globals it needs (see {@link installVoiceGlobals}) for
 * the Device's lifetime. The Device does not connect until `register()` (or a call).
 *
 * `fake.close()` destroys the Device and clears the `tokenWillExpire` timers that `destroy()`
 * leaves behind.
 *
 * @example
 * ```ts
 * const fake = await startChunderFake();
 * const device = await createVoiceDevice(fake, makeToken({ grants: { voice: {} } }));
 * device.on('error', onError); // without it an auth error is an uncaught exception
 * await device.register();
 * ```
 */
export async function createVoiceDevice(
  fake: ChunderFake,
  token: string,
  options?: SdkClientOptions,
): Promise<Device> {
  const restoreGlobals = installVoiceGlobals();
  try {
    // The CommonJS build: the ESM one reads `loglevel` through a namespace import, which plain
    // Node (outside vitest) leaves empty, and `new Device` then throws.
    const { Device } = createRequire(import.meta.url)(
      '@twilio/voice-sdk',
    ) as typeof import('@twilio/voice-sdk');
    const device = new Device(token, {
      logLevel: 'silent',
      ...options,
      chunderw: fake.host,
      publishEvents: false,
    } as ConstructorParameters<typeof Device>[1]);
    const willExpireTimers = collectTokenWillExpireTimers(device);
    fake.addTeardown(() => {
      if (device.state !== 'destroyed') device.destroy();
      for (const timer of willExpireTimers) clearTimeout(timer);
      restoreGlobals();
    });
    return device;
  } catch (error) {
    restoreGlobals();
    throw error;
  }
}

/** The Device internals {@link collectTokenWillExpireTimers} reads. */
interface DeviceInternals {
  _onSignalingConnected: (payload: unknown) => void;
  _tokenWillExpireTimeout: NodeJS.Timeout | null;
}

/**
 * Every `tokenWillExpire` timer the Device starts. `destroy()` clears none of them, and each
 * `connected` (one per listen) starts a new one while dropping the reference to the previous
 * one, so the Device alone cannot clear them (see FAKES.md). Collecting them does not change
 * when they fire.
 */
function collectTokenWillExpireTimers(device: Device): Set<NodeJS.Timeout> {
  const timers = new Set<NodeJS.Timeout>();
  const internals = device as unknown as DeviceInternals;
  const onConnected = internals._onSignalingConnected;
  // Replaced before register(): the signaling stream subscribes to this property then.
  internals._onSignalingConnected = (payload) => {
    onConnected(payload);
    if (internals._tokenWillExpireTimeout) timers.add(internals._tokenWillExpireTimeout);
  };
  return timers;
}

/** Anything with `on` and `off` / `removeListener`, like every Twilio SDK client. */
export interface EventSource {
  // `any`: each SDK types its listeners' arguments differently.
  on(event: string, listener: (...args: any[]) => void): unknown;
  off?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

export interface WaitForEventOptions {
  /** Only arguments for which this returns `true` count. */
  filter?: (...args: unknown[]) => boolean;
  /** Default 5 s. */
  timeoutMs?: number;
}

/**
 * Resolves with the arguments of the next `event` that passes `filter`, or rejects after
 * `timeoutMs`. Removes its listener and timer either way.
 *
 * @example
 * ```ts
 * const expired = waitForEvent(client, 'tokenExpired');
 * fake.closeTokenExpired();
 * await expired;
 * ```
 */
export function waitForEvent(
  source: EventSource,
  event: string,
  options: WaitForEventOptions = {},
): Promise<unknown[]> {
  const { filter, timeoutMs = 5_000 } = options;
  return new Promise((resolve, reject) => {
    const remove = () => {
      if (source.off) source.off(event, listener);
      else source.removeListener?.(event, listener);
    };
    const listener = (...args: unknown[]) => {
      if (filter && !filter(...args)) return;
      clearTimeout(timer);
      remove();
      resolve(args);
    };
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    source.on(event, listener);
  });
}

/** The last `stateChanged` of each Chat / Conversations client made here (they expose none). */
const initStates = new WeakMap<object, string>();
/** Each such client's background list fetch, settled either way. */
const listFetches = new WeakMap<object, Promise<void>>();

/**
 * Chat and Conversations read the user's channel / conversation list in the background after
 * `initialized`. If the connection goes away before that request is sent, the SDK rejects an
 * internal promise that nothing handles (an unhandled rejection `Unable to connect: ...`).
 * Asking for the list once attaches a handler, and tells us when the client is quiet.
 */
function trackInitState(client: EventSource, fetchList: () => Promise<unknown>): void {
  client.on('stateChanged', (state: string) => {
    initStates.set(client, state);
    if (state === 'initialized' && !listFetches.has(client)) {
      listFetches.set(
        client,
        fetchList().then(
          () => undefined,
          () => undefined,
        ),
      );
    }
  });
}

/**
 * The last `stateChanged` (`'initialized'` or `'failed'`) of a client made by
 * {@link createChatClient} or {@link createConversationsClient}, `undefined` before the first.
 */
export const initStateOf = (client: object): string | undefined => initStates.get(client);

/**
 * Resolves once a client made by {@link createChatClient} or {@link createConversationsClient}
 * has emitted `stateChanged` `'initialized'` (at once if it already has) and its background
 * list read has ended. A `'failed'` does not end the wait: both SDKs initialize later if a good
 * token reconnects them. Rejects after `timeoutMs` (default 5 s).
 */
export async function waitForInitialized(client: EventSource, timeoutMs = 5_000): Promise<void> {
  if (initStates.get(client) !== 'initialized') {
    await waitForEvent(client, 'stateChanged', {
      filter: (state) => state === 'initialized',
      timeoutMs,
    }).catch((error: Error) => {
      const last = initStates.get(client) ?? 'none';
      throw new Error(`not initialized (last state: ${last}): ${error.message}`);
    });
  }
  await listFetches.get(client);
}

/** A handle that a {@link watchHandles} watcher saw open and not yet closed. */
export interface OpenHandle {
  /** The async_hooks resource type: `Timeout`, `TCPWRAP`, `TCPSERVERWRAP`, ... */
  type: string;
  /** Where it was created, for the failure message. */
  stack: string;
}

const WATCHED_TYPES = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'TCPCONNECTWRAP',
]);

// The watcher's own polling timer, recognised by this function's name in its creation stack.
const watcherPause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watches the timers and sockets created from now on, so that a test can assert it closed what
 * it opened, whatever other tests left running. `settle()` waits (up to `timeoutMs`, default
 * 500 ms) for them to close, stops watching and returns those still open.
 *
 * @example
 * ```ts
 * const handles = watchHandles();
 * const fake = await startTwilsockFake();
 * // ... use a client ...
 * await fake.close();
 * expect(await handles.settle()).toEqual([]);
 * ```
 */
export function watchHandles(): {
  open(): OpenHandle[];
  settle(timeoutMs?: number): Promise<OpenHandle[]>;
} {
  const live = new Map<number, OpenHandle>();
  const hook = createHook({
    init(asyncId, type) {
      if (!WATCHED_TYPES.has(type)) return;
      const stack = (new Error().stack ?? '').split('\n').slice(3, 12).join('\n');
      if (!stack.includes('watcherPause')) live.set(asyncId, { type, stack });
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  const open = () => [...live.values()];
  return {
    open,
    async settle(timeoutMs = 500) {
      const deadline = Date.now() + timeoutMs;
      while (live.size > 0 && Date.now() < deadline) await watcherPause(10);
      hook.disable();
      return open();
    },
  };
}

/** Resolves once `check()` is true; rejects after `timeoutMs` (default 2 s). */
export async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Timers and sockets opened from inside the core's links (`attachClient`, `ClientGeneration`, by the stack). */
export const openedByLink = (handles: OpenHandle[]): OpenHandle[] =>
  handles.filter((handle) => /attachClient|clientGeneration/i.test(handle.stack));
