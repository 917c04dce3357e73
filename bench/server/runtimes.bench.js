// The Web Crypto mint (mintAccessTokenAsync) inside other runtimes: workerd (through miniflare,
// no nodejs_compat) and Deno, beside Deno's node:crypto mint. workerd does not advance its
// clocks while code runs (a Spectre mitigation), so each runtime is timed from here: a run of
// `count` mints minus a run of none, median of rounds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { chat, credentials, identity, median, printTable, voice } from './fixtures.js';

const require = createRequire(import.meta.url);
const serverEntry = require.resolve('@access-manager/server');
const count = Number(process.env.BENCH_RUNTIME_COUNT ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const loop = `
import { ChatGrant, mintAccessToken, mintAccessTokenAsync, VoiceGrant } from '@access-manager/server';
const options = () => ({
  accountSid: ${JSON.stringify(credentials.accountSid)},
  apiKeySid: ${JSON.stringify(credentials.apiKeySid)},
  apiKeySecret: ${JSON.stringify(credentials.apiKeySecret)},
  identity: ${JSON.stringify(identity)},
  grants: [new ChatGrant(${JSON.stringify(chat)}), new VoiceGrant(${JSON.stringify(voice)})],
});
export async function mintMany(count, sync) {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    sink += (sync ? mintAccessToken(options()) : await mintAccessTokenAsync(options())).length;
  }
  return sink;
}
`;

const bundled = await build({
  stdin: { contents: loop, resolveDir: process.cwd(), loader: 'js' },
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  alias: { '@access-manager/server': serverEntry },
  logLevel: 'silent',
});
const module = bundled.outputFiles[0].text;

/** Tokens per second from timed runs of `count` and of 0 mints. */
async function rate(runOnce) {
  await runOnce(Math.min(count, 2000)); // warm-up
  const rates = [];
  for (let round = 0; round < rounds; round++) {
    const empty = await runOnce(0);
    const full = await runOnce(count);
    rates.push((count * 1000) / Math.max(full - empty, 1e-3));
  }
  return median(rates);
}

const rows = {};

const worker = new Miniflare({
  modules: true,
  compatibilityDate: '2025-09-01',
  script: `${module}
export default {
  async fetch(request) {
    const count = Number(new URL(request.url).searchParams.get('count'));
    return new Response(String(await mintMany(count, false)));
  },
};`,
});
rows['workerd (miniflare 4), mintAccessTokenAsync (Web Crypto)'] = await rate(async (n) => {
  const start = performance.now();
  await (await worker.dispatchFetch(`http://localhost/?count=${n}`)).text();
  return performance.now() - start;
});
await worker.dispose();

const deno = require.resolve('deno/bin.cjs');
const directory = mkdtempSync(join(tmpdir(), 'bench-deno-'));
const script = join(directory, 'mint.mjs');
writeFileSync(
  script,
  `${module}
const [count, sync] = [Number(Deno.args[0]), Deno.args[1] === 'sync'];
await mintMany(Math.min(count, 2000) , sync);
const start = performance.now();
await mintMany(count, sync);
console.log(performance.now() - start);`,
);
const denoVersion = spawnSync(process.execPath, [deno, '--version'], {
  encoding: 'utf8',
})
  .stdout.split(' ')
  .slice(0, 2)
  .join(' ');
for (const mode of ['async', 'sync']) {
  // Timed inside Deno, whose clock does advance: one process per round.
  const rates = [];
  for (let round = 0; round < rounds; round++) {
    const result = spawnSync(process.execPath, [deno, 'run', script, String(count), mode], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr);
    rates.push((count * 1000) / Number(result.stdout.trim()));
  }
  const label =
    mode === 'async' ? 'mintAccessTokenAsync (Web Crypto)' : 'mintAccessToken (node:crypto)';
  rows[`${denoVersion}, ${label}`] = median(rates);
}
rmSync(directory, { recursive: true, force: true });

printTable(
  `Mint a token with identity + chat + voice grants in other runtimes (${count.toLocaleString('en-US')} mints, median of ${rounds} rounds)`,
  Object.entries(rows).map(([name, tokensPerSecond]) => ({
    runtime: name,
    'tokens/s': Math.round(tokensPerSecond).toLocaleString('en-US'),
    'µs/token': (1e6 / tokensPerSecond).toFixed(2),
  })),
);
