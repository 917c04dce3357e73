// The page of the hydration test: every hook, rendered by react-dom/server in Node and hydrated
// in Chromium. Browser-safe: no Node module.
import {
  type AccessManager,
  attachClient,
  type ClientFactory,
  type ClientSpec,
} from '@access-manager/core';
import { StrictMode, Suspense } from 'react';
import {
  AccessManagerProvider,
  useAccessManager,
  useAccessManagerState,
  useAccessToken,
  useAccessTokenSuspense,
  useTwilioClient,
} from '../src/index.js';

/** A stand-in SDK client: it counts the tokens it is given. */
export class PageClient {
  tokens = 1;
  shutDown = false;
  updateToken(): Promise<void> {
    this.tokens++;
    return Promise.resolve();
  }
}

const spec: ClientSpec<PageClient> = {
  name: 'page',
  grant: 'chat',
  updateToken: (client) => client.updateToken(),
  shutdown: (client) => {
    client.shutDown = true;
  },
};

const attachPage = (manager: AccessManager, factory: ClientFactory<PageClient>) =>
  attachClient(manager, factory, spec);

function Identity() {
  return <span id="suspended">{useAccessTokenSuspense().identity}</span>;
}

function Page() {
  const manager = useAccessManager();
  const status = useAccessManagerState((state) => state.status);
  const token = useAccessToken();
  const { client, status: chat } = useTwilioClient(attachPage, () => new PageClient());
  return (
    <main>
      <p id="status">{status}</p>
      <p id="token">{token ? token.identity : 'no token'}</p>
      <p id="chat">{`${chat} ${client ? 'client' : 'no client'}`}</p>
      <button id="get-token" type="button" onClick={() => manager.getToken()}>
        token
      </button>
      <Suspense fallback={<span id="fallback">waiting</span>}>
        <Identity />
      </Suspense>
    </main>
  );
}

export function App({ manager }: { manager: AccessManager }) {
  return (
    <StrictMode>
      <AccessManagerProvider manager={manager}>
        <Page />
      </AccessManagerProvider>
    </StrictMode>
  );
}
