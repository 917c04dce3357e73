// The demo page: one AccessManager, the real Twilio SDK clients attached to it through their
// adapters, the token server's and the fake Twilio endpoints' controls, and what happens.
// First: the Voice SDK reads the page's WebSocket when it loads (see loopbackWebSocket.ts).
import './loopbackWebSocket.js';
import {
  AccessManager,
  type AccessManagerEvent,
  type AccessToken,
  type FetchToken,
  fetchTokenFrom,
  tabSharing,
} from '@access-manager/core';
import { wireControls } from './controls.js';
import { renderPage } from './render.js';
import { decode, type SdkRow, tokenName } from './rows.js';
import { readServerState } from './serverApi.js';
import { countTabs } from './tabCounter.js';
import { describeEvent, describeOutcome, describeToken, note } from './timeline.js';
import { attachTwilioClients } from './twilioClients.js';
import { videoRow } from './videoRow.js';

let server = await readServerState();
const tabs = countTabs();

/** What this tab did: its own fetches, and when each token reached it (by jti). */
const counters = { fetches: 0, failures: 0 };
const fetchedHere = new Set<string>();
const arrivedAt = new Map<string, number>();
const fromServer = fetchTokenFrom('/token');
const fetchToken: FetchToken = async (context) => {
  try {
    const fetched = await fromServer(context);
    counters.fetches++;
    fetchedHere.add(tokenName(decode(typeof fetched === 'string' ? fetched : fetched.token)));
    return fetched;
  } catch (error) {
    counters.failures++;
    throw error;
  }
};

// Twilio's three-minute warning would cover the whole life of a short demo token: with a short
// TTL the demo warns in the last quarter instead, and says so.
const shortTtl = server.ttl < 180;
const warnBeforeMs = shortTtl ? (server.ttl * 1000) / 4 : 180_000;
// shareAcrossTabs: the tabs of this browser share each fetched token, so that a browser with
// several tabs open fetches about once per cycle.
const manager = new AccessManager({ fetchToken, warnBeforeMs, shareAcrossTabs: tabSharing() });

const from = (token: AccessToken) =>
  fetchedHere.has(tokenName(token)) ? 'fetched by this tab' : 'from another tab';
let lastOutcome = '—';
manager.events$.subscribe((event: AccessManagerEvent) => {
  if (event.type === 'tokenUpdated') arrivedAt.set(tokenName(event.token), Date.now());
  lastOutcome = describeOutcome(event, from) ?? lastOutcome;
  note(event.type, describeEvent(event, from));
});
let lastStatus = '';
manager.state$.subscribe((state) => {
  if (state.status !== lastStatus) note('state', `status → ${state.status}`);
  lastStatus = state.status;
});

// ---- SDK rows ---------------------------------------------------------------------------------

const rows: SdkRow[] = [
  ...attachTwilioClients(manager, {
    endpoints: server.endpoints,
    versions: server.versions,
    ttlSeconds: server.ttl,
    note,
  }),
  videoRow(
    manager,
    {
      real: server.mode === 'real',
      version: server.versions['twilio-video'] ?? '',
      ttlSeconds: server.ttl,
    },
    note,
  ),
];
for (const row of rows) {
  let lastPushedAt: Date | undefined;
  let wasOnline = false;
  row.state$.subscribe((state) => {
    if (state.lastPushedAt && state.lastPushedAt !== lastPushedAt && state.token) {
      note(
        'push',
        `${row.name}: took ${describeToken(state.token)} in ${state.pushLatencyMs ?? 0} ms`,
      );
    }
    lastPushedAt = state.lastPushedAt;
  });
  setInterval(() => {
    const online = row.online();
    if (online !== wasOnline) note(online ? 'server' : 'error', `${row.name}: ${row.connection()}`);
    wasOnline = online;
  }, 250);
}

wireControls({
  rows,
  manager,
  note,
  server: () => server,
  changed: (next) => {
    server = { ...server, ...next };
  },
});

const mode = document.getElementById('mode');
if (mode) {
  mode.textContent =
    (server.mode === 'embedded'
      ? 'Embedded mode: the real Twilio SDK clients, against fake Twilio endpoints on 127.0.0.1; tokens signed by this demo with placeholder SIDs.'
      : 'Real mode: tokens minted with your Twilio credentials; the SDK clients connect to Twilio.') +
    ` Tokens live ${server.ttl} s${shortTtl ? `, below Twilio's 3-minute minimum: for local use only (the manager warns ${warnBeforeMs / 1000} s before expiry)` : ''}.`;
  mode.classList.toggle('short', shortTtl);
}

// ---- render -----------------------------------------------------------------------------------

const render = () =>
  renderPage({
    manager,
    rows,
    server,
    counters,
    tabs: tabs.count(),
    lastOutcome,
    warnBeforeMs,
    arrivedAt,
  });
setInterval(render, 250);
render();
// The server's view (the token server's counts, what the fake Twilio endpoints hold): each second.
setInterval(() => {
  readServerState().then(
    (next) => {
      server = next;
    },
    () => {}, // offline: the page keeps the last view
  );
}, 1_000);
document.body.dataset.ready = 'true';
note('server', `demo ready: ${rows.length} SDK clients share one AccessManager`);
