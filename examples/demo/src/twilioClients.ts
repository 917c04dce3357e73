// The real Twilio SDK clients, each created by its adapter's link in the factory form
// (`attachX(manager, (jwt) => new Client(jwt, options))`). In embedded mode they connect to the
// demo server's fake Twilio endpoints on 127.0.0.1; in real mode, to Twilio.
import { attachChat } from '@access-manager/chat';
import { attachConversations } from '@access-manager/conversations';
import { type AccessManager, type ClientLink, ClientStartError } from '@access-manager/core';
import { attachSync } from '@access-manager/sync';
import { attachVoice } from '@access-manager/voice';
import { Client as ConversationsClient } from '@twilio/conversations';
import { Device } from '@twilio/voice-sdk';
import { Client as ChatClient } from 'twilio-chat';
import { SyncClient } from 'twilio-sync';
import { countHandOuts, type SdkRow } from './rows.js';
import { signalFromTwilio } from './serverApi.js';

/** Where the SDKs connect in embedded mode; absent in real mode (the SDKs' own defaults). */
export interface FakeEndpoints {
  twilsock: Record<string, string>;
  chunderw: string;
}

interface Options {
  endpoints: FakeEndpoints | undefined;
  versions: Record<string, string>;
  ttlSeconds: number;
  note: (kind: string, text: string) => void;
}

/** The options every twilsock SDK takes; `twilsock.uri` is not in their published types. */
const twilsockOptions = (uri: string | undefined) => ({
  logLevel: 'silent' as const,
  ...(uri ? { twilsock: { uri } } : {}),
});

interface TwilsockClient {
  readonly connectionState: string;
}

const twilsockControls = (name: string) => [
  {
    label: 'Warn',
    title:
      'The fake Twilio endpoint sends token_about_to_expire: the client emits tokenAboutToExpire',
    run: async () =>
      `token_about_to_expire sent to ${await signalFromTwilio(name, 'warn')} connections`,
  },
  {
    label: 'Expire',
    title:
      'The fake Twilio endpoint closes the connection as expired (410 / 20104): the client emits tokenExpired',
    run: async () => `410 / 20104 sent to ${await signalFromTwilio(name, 'expire')} connections`,
  },
  {
    label: 'Refuse next',
    title: 'The fake Twilio endpoint answers the next token update with 401 / 20104',
    run: async () => {
      await signalFromTwilio(name, 'refuse');
      return 'the next update will be answered 401 / 20104';
    },
  },
];

/** The row of one twilsock client (Conversations, Chat, Sync). */
function twilsockRow<Client extends TwilsockClient>(
  name: string,
  label: string,
  pkg: string,
  link: ClientLink<Client>,
  options: Options,
): SdkRow {
  return {
    name,
    label,
    what: `${pkg} ${options.versions[pkg]}, real, against ${options.endpoints ? 'a local fake Twilio endpoint' : 'Twilio'}`,
    real: true,
    state$: link.state$,
    getState: link.getState,
    online: () => link.client?.connectionState === 'connected',
    connection: () => link.client?.connectionState ?? 'creating',
    heldToken: () => link.getState().token,
    handedOut: countHandOuts(link),
    controls: options.endpoints ? twilsockControls(name) : [],
  };
}

/** Twilio's AccessTokenExpired, and the Voice signaling error for an expired JWT. */
const EXPIRED = [20104, 31205];

function voiceRow(manager: AccessManager, options: Options): SdkRow {
  const { endpoints, ttlSeconds } = options;
  // The Device warns tokenRefreshMs (10 s) before expiry: for a short demo token, an eighth of
  // its life, so that the manager's own refresh comes first, as it does with hour-long tokens.
  const tokenRefreshMs = Math.min(10_000, (ttlSeconds * 1000) / 8);
  // The SDK fetches its ringtones from sdk.twilio.com when a Device is made: in embedded mode
  // every sound is the demo server's tenth of a second of silence.
  const sounds = endpoints
    ? Object.fromEntries(Object.values(Device.SoundName).map((n) => [n, '/sounds/silence.wav']))
    : undefined;
  const link = attachVoice(
    manager,
    (jwt) =>
      new Device(jwt, {
        logLevel: 'silent',
        publishEvents: false, // no Insights events to Twilio
        tokenRefreshMs,
        ...(endpoints ? { chunderw: endpoints.chunderw, sounds } : {}),
        // `publishEvents` and `chunderw` are Device options its published `Options` type omits.
      } as Device.Options),
    // A register() that Twilio refuses or leaves unanswered is given up after 5 s (a token
    // of the demo's 15 s expires later than that): the link
    // shows the error, destroys that Device and makes another after a backoff.
    { register: true, startTimeoutMs: 5_000 },
  );
  // The Device stays `registered` when Twilio refuses its token: the row says so until the
  // Device is given another token.
  let refused = false;
  link.client$.subscribe((device) => {
    refused = false;
    device.on('error', (error: { code?: number; message?: string }) => {
      if (EXPIRED.includes(error.code ?? 0)) refused = true;
      options.note('error', `voice: error ${error.code}: ${error.message}`);
    });
  });
  let lastPushedAt: Date | undefined;
  link.state$.subscribe((state) => {
    if (state.lastPushedAt !== lastPushedAt) refused = false;
    lastPushedAt = state.lastPushedAt;
  });
  return {
    name: 'voice',
    label: 'Voice',
    what: `@twilio/voice-sdk ${options.versions['@twilio/voice-sdk']}, real, against ${endpoints ? 'a local fake Twilio endpoint' : 'Twilio'}`,
    real: true,
    state$: link.state$,
    getState: link.getState,
    online: () => link.client?.state === 'registered' && !refused,
    connection: () => {
      const { lastError } = link.getState();
      const failed =
        lastError instanceof ClientStartError
          ? `, register failed (${lastError.twilioCode ?? 'no answer'})`
          : '';
      return `${link.client?.state ?? 'creating'}${failed}${refused ? ', token refused' : ''}${link.client?.isBusy ? ', on a call' : ''}`;
    },
    heldToken: () => link.getState().token,
    handedOut: countHandOuts(link),
    controls: endpoints
      ? [
          {
            label: 'Expire',
            title: 'The fake Voice signaling server sends error 20104 (AccessTokenExpired)',
            run: async () =>
              `error 20104 sent to ${await signalFromTwilio('voice', 'expire')} connections`,
          },
          ...(
            [
              ['Refuse register', 'refuse-register', 'answers the next register with error 31204'],
              ['Ignore register', 'ignore-register', 'never answers the next register'],
              ['Answer register', 'answer-register', 'answers register again'],
            ] as const
          ).map(([label, action, what]) => ({
            label,
            title: `The fake Voice signaling server ${what} (a new tab's Device meets it)`,
            run: async () => {
              await signalFromTwilio('voice', action);
              return `the fake Voice signaling server ${what}`;
            },
          })),
        ]
      : [],
  };
}

/**
 * Attaches the real Conversations, Chat, Sync and Voice clients, each created by its link.
 * (Programmable Chat reached its end of life: real mode, against Twilio, leaves its row out.)
 */
export function attachTwilioClients(manager: AccessManager, options: Options): SdkRow[] {
  const uri = (name: string) => options.endpoints?.twilsock[name];
  const rows = [
    twilsockRow(
      'conversations',
      'Conversations',
      '@twilio/conversations',
      attachConversations(
        manager,
        (jwt) => new ConversationsClient(jwt, twilsockOptions(uri('conversations'))),
      ),
      options,
    ),
  ];
  if (options.endpoints) {
    rows.push(
      twilsockRow(
        'chat',
        'Chat',
        'twilio-chat',
        attachChat(manager, (jwt) => new ChatClient(jwt, twilsockOptions(uri('chat')))),
        options,
      ),
    );
  }
  rows.push(
    twilsockRow(
      'sync',
      'Sync',
      'twilio-sync',
      attachSync(manager, (jwt) => new SyncClient(jwt, twilsockOptions(uri('sync')))),
      options,
    ),
    voiceRow(manager, options),
  );
  return rows;
}
