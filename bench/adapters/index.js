// Adapters benchmark: token-server requests per refresh cycle of an app with four real Twilio SDK
// clients (Sync, Conversations, Chat, Voice against the local fakes), with the adapters and wired
// the way the Twilio docs show, counted side by side in one run; and each adapter's size.
// Run: npx --yes pnpm@10 --filter @access-manager/bench-adapters bench   (after a build)
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { CLIENTS, startApp, WARN_STEP_MS } from './app.js';

const here = dirname(fileURLToPath(import.meta.url));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const expOf = (jwt) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp * 1000;

// Time is compressed 450x so that several cycles fit in half a minute: tokens live 8 s (an hour
// in an app), the clients warn when 2 s are left (Twilio: 3 minutes), and the adapters' signal
// cooldown is 0.5 s (10 s by default). Everything else is as shipped.
const CYCLES = 5;
const PERIOD_MS = 6_000;
const TTL_S = 8;
// The manager's own refresh is set to come 0.5 s before expiry, after the warnings, so that the
// warnings drive every cycle (with the default lead, min(5 min, lifetime / 3), the manager's
// scheduled refresh comes first and the warnings then are about the token before).
const manager = { refreshBeforeMs: 500 };
const attach = { signalCooldownMs: 500 };
const scenarios = [
  { name: 'adapters, token server answers at once', wiring: 'adapters', manager, attach },
  {
    name: 'adapters, token server takes 400 ms',
    wiring: 'adapters',
    manager,
    attach,
    delayMs: 400, // the second warning comes during the fetch, the last two after the push
  },
  { name: 'Twilio docs wiring, at once', wiring: 'docs' },
  { name: 'Twilio docs wiring, 400 ms', wiring: 'docs', delayMs: 400 },
];

async function run(scenario) {
  const t0 = Date.now();
  const app = await startApp({ ...scenario, ttl: TTL_S });
  const served = []; // [time, token]
  const recordServed = () => {
    while (served.length < app.tokens.served.length) served.push(Date.now());
  };
  const timer = setInterval(recordServed, 5);
  const perCycle = [];
  let renewedEveryCycle = true;
  try {
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const start = t0 + cycle * PERIOD_MS;
      await delay(start - Date.now());
      await app.warn();
      await delay(1_500 - (CLIENTS.length - 1) * WARN_STEP_MS);
      recordServed();
      // This cycle's requests: from half a period before its warnings to half a period after.
      perCycle.push(
        served.filter((at) => at > start - PERIOD_MS / 2 && at <= start + PERIOD_MS / 2).length,
      );
      // Each client must hold a token renewed in this cycle (more than 3 s left), or the count
      // would mean nothing.
      const now = Date.now();
      const held = Object.values(app.tokensHeld());
      if (!held.every((jwt) => jwt && expOf(jwt) - now > 3_000)) renewedEveryCycle = false;
    }
  } finally {
    clearInterval(timer);
    await app.close();
  }
  return { perCycle, renewedEveryCycle, fetchReasons: app.fetchReasons };
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

const results = await Promise.all(scenarios.map(run));
const rows = [];
for (const [i, scenario] of scenarios.entries()) {
  const { perCycle, renewedEveryCycle, fetchReasons } = results[i];
  const total = perCycle.reduce((a, b) => a + b, 0);
  const adapters = scenario.wiring === 'adapters';
  // With the adapters, each fetch must have come from an SDK's warning, not the manager's timer.
  const bySdk = fetchReasons.every((reason) => reason === 'sdk');
  rows.push({
    benchmark: `token requests per cycle, 4 clients: ${scenario.name}`,
    result: `${total} in ${CYCLES} cycles (${perCycle.join(', ')})${adapters ? `, reasons: ${[...new Set(fetchReasons)].join(', ')}` : ''}`,
    'all 4 renewed each cycle': renewedEveryCycle ? 'yes' : 'NO',
    goal: adapters ? 'exactly 1 per cycle' : 'peer (4 expected)',
    met: adapters
      ? perCycle.every((n) => n === 1) && renewedEveryCycle && bySdk
        ? 'yes'
        : 'NO'
      : '',
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
    'all 4 renewed each cycle': '',
    goal: '<= 1 KB (1024 B)',
    met: gzip <= 1024 ? 'yes' : 'NO',
  });
}

console.log(
  `Node ${process.version}, ${new Date().toISOString()}; ${CYCLES} cycles of ${PERIOD_MS / 1000} s, tokens of ${TTL_S} s, the four clients warning ${WARN_STEP_MS} ms apart`,
);
console.table(rows);
process.exit(0);
