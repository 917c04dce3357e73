// Adapters benchmark: token-server requests per refresh cycle of an app with four real Twilio SDK
// clients (Sync, Conversations, Chat, Voice against the local fakes), with the adapters and wired
// the way the Twilio docs show, counted side by side in one run; and each adapter's size.
// Run: npx --yes pnpm@10 --filter @access-manager/bench-adapters bench   (after a build)
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { startApp } from './app.js';
import { VirtualClock } from './virtualClock.js';

const here = dirname(fileURLToPath(import.meta.url));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const expOf = (jwt) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp * 1000;

// Real magnitudes: tokens live an hour and each client's server warns when its token has three
// minutes left (Twilio's lead), with the four warnings 250 ms apart. The manager and the adapters
// run on a VirtualClock that the bench moves from one due event to the next (a timer of theirs,
// or the next warning), so that an hour passes in moments while the SDK clients, the fakes and
// the sockets run in real time.
const ROUNDS = 4;
const TTL_S = 3_600;
const WARN_BEFORE_MS = 180_000;
const scenarios = [
  {
    name: 'adapters, defaults (the manager refreshes 5 min before expiry, before any warning)',
    wiring: 'adapters',
  },
  {
    name: 'adapters, refreshBeforeMs 2 min (the warnings come first; the manager expects them)',
    wiring: 'adapters',
    manager: { refreshBeforeMs: 120_000 },
  },
  {
    // Twilio's clock 2 min ahead of the app's: its warnings come 5 min before expiry by the app's
    // clock, before the manager expects any, so the first one makes the fetch.
    name: 'adapters, refreshBeforeMs 2 min, Twilio warns 5 min early by the app clock',
    wiring: 'adapters',
    manager: { refreshBeforeMs: 120_000 },
    warnBeforeMs: 300_000,
  },
  {
    name: 'adapters, as above, token server takes 400 ms',
    wiring: 'adapters',
    manager: { refreshBeforeMs: 120_000 },
    warnBeforeMs: 300_000,
    delayMs: 400, // the second warning comes during the fetch, the last two after the push
  },
  { name: 'Twilio docs wiring', wiring: 'docs' },
  { name: 'Twilio docs wiring, token server takes 400 ms', wiring: 'docs', delayMs: 400 },
];

/** Waits until no fetch is under way and every push has landed. */
async function settle(app) {
  const busy = () =>
    app.tokens.inFlight > 0 ||
    app.manager?.getState().status === 'refreshing' ||
    app.links.some((link) => link.getState().status !== 'synced');
  await delay(2);
  if (!busy() && app.tokens.served.length === app.servedBefore) return;
  do await delay(10);
  while (busy());
  await delay(50); // the last frames reach the fakes
}

/**
 * Runs `ROUNDS` refresh rounds: a round ends when every client holds a token other than the one
 * it held when the round began. Between events, virtual time jumps to the next one.
 */
async function run(scenario) {
  const clock = new VirtualClock();
  const warnBeforeMs = scenario.warnBeforeMs ?? WARN_BEFORE_MS;
  const app = await startApp({ ...scenario, ttl: TTL_S, clock });
  const perRound = [];
  const warned = new Set();
  let expired = false;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const before = app.tokens.served.length;
      const heldBefore = Object.values(app.tokensHeld());
      const renewed = () =>
        Object.values(app.tokensHeld()).every((jwt, i) => jwt !== heldBefore[i]);
      while (!renewed()) {
        const held = Object.values(app.tokensHeld());
        const warnAt = Math.min(
          ...held.filter((jwt) => !warned.has(jwt)).map((jwt) => expOf(jwt) - warnBeforeMs),
        );
        const timerAt = clock.nextDue();
        const next = Math.min(warnAt, timerAt);
        if (!Number.isFinite(next)) throw new Error(`${scenario.name}: nothing left to happen`);
        if (held.some((jwt) => expOf(jwt) <= next)) expired = true;
        app.servedBefore = app.tokens.served.length;
        if (warnAt <= timerAt) {
          clock.jumpTo(warnAt);
          for (const jwt of held) warned.add(jwt);
          await app.warn();
          await delay(300);
        } else {
          clock.jumpTo(timerAt);
        }
        await settle(app);
      }
      perRound.push(app.tokens.served.length - before);
    }
  } finally {
    await app.close();
  }
  return { perRound, expired, fetchReasons: app.fetchReasons };
}

/** Minified + gzipped size of one export of a built adapter, with the core and rxjs external. */
async function sizeOf(pkg, name) {
  const result = await build({
    stdin: {
      contents: `export { ${name} } from '${pkg}';`,
      resolveDir: here,
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['@access-manager/core', 'rxjs'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const results = [];
for (const scenario of scenarios) results.push(await run(scenario));
const rows = [];
for (const [i, scenario] of scenarios.entries()) {
  const { perRound, expired, fetchReasons } = results[i];
  const total = perRound.reduce((a, b) => a + b, 0);
  const adapters = scenario.wiring === 'adapters';
  const reasons = adapters ? `; fetched on: ${[...new Set(fetchReasons)].join(', ')}` : '';
  rows.push({
    benchmark: `token requests per refresh, 4 clients: ${scenario.name}`,
    result: `${total} in ${ROUNDS} rounds (${perRound.join(', ')})${reasons}`,
    'no client expired': expired ? 'NO' : 'yes',
    goal: adapters ? 'exactly 1 per round' : 'peer (4 expected)',
    met: adapters ? (perRound.every((n) => n === 1) && !expired ? 'yes' : 'NO') : '',
  });
}
for (const [pkg, name] of [
  ['@access-manager/sync', 'attachSync'],
  ['@access-manager/conversations', 'attachConversations'],
  ['@access-manager/chat', 'attachChat'],
  ['@access-manager/voice', 'attachVoice'],
  ['@access-manager/video', 'connectVideo'],
]) {
  const { min, gzip } = await sizeOf(pkg, name);
  rows.push({
    benchmark: `size (min+gz, core and rxjs external): ${name}`,
    result: `${gzip} B (${min} B min)`,
    'no client expired': '',
    goal: '<= 1 KB (1024 B)',
    met: gzip <= 1024 ? 'yes' : 'NO',
  });
}

console.log(
  `Node ${process.version}, ${new Date().toISOString()}; ${ROUNDS} rounds per scenario, tokens of ${TTL_S / 60} min, warnings ${WARN_BEFORE_MS / 60_000} min before expiry`,
);
console.table(rows);
process.exit(0);
