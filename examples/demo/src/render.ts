import type { AccessManager, AccessManagerState } from '@access-manager/core';
import { clockTime, duration, offset } from './format.js';
import { type SdkRow, tokenName } from './rows.js';
import type { ServerState } from './serverApi.js';

export interface PageModel {
  manager: AccessManager;
  rows: SdkRow[];
  server: ServerState;
  counters: { fetches: number; failures: number };
  tabs: number;
  lastOutcome: string;
  warnBeforeMs: number;
  /** When each token (by `tokenName`) reached this page, on its clock. */
  arrivedAt: Map<string, number>;
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;

function pill(element: Element | null, text: string, tone: 'ok' | 'warn' | 'bad'): void {
  if (!element) return;
  element.textContent = text;
  element.className = `pill ${tone}`;
}

const field = (tr: HTMLElement, name: string) =>
  tr.querySelector<HTMLElement>(`[data-field="${name}"]`);

/** What the manager is doing about the next token: fetching, waiting to retry, or planning. */
function fetchLine(state: AccessManagerState, now: number): string {
  switch (state.fetchStatus) {
    case 'fetching':
      return `fetching now (attempt ${state.attempt})…`;
    case 'waiting':
      return state.refreshAt
        ? `fetch failed: retry ${state.attempt} in ${duration(state.refreshAt.getTime() - now)}`
        : 'fetch failed: waiting to retry';
    case 'failed':
      return 'fetching stopped: Refresh now tries again';
    default:
      return state.refreshAt
        ? `next fetch in ${duration(Math.max(0, state.refreshAt.getTime() - now))}`
        : '—';
  }
}

function renderToken(model: PageModel, state: AccessManagerState, now: number): void {
  const token = state.token;
  if (!token) return;
  // On this device's clock: the manager's estimate of the server's clock minus this one.
  const expires = token.expiresAt.getTime() - state.clockOffsetMs;
  const issued = (token.issuedAt?.getTime() ?? expires) - state.clockOffsetMs;
  const life = Math.max(1, expires - issued);
  const left = expires - now;
  $('token-identity').textContent = token.identity;
  $('token-grants').textContent = Object.keys(token.grants)
    .filter((g) => g !== 'identity')
    .join(', ');
  $('token-jti').textContent = token.id ?? '—';
  $('token-jti').dataset.token = tokenName(token);
  $('token-issued').textContent = token.issuedAt?.toISOString() ?? '—';
  $('token-expires').textContent = token.expiresAt.toISOString();
  $('token-expires').dataset.expires = String(expires);
  $('clock-offset').textContent = `${offset(state.clockOffsetMs)} (token server minus this device)`;
  const fill = $('bar-fill');
  fill.style.width = `${Math.max(0, Math.min(100, (left / life) * 100))}%`;
  fill.style.background =
    left <= 0 ? 'var(--bad)' : state.tokenStatus === 'expiring' ? 'var(--warn)' : 'var(--ok)';
  const mark = (id: string, at: number | undefined) => {
    const element = $(id);
    element.hidden = at === undefined || at < issued || at > expires;
    // the bar runs down from the right: a mark sits at the share of life left at that moment
    if (at !== undefined) element.style.left = `${((expires - at) / life) * 100}%`;
  };
  mark('mark-refresh', state.fetchStatus === 'idle' ? state.refreshAt?.getTime() : undefined);
  mark('mark-warn', expires - model.warnBeforeMs);
  $('time-left').textContent = `· ${left > 0 ? `${duration(left)} left` : 'expired'}`;
}

function renderRow(model: PageModel, row: SdkRow, now: number): void {
  const tr = document.querySelector<HTMLElement>(`tr[data-sdk="${row.name}"]`);
  if (!tr) return;
  const link = row.getState();
  const online = row.online();
  const held = row.heldToken();
  tr.dataset.status = link.status;
  tr.dataset.online = String(online);
  tr.dataset.token = tokenName(held);
  const handed = row.handedOut();
  tr.dataset.created = String(handed.created);
  tr.dataset.pushed = String(handed.pushed);
  pill(
    field(tr, 'status'),
    link.status,
    link.status === 'synced' ? 'ok' : link.status === 'failed' ? 'bad' : 'warn',
  );
  pill(field(tr, 'online'), row.connection(), online ? 'ok' : 'bad');
  field(tr, 'jti')!.textContent = held?.id ?? '—';
  // Since the token reached this page: a token's own iat is on the token server's clock,
  // which the skew control moves.
  const arrived = model.arrivedAt.get(tokenName(held));
  field(tr, 'age')!.textContent = arrived === undefined ? '—' : duration(now - arrived);
  const seen = model.server.twilio?.[row.name];
  const tokens = [...new Set(seen?.open.map((c) => c.token ?? '?'))];
  tr.dataset.twilioTokens = tokens.join(' ');
  // Named as the page names tokens: the jti, and the expiry when it is not the held token's.
  const named = tokens.map((name) => (name === tokenName(held) ? (held?.id ?? name) : name));
  field(tr, 'twilio')!.textContent = seen
    ? tokens.length
      ? `${named.join(', ')} (${seen.open.length} open)`
      : 'no connection'
    : '—';
  field(tr, 'latency')!.textContent =
    link.pushLatencyMs === undefined ? '—' : `${link.pushLatencyMs} ms`;
}

/** Draws the page from the model; called four times a second. Reads only. */
export function renderPage(model: PageModel): void {
  const { manager, server, counters } = model;
  const state = manager.getState();
  const now = Date.now();
  const status = $('status');
  status.textContent = state.status;
  status.dataset.status = state.status;
  status.dataset.tokenStatus = state.tokenStatus;
  status.dataset.fetchStatus = state.fetchStatus;
  $('fetch-status').textContent = fetchLine(state, now);
  $('last-fetch').textContent = `last fetch: ${model.lastOutcome}`;
  $('fetches').textContent = String(counters.fetches);
  $('fetch-failures').textContent = String(counters.failures);
  let created = 0;
  let pushed = 0;
  for (const row of model.rows) {
    const handed = row.handedOut();
    created += handed.created;
    pushed += handed.pushed;
  }
  $('handed-out').textContent = String(created + pushed);
  $('handed-out-detail').textContent = `${created} at creation + ${pushed} pushed`;
  $('tabs').textContent = String(model.tabs);
  $('browser-fetches').textContent = String(server.fetches.minted + server.fetches.refused);
  $('server-state').textContent =
    `${server.down ? 'DOWN: answers 503' : 'up'} · latency ${server.latencyMs} ms · clock ${offset(server.skewMs)} · tokens live ${duration(server.tokenTtl * 1000)}`;
  const toggle = $('toggle-down');
  toggle.textContent = server.down ? 'Bring the token server back' : 'Take the token server down';
  toggle.classList.toggle('danger', !server.down);
  const error = $('last-error');
  error.hidden = !state.lastError;
  error.textContent = state.lastError
    ? `last error: ${state.lastError.code}: ${state.lastError.message}`
    : '';
  $('clock').textContent = `this device: ${clockTime(now)}`;
  renderToken(model, state, now);
  for (const row of model.rows) renderRow(model, row, now);
}
