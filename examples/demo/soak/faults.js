// The soak's fault schedule: what an operator does to the demo, through the page's own controls
// (the debugger for a freeze), and when the demo counts as recovered from each. Faults run one at
// a time, in this order, round and round.
const button = (sdk, label) => `tr[data-sdk="${sdk}"] button:text-is("${label}")`;
const connections = (snapshot, sdk) => snapshot.server?.twilio?.[sdk]?.connections ?? 0;

/**
 * A fault: `inject` it (through `ctx`), and for one that lasts (`durationMs`) `lift` it after that
 * long. `recovered(snapshot, before)` says whether the demo is back, judged on a snapshot taken
 * after the fault was injected (or lifted); `before` is the snapshot taken as it was injected.
 * Recovery is timed from the lift, or from the injection for an instant fault, or, for
 * `fromNextAdoption`, from the first token adopted after the injection (a refused update only
 * happens at the next refresh).
 */
const expire = (sdk) => ({
  kind: `expire ${sdk}`,
  what: `${sdk} Expire (${sdk === 'voice' ? 'error 20104' : 'close 410 / 20104'})`,
  inject: (ctx) => ctx.click(button(sdk, 'Expire')),
  // A fresh token everywhere; a twilsock client reconnected (its connection was closed).
  recovered: (now, before) =>
    now.healthy &&
    now.token !== before.token &&
    (sdk === 'voice' || connections(now, sdk) > connections(before, sdk)),
});

const refuse = (sdk) => ({
  kind: `refuse ${sdk}`,
  what: `${sdk} Refuse next (its next update answered 401 / 20104)`,
  fromNextAdoption: true,
  inject: (ctx) => ctx.click(button(sdk, 'Refuse next')),
  recovered: (now, before) => now.healthy && connections(now, sdk) > connections(before, sdk),
});

const skew = (ms, words) => ({
  kind: `clock ${words}`,
  what: `token server clock ${words} for 60 s`,
  durationMs: 60_000,
  inject: (ctx) => ctx.select('#skew', String(ms)),
  lift: (ctx) => ctx.select('#skew', '0'),
  recovered: (now) => now.healthy,
});

export const FAULTS = [
  {
    kind: 'outage',
    what: 'token server down (503) for 30 s',
    durationMs: 30_000,
    inject: (ctx) => ctx.setDown(true),
    lift: (ctx) => ctx.setDown(false),
    recovered: (now, before) => now.healthy && now.token !== before.token,
  },
  {
    kind: 'freeze',
    what: 'the last tab paused in the debugger (and frozen) for 30 s',
    durationMs: 30_000,
    inject: (ctx) => ctx.freeze(ctx.tabs.length - 1),
    lift: (ctx) => ctx.thaw(ctx.tabs.length - 1),
    recovered: (now) => now.healthy,
  },
  expire('voice'),
  expire('conversations'),
  refuse('sync'),
  skew(120_000, '2 min ahead'),
  expire('chat'),
  {
    kind: 'drop video',
    what: 'Video stand-in Drop signaling',
    inject: (ctx) => ctx.click(button('video', 'Drop signaling')),
    recovered: (now) => now.healthy,
  },
  refuse('conversations'),
  expire('sync'),
  skew(-120_000, '2 min behind'),
  refuse('chat'),
];
