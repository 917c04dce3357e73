import type { AccessManager } from '@access-manager/core';
import { duration, offset } from './format.js';
import type { SdkRow } from './rows.js';
import { changeTokenServer, type ServerState } from './serverApi.js';

interface ControlsContext {
  rows: SdkRow[];
  manager: AccessManager;
  note: (kind: string, text: string) => void;
  server: () => ServerState;
  changed: (next: Partial<ServerState>) => void;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const rowHtml = (row: SdkRow) => `
  <tr data-sdk="${row.name}">
    <td data-label="SDK"><strong>${row.label}</strong><small class="what ${row.real ? 'real' : 'stand-in'}">${escapeHtml(row.what)}</small></td>
    <td data-label="adapter"><span class="pill" data-field="status"></span></td>
    <td data-label="connection"><span class="pill" data-field="online"></span></td>
    <td data-label="token held" class="mono" data-field="jti"></td>
    <td data-label="age" data-field="age"></td>
    <td data-label="Twilio sees" class="mono" data-field="twilio"></td>
    <td data-label="last push" data-field="latency"></td>
    <td data-label="Twilio says" class="actions">${row.controls
      .map(
        (control, i) =>
          `<button type="button" data-control="${row.name}:${i}" title="${escapeHtml(control.title)}">${control.label}</button>`,
      )
      .join('')}</td>
  </tr>`;

/** Draws the SDK rows and wires every control of the page. */
export function wireControls({ rows, manager, note, server, changed }: ControlsContext): void {
  const body = document.getElementById('sdk-rows');
  if (body) body.innerHTML = rows.map(rowHtml).join('');
  for (const row of rows) {
    row.controls.forEach((control, i) => {
      document.querySelector(`[data-control="${row.name}:${i}"]`)?.addEventListener('click', () => {
        control.run().then(
          (what) => note('server', `${row.name}: ${control.label}: ${what}`),
          (error: unknown) =>
            note('error', `${row.name}: ${control.label} failed: ${String(error)}`),
        );
      });
    });
  }

  const change = async (next: Parameters<typeof changeTokenServer>[0]) => {
    const { ttl, ...rest } = await changeTokenServer(next);
    changed({ ...rest, tokenTtl: ttl });
    const s = server();
    note(
      'server',
      `token server: ${s.down ? 'DOWN (503)' : 'up'}, latency ${s.latencyMs} ms, clock ${offset(s.skewMs)}, tokens live ${duration(s.tokenTtl * 1000)}`,
    );
  };
  const on = (id: string, event: string, listener: (target: HTMLSelectElement) => void) =>
    document
      .getElementById(id)
      ?.addEventListener(event, (e) => listener(e.target as HTMLSelectElement));

  on('toggle-down', 'click', () => change({ down: !server().down }));
  // Not forced: a manual refresh says nothing against the token held. What the fetch brought
  // (adopted, or not and why) shows under "last fetch" and in the timeline.
  on('refresh-now', 'click', () => {
    note('server', 'Refresh now');
    manager.refresh({ reason: 'manual' }).catch(() => {});
  });
  on('latency', 'change', (select) => change({ latencyMs: Number(select.value) }));
  on('skew', 'change', (select) => change({ skewMs: Number(select.value) }));
  on('ttl', 'change', (select) => change({ ttl: Number(select.value) }));
  const ttl = document.getElementById('ttl') as HTMLSelectElement | null;
  if (ttl && ![...ttl.options].some((o) => Number(o.value) === server().tokenTtl)) {
    ttl.add(
      new Option(`${duration(server().tokenTtl * 1000)} (--ttl)`, String(server().tokenTtl)),
      0,
    );
  }
  if (ttl) ttl.value = String(server().tokenTtl);
}
