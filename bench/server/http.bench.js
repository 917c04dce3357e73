// The token endpoint over loopback HTTP under load, against a bare node:http server that answers
// a constant body of the same size, in the same run. Servers run in child processes on
// 127.0.0.1, started and stopped here; each measurement is time-boxed.
import { median, printTable } from './fixtures.js';
import { ask, headers, load as loadOn, start, stop } from './httpServers.js';

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
const modes = {
  bare: 'bare node:http, constant body',
  spin: 'control: bare + 5 µs busy loop, no token',
  official: 'official helper: node:http + twilio AccessToken',
  token: 'token endpoint, toNodeListener(createTokenHandler)',
  fetch: 'token endpoint, generic Request/Response adapter',
};
const load = (url, duration) => loadOn(url, duration, connections);

// Same answer size from every server, and a token from the endpoints, before any timing.
const sizes = {};
for (const mode of Object.keys(modes)) {
  const { child, url } = await start(mode);
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (response.status !== 200 || (mode !== 'bare' && !JSON.parse(body).token)) {
    throw new Error(`${mode} answered ${response.status}`);
  }
  sizes[mode] = body.length;
  await stop(child);
}
if (new Set(Object.values(sizes)).size !== 1)
  throw new Error(`body sizes differ: ${JSON.stringify(sizes)}`);

const results = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
for (let round = 0; round < rounds; round++) {
  // Interleaved, so that a noisy moment of the machine does not fall on one server only.
  for (const mode of Object.keys(modes)) {
    const { child, url } = await start(mode);
    await load(url, 1); // warm-up: JIT, connection pool
    await ask(child, 'reset');
    const result = await load(url, seconds);
    const { requests, cpuMicros } = await ask(child, 'stats');
    await stop(child);
    if (result.errors > 0 || result.non2xx > 0) {
      throw new Error(`${mode}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
    }
    results[mode].push({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpu: cpuMicros / requests,
    });
    process.stderr.write(
      `  round ${round + 1}/${rounds} ${mode}: ${Math.round(result.requests.average)} req/s\n`,
    );
  }
}

const summary = Object.fromEntries(
  Object.entries(results).map(([mode, runs]) => [
    mode,
    {
      rps: median(runs.map((run) => run.rps)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      cpu: median(runs.map((run) => run.cpu)),
    },
  ]),
);
printTable(
  `Token endpoint over loopback HTTP (autocannon, ${connections} connections, ${seconds} s x ${rounds} rounds, median; ${sizes.bare}-byte bodies)`,
  Object.entries(summary).map(([mode, stats]) => ({
    server: modes[mode],
    'req/s': Math.round(stats.rps).toLocaleString('en-US'),
    'vs bare': `${((stats.rps / summary.bare.rps) * 100).toFixed(1)} %`,
    'p50 ms': stats.p50,
    'p99 ms': stats.p99,
    'server CPU µs/req': stats.cpu.toFixed(1),
  })),
);
console.log(
  `\nThe token endpoint serves ${(summary.token.rps / summary.official.rps).toFixed(1)}x the requests per second of the same endpoint written with the official helper.`,
);
const share = summary.token.rps / summary.bare.rps;
console.log(
  `\nThe token endpoint serves ${(share * 100).toFixed(1)} % of the bare server's requests per second (goal: at least 85 %): ${share >= 0.85 ? 'met' : 'NOT met'}`,
);
