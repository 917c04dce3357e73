import { attachConversations } from '@access-manager/conversations';
import { useAccessManagerState, useAccessToken, useTwilioClient } from '@access-manager/react';
import { attachVoice } from '@access-manager/voice';
import { Client } from '@twilio/conversations';
import { Device } from '@twilio/voice-sdk';
import { useState } from 'react';
import type { FakeEndpoints } from './twilio.js';

type ConversationsOptions = ConstructorParameters<typeof Client>[1];
type DeviceOptions = ConstructorParameters<typeof Device>[1];

/** A tenth of a second of silence (WAV), for every ringtone and DTMF tone: nothing is downloaded from Twilio's CDN. */
const SILENCE =
  'data:audio/wav;base64,UklGRkQDAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YSADAACAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgA==';
const SOUNDS = Object.fromEntries(
  [
    'incoming',
    'outgoing',
    'disconnect',
    'dtmfs',
    'dtmfh',
    ...'0123456789'.split('').map((d) => `dtmf${d}`),
  ].map((name) => [name, SILENCE]),
);

function TokenBadge() {
  const status = useAccessManagerState((state) => state.status);
  const token = useAccessToken();
  return (
    <p id="token" data-status={status} data-jti={token?.id ?? ''}>
      {token
        ? `${token.identity}, token ${token.id} until ${token.expiresAt.toLocaleTimeString()}`
        : 'no token'}{' '}
      ({status})
    </p>
  );
}

function ChatPanel({ endpoints }: { endpoints: FakeEndpoints }) {
  const { client, status, error } = useTwilioClient(attachConversations, (jwt) => {
    // `twilsock.uri` points the client at the local fake; the SDK's types do not list it.
    const options = { logLevel: 'silent', twilsock: { uri: endpoints.twilsock } };
    return new Client(jwt, options as ConversationsOptions);
  });
  return (
    <section id="chat" data-status={status} data-connection={client?.connectionState ?? ''}>
      <h2>Conversations</h2>
      <p>
        link {status}, client {client ? client.connectionState : 'not yet made'}
        {error ? `, ${error.message}` : ''}
      </p>
    </section>
  );
}

function Phone({ endpoints }: { endpoints: FakeEndpoints }) {
  const { client: device, status } = useTwilioClient(
    attachVoice,
    (jwt) =>
      new Device(jwt, {
        chunderw: endpoints.chunderw,
        publishEvents: false,
        logLevel: 'silent',
        sounds: SOUNDS,
      } as DeviceOptions),
    { register: true },
  );
  return (
    <section id="voice" data-status={status} data-state={device?.state ?? ''}>
      <h2>Voice</h2>
      <p>
        link {status}, device {device ? device.state : 'not yet made'}
      </p>
    </section>
  );
}

export function App({ endpoints }: { endpoints: FakeEndpoints }) {
  const [chatOpen, setChatOpen] = useState(true);
  return (
    <main>
      <h1>One token, two Twilio SDKs</h1>
      <TokenBadge />
      <button id="toggle-chat" type="button" onClick={() => setChatOpen((open) => !open)}>
        {chatOpen ? 'Close the chat panel' : 'Open the chat panel'}
      </button>
      {chatOpen && <ChatPanel endpoints={endpoints} />}
      <Phone endpoints={endpoints} />
    </main>
  );
}
