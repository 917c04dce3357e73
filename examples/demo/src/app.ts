import {
  AccessManager,
  type AccessManagerEvent,
  type AccessManagerState,
  type AccessToken,
  type FetchToken,
  fetchTokenFrom,
} from '@access-manager/core';
import type { SdkRow } from './rows.js';
import { attachSdks } from './sdks.js';

interface ServerState {
  mode: 'embedded' | 'real';
  ttl: number;
  shortTtl: boolean;
  down: boolean;
  latencyMs: number;
  skewMs: number;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

let server: ServerState = (await (await fetch('/api/state')).json()) as ServerState;
/** The token server's clock as the stand-ins see it: the demo skews it on request. */
const serverNow = () => Date.now() + server.skewMs;

const counters = { fetches: 0, failures: 0, pushes: 0 };
const fromServer = fetchTokenFrom('/token');
const fetchToken: FetchToken = async (context) => {
  try {
    const jwt = await fromServer(context);
    counters.fetches++;
    return jwt;
  } catch (error) {
    counters.failures++;
    throw error;
  }
};

// Twilio's three-minute warning would cover the whole life of a short demo token: with a short
// TTL the demo warns in the last quarter instead, and says so.
const warnBeforeMs = server.shortTtl ? (server.ttl * 1000) / 4 : 180_000;
const manager = new AccessManager({ fetchToken, warnBeforeMs });

// ---- timeline ---------------------------------------------------------------------------------

function note(kind: string, text: string): void {
  const item = document.createElement('li');
  item.className = kind;
  item.innerHTML = `<time>${time(Date.now())}</time>`;
  item.append(text);
  const list = $('timeline');
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild?.remove();
}

const describe = (token: AccessToken) =>
  `${token.id ?? 'no jti'} (expires ${time(token.expiresAt.getTime())})`;

manager.events$.subscribe((event: AccessManagerEvent) => {
  if (event.type === 'error') note('error', `error ${event.error.code}: ${event.error.message}`);
  else if (event.type === 'tokenWillExpire') {
    note(
      event.type,
      `tokenWillExpire: ${describe(event.token)} expires in ${seconds(event.expiresInMs)}`,
    );
  } else note(event.type, `${event.type}: ${describe(event.token)}`);
});

let lastStatus = '';
manager.state$.subscribe((state: AccessManagerState) => {
  if (state.status !== lastStatus) note('state', `status → ${state.status}`);
  lastStatus = state.status;
});

// ---- SDK rows ---------------------------------------------------------------------------------

const firstJwt = await manager.getToken();
// Real mode loads the real SDKs, bundled on their own: the stand-ins never ship with them.
const realSdks = '/real-sdks.js';
const rows: SdkRow[] =
  server.mode === 'real'
    ? await ((await import(realSdks)) as typeof import('./realSdks.js')).attachRealSdks(
        manager,
        firstJwt,
        note,
      )
    : await attachSdks(manager, firstJwt, serverNow, note, server.ttl);
$('sdk-kind').textContent = server.mode === 'real' ? 'real SDK clients' : 'local stand-ins';
for (const row of rows) {
  row.state$.subscribe((state) => {
    if (state.lastPushedAt && state.lastPushedAt !== row.lastPushedAt) {
      counters.pushes++;
      row.lastPushedAt = state.lastPushedAt;
      note(
        'push',
        `${row.name}: took ${state.token ? describe(state.token) : 'a token'} in ${state.pushLatencyMs ?? 0} ms`,
      );
    }
  });
}

const rowHtml = (row: SdkRow) => `
  <tr data-sdk="${row.name}">
    <td>${row.label}</td>
    <td><span class="pill" data-field="status"></span></td>
    <td><span class="pill" data-field="online"></span></td>
    <td class="mono" data-field="jti"></td>
    <td data-field="age"></td>
    <td data-field="latency"></td>
    <td>${row.action ? `<button type="button" data-action="${row.name}">${row.action.label}</button>` : ''}</td>
  </tr>`;
$('sdk-rows').innerHTML = rows.map(rowHtml).join('');
for (const row of rows) {
  const button = document.querySelector<HTMLButtonElement>(`[data-action="${row.name}"]`);
  if (button && row.action) {
    const action = row.action;
    button.addEventListener('click', () => {
      button.textContent = action.run();
    });
  }
}

// ---- controls ---------------------------------------------------------------------------------

async function control(change: Partial<ServerState>): Promise<void> {
  const response = await fetch('/api/control', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  server = { ...server, ...((await response.json()) as Partial<ServerState>) };
  note(
    'server',
    `token server: ${server.down ? 'DOWN (503)' : 'up'}, latency ${server.latencyMs} ms, clock ${server.skewMs >= 0 ? '+' : ''}${server.skewMs / 60_000} min`,
  );
}

$('toggle-down').addEventListener('click', () => control({ down: !server.down }));
$('refresh-now').addEventListener('click', () => {
  manager.refresh({ reason: 'manual', force: true }).catch(() => {});
});
$<HTMLSelectElement>('latency').addEventListener('change', (e) =>
  control({ latencyMs: Number((e.target as HTMLSelectElement).value) }),
);
$<HTMLSelectElement>('skew').addEventListener('change', (e) =>
  control({ skewMs: Number((e.target as HTMLSelectElement).value) }),
);

$('mode').textContent =
  (server.mode === 'embedded'
    ? 'Embedded mode: tokens signed by this demo with placeholder SIDs, SDKs are local stand-ins.'
    : 'Real mode: tokens minted with your Twilio credentials.') +
  ` Tokens live ${server.ttl} s${server.shortTtl ? `, below Twilio's 3-minute minimum: for local use only (the manager warns ${warnBeforeMs / 1000} s before expiry)` : ''}.`;
$('mode').classList.toggle('short', server.shortTtl);

// ---- render -----------------------------------------------------------------------------------

function pill(element: Element | null, text: string, tone: 'ok' | 'warn' | 'bad' | 'idle'): void {
  if (!element) return;
  element.textContent = text;
  element.className = `pill ${tone}`;
}

function render(): void {
  const state = manager.getState();
  const token = state.token;
  const now = Date.now();
  const status = $('status');
  status.textContent = state.status;
  status.dataset.status = state.status;
  $('fetches').textContent = String(counters.fetches);
  $('fetch-failures').textContent = String(counters.failures);
  $('pushes').textContent = String(counters.pushes);
  $('server-state').textContent =
    `${server.down ? 'DOWN: answers 503' : 'up'} · latency ${server.latencyMs} ms · clock ${server.skewMs / 60_000} min`;
  $('toggle-down').textContent = server.down
    ? 'Bring the token server back'
    : 'Take the token server down';
  $('toggle-down').classList.toggle('danger', !server.down);
  const error = $('last-error');
  error.hidden = !state.lastError;
  error.textContent = state.lastError
    ? `last error: ${state.lastError.code}: ${state.lastError.message}`
    : '';
  $('next-refresh').textContent = state.refreshAt
    ? `next fetch ${state.attempt ? `(retry, attempt ${state.attempt + 1}) ` : ''}in ${seconds(Math.max(0, state.refreshAt.getTime() - now))}`
    : state.status === 'refreshing'
      ? `fetching (attempt ${state.attempt})…`
      : '—';

  if (token) {
    const expires = token.expiresAt.getTime() - state.clockOffsetMs;
    const issued = (token.issuedAt?.getTime() ?? expires) - state.clockOffsetMs;
    const life = Math.max(1, expires - issued);
    const left = expires - now;
    $('token-identity').textContent = token.identity;
    $('token-grants').textContent = Object.keys(token.grants)
      .filter((g) => g !== 'identity')
      .join(', ');
    $('token-jti').textContent = token.id ?? '—';
    $('token-jti').dataset.jti = token.id ?? '';
    $('token-issued').textContent = token.issuedAt?.toISOString() ?? '—';
    $('token-expires').textContent = token.expiresAt.toISOString();
    $('token-expires').dataset.expires = String(expires); // on this device's clock
    $('clock-offset').textContent =
      `${state.clockOffsetMs >= 0 ? '+' : ''}${seconds(state.clockOffsetMs)} (server minus this device)`;
    const fill = $('bar-fill');
    fill.style.width = `${Math.max(0, Math.min(100, (left / life) * 100))}%`;
    fill.style.background =
      left <= 0 ? 'var(--bad)' : state.status === 'expiring' ? 'var(--warn)' : 'var(--ok)';
    const mark = (id: string, at: number) => {
      const element = $(id);
      element.hidden = at < issued || at > expires;
      element.style.left = `${((expires - at) / life) * 100}%`;
    };
    // the bar runs down from the right: a mark sits at the share of life left at that moment
    if (state.refreshAt) mark('mark-refresh', state.refreshAt.getTime());
    mark('mark-warn', expires - warnBeforeMs);
    $('time-left').textContent = `· ${left > 0 ? `${seconds(left)} left` : 'expired'}`;
  }

  for (const row of rows) {
    const tr = document.querySelector<HTMLTableRowElement>(`tr[data-sdk="${row.name}"]`);
    if (!tr) continue;
    const link = row.getState();
    const online = row.online();
    const wentOffline = !online && row.wasOnline;
    if (wentOffline) note('error', `${row.name} went offline`);
    row.wasOnline = online;
    // Counted by the stand-in itself where it can (a render can miss a short outage).
    if (row.expiries) row.offlineCount = row.expiries();
    else if (wentOffline) row.offlineCount++;
    tr.dataset.status = link.status;
    tr.dataset.online = String(online);
    tr.dataset.offlineCount = String(row.offlineCount);
    const held = row.heldToken();
    tr.dataset.jti = held?.id ?? '';
    pill(
      tr.querySelector('[data-field="status"]'),
      link.status,
      link.status === 'synced' ? 'ok' : link.status === 'failed' ? 'bad' : 'warn',
    );
    pill(tr.querySelector('[data-field="online"]'), row.connection(), online ? 'ok' : 'bad');
    const jti = tr.querySelector('[data-field="jti"]');
    if (jti) jti.textContent = held?.id ?? '—';
    const age = tr.querySelector('[data-field="age"]');
    if (age)
      age.textContent = held?.issuedAt ? seconds(serverNow() - held.issuedAt.getTime()) : '—';
    const latency = tr.querySelector('[data-field="latency"]');
    if (latency)
      latency.textContent = link.pushLatencyMs === undefined ? '—' : `${link.pushLatencyMs} ms`;
  }
}

setInterval(render, 250);
render();
document.body.dataset.ready = 'true';
note('server', `demo ready: ${rows.length} SDK clients share one AccessManager`);
