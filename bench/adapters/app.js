// An app with four real Twilio SDK clients (twilio-sync, @twilio/conversations, twilio-chat,
// @twilio/voice-sdk) against the local fakes of @access-manager/testing, and a local token server
// that counts its requests. Wired either with the adapters (one AccessManager) or the way the
// Twilio docs show (each client fetches its own token on its own expiry event).
import { createServer } from 'node:http';
import { attachChat } from '@access-manager/chat';
import { attachConversations } from '@access-manager/conversations';
import { AccessManager, fetchTokenFrom } from '@access-manager/core';
import { attachSync } from '@access-manager/sync';
import {
  createChatClient,
  createConversationsClient,
  createSyncClient,
  createVoiceDevice,
  makeToken,
  startChunderFake,
  startTwilsockFake,
  waitForInitialized,
} from '@access-manager/testing';
import { attachVoice } from '@access-manager/voice';

/** One multi-grant token serves all four clients. */
export const GRANTS = {
  chat: { service_sid: 'IS00000000000000000000000000000001' },
  data_sync: { service_sid: 'IS00000000000000000000000000000002' },
  voice: { incoming: { allow: true } },
};

/** The order in which the clients warn in a cycle, `WARN_STEP_MS` apart: all within one second. */
export const CLIENTS = ['sync', 'conversations', 'chat', 'voice'];
export const WARN_STEP_MS = 250;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token server on 127.0.0.1 that mints a token per request and remembers each. */
export async function startTokenServer({ ttl = 3_600, delayMs = 0, now = Date.now } = {}) {
  const served = [];
  let inFlight = 0;
  const server = createServer(async (_request, response) => {
    inFlight++;
    if (delayMs) await delay(delayMs);
    const iat = Math.floor(now() / 1000);
    const token = makeToken({ identity: 'alice', grants: GRANTS, ttl, iat });
    served.push(token);
    inFlight--;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ token }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/token`,
    served,
    /** Requests received and not yet answered. */
    get inFlight() {
      return inFlight;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Starts the app. `wiring`: `'adapters'` or `'docs'`. `manager`: extra AccessManager options and
 * `attach`: extra attach options (adapters only). `clock`: the clock of the manager, the adapters
 * and the token server (default the real one). Returns the clients, `warn()` (every client gets
 * its expiry warning from its server, `WARN_STEP_MS` apart), `tokensHeld()` (the token each
 * client last sent to its server), the token server, and `close()`.
 */
export async function startApp({
  wiring,
  ttl = 3_600,
  delayMs = 0,
  clock,
  manager: managerOptions = {},
  attach = {},
}) {
  const tokens = await startTokenServer({ ttl, delayMs, now: clock?.now });
  const fetchToken = async () => {
    const response = await fetch(tokens.url);
    return (await response.json()).token;
  };
  const initial = await fetchToken();
  const fakes = {
    sync: await startTwilsockFake(),
    conversations: await startTwilsockFake(),
    chat: await startTwilsockFake(),
    // A ttl of an hour in `connected`: the Device's own timer stays out of the cycles.
    voice: await startChunderFake({ ttl: 3_600 }),
  };
  const clients = {
    sync: await createSyncClient(fakes.sync, initial),
    conversations: await createConversationsClient(fakes.conversations, initial),
    chat: await createChatClient(fakes.chat, initial),
    voice: await createVoiceDevice(fakes.voice, initial),
  };
  await Promise.all([
    fakes.sync.waitForToken({ method: 'init' }),
    waitForInitialized(clients.conversations),
    waitForInitialized(clients.chat),
  ]);

  let manager;
  let links = [];
  /** Why the manager fetched each token (adapters only): 'sdk' for a client's signal. */
  const fetchReasons = [];
  if (wiring === 'adapters') {
    const fetchFromServer = fetchTokenFrom(tokens.url);
    manager = new AccessManager({
      token: initial,
      fetchToken: (context) => {
        fetchReasons.push(context.reason);
        return fetchFromServer(context);
      },
      ...(clock ? { clock } : {}),
      ...managerOptions,
    });
    const options = { token: initial, ...(clock ? { clock } : {}), ...attach };
    links = [
      attachSync(manager, clients.sync, options),
      attachConversations(manager, clients.conversations, options),
      attachChat(manager, clients.chat, options),
      attachVoice(manager, clients.voice, options),
    ];
  } else {
    // As the Twilio docs show: each client renews its own token on its own warning.
    for (const name of ['sync', 'conversations', 'chat']) {
      const client = clients[name];
      client.on('tokenAboutToExpire', async () => client.updateToken(await fetchToken()));
    }
    const device = clients.voice;
    device.on('tokenWillExpire', async () => device.updateToken(await fetchToken()));
    device.on('error', () => {});
  }
  await clients.voice.register();
  for (const fake of Object.values(fakes)) if (fake.waitForQuiet) await fake.waitForQuiet();
  tokens.served.length = 0; // the initial token is not part of any cycle
  fetchReasons.length = 0;

  const warners = {
    sync: () => fakes.sync.pushTokenAboutToExpire(),
    conversations: () => fakes.conversations.pushTokenAboutToExpire(),
    chat: () => fakes.chat.pushTokenAboutToExpire(),
    // The Device warns `ttl * 1000 - tokenRefreshMs` (10 s) after a `connected`: this one makes
    // its own tokenWillExpire timer fire at once. (Twilio sends `connected` in answer to a
    // listen; a fresh one here is how a test server makes the real Device warn on cue.)
    voice: () =>
      fakes.voice.send('connected', {
        region: 'US_EAST_VIRGINIA',
        edge: 'ashburn',
        home: 'us1',
        token: { identity: 'alice', ttl: 10 },
      }),
  };

  return {
    clients,
    fakes,
    tokens,
    manager,
    links,
    fetchReasons,
    /** Every client gets its expiry warning, in CLIENTS order, WARN_STEP_MS apart. */
    async warn() {
      for (const [i, name] of CLIENTS.entries()) {
        if (i) await delay(WARN_STEP_MS);
        warners[name]();
      }
    },
    /** The token each client last handed to its server. */
    tokensHeld() {
      return {
        sync: fakes.sync.tokens.at(-1)?.token,
        conversations: fakes.conversations.tokens.at(-1)?.token,
        chat: fakes.chat.tokens.at(-1)?.token,
        voice: fakes.voice.listens.at(-1)?.token,
      };
    },
    async close() {
      for (const link of links) link.detach();
      manager?.close();
      await Promise.all(Object.values(fakes).map((fake) => fake.close()));
      await tokens.close();
    },
  };
}
