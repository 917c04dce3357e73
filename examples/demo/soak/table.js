// The soak's final table, as text: what an operator reads at the end of a run.
import { heapLimitKbPerMin, LIMITS, stats } from './verdict.js';

const s = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const mb = (bytes) => (bytes === undefined ? '—' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Lines of `label  value`, the labels padded to one width. */
const block = (title, rows) => {
  const width = Math.max(...rows.map(([label]) => label.length));
  return [title, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
};

/** The table for a summary (see soak.js `summarize`). */
export function formatTable(summary) {
  const { cycles, faults, heap, rssBytes, errors, options } = summary;
  const clean = cycles.filter((c) => !c.faulted);
  const perCycle = new Map();
  for (const cycle of clean) perCycle.set(cycle.fetches, (perCycle.get(cycle.fetches) ?? 0) + 1);
  const distribution = [...perCycle.entries()]
    .sort(([a], [b]) => a - b)
    .map(([fetches, n]) => `${n} × ${fetches}`)
    .join(', ');
  const missedClean = clean.reduce((n, c) => n + c.missed.length, 0);
  const faultCycles = cycles.filter((c) => c.faulted);
  const lines = [
    `soak: ${options.minutes} min, ${options.tabs} tab${options.tabs > 1 ? 's' : ''}, ${options.ttl} s tokens, Chromium ${summary.browserVersion}`,
    '',
    ...block('cycles', [
      [
        'complete',
        `${cycles.length} (${clean.length} fault-free, ${faultCycles.length} in a fault)`,
      ],
      ['fetches per fault-free cycle', distribution || '—'],
      [
        'fetches in fault cycles',
        `${faultCycles.reduce((n, c) => n + c.fetches, 0)} in ${faultCycles.length} cycles (max ${Math.max(0, ...faultCycles.map((c) => c.fetches))})`,
      ],
      ['deliveries missed (fault-free)', `${missedClean} of ${clean.length * 4}`],
      [
        'deliveries missed (fault cycles)',
        `${faultCycles.reduce((n, c) => n + c.missed.length, 0)} of ${faultCycles.length * 4}`,
      ],
      [
        'token server',
        `${summary.tokenServer.minted} minted, ${summary.tokenServer.refused} refused`,
      ],
    ]),
    '',
    'recovery per fault kind (from the injection, the lift, or the refused update)',
  ];
  const kinds = [...new Set(faults.map((f) => f.kind))];
  const width = Math.max(4, ...kinds.map((k) => k.length));
  lines.push(
    `  ${'kind'.padEnd(width)}  ${'n'.padStart(2)}  ${'min'.padStart(7)}  ${'median'.padStart(7)}  ${'max'.padStart(7)}`,
  );
  for (const kind of kinds) {
    const ofKind = faults.filter((f) => f.kind === kind);
    const times = ofKind.map((f) => f.recoveryMs).filter((ms) => ms !== undefined);
    const { min, median, max } = stats(times);
    const lost = ofKind.length - times.length;
    lines.push(
      `  ${kind.padEnd(width)}  ${String(ofKind.length).padStart(2)}  ${s(min).padStart(7)}  ${s(median).padStart(7)}  ${s(max).padStart(7)}${lost ? `  (${lost} not recovered within ${LIMITS.recoveryMs / 1000} s)` : ''}`,
    );
  }
  lines.push('');
  lines.push(
    ...block(
      'memory (heap after GC; listeners: Chromium jsEventListeners; from the end of warm-up)',
      [
        ...heap.map((h) => [
          `tab ${h.tab} heap`,
          `${mb(h.first)} → ${mb(h.last)} (slope ${h.slopeKbPerMin === undefined ? '—' : Math.round(h.slopeKbPerMin)} kB/min over ${h.judgedMinutes.toFixed(1)} min, limit ${heapLimitKbPerMin(h.judgedMinutes)}; ${h.samples} samples)`,
        ]),
        ...heap.map((h) => [`tab ${h.tab} listeners`, `${h.listenersFirst} → ${h.listenersLast}`]),
        ...heap.map((h) => [`tab ${h.tab} DOM nodes`, `${h.nodesFirst} → ${h.nodesLast}`]),
        [
          'demo server RSS',
          `${mb(rssBytes.first)} → ${mb(rssBytes.last)} (max ${mb(rssBytes.max)})`,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    ...block('browser', [
      ['console errors', `${errors.console.length}`],
      ['page errors (uncaught)', `${errors.page.length}`],
      ['sockets opened', summary.sockets.map(([name, n]) => `${name} ${n}`).join(', ')],
      ['requests beyond 127.0.0.1', `${summary.outside.length}`],
    ]),
  );
  const distinct = [...new Set([...errors.page.map((e) => `pageerror: ${e}`), ...errors.console])];
  for (const text of distinct.slice(0, 8)) {
    const n = [...errors.page.map((e) => `pageerror: ${e}`), ...errors.console].filter(
      (e) => e === text,
    ).length;
    lines.push(
      `  ${String(n).padStart(4)} × ${text.length > 150 ? `${text.slice(0, 150)}…` : text}`,
    );
  }
  lines.push('');
  lines.push(
    summary.failures.length
      ? `FAILED:\n${summary.failures.map((f) => `  - ${f}`).join('\n')}`
      : 'PASSED: no leak, no delivery missed outside a fault, at most one fetch in each fault-free cycle, every fault recovered from',
  );
  return lines.join('\n');
}
