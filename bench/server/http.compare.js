// The token endpoint of two builds of @access-manager/server, back to back: to tell whether a
// change costs throughput on a machine whose speed drifts. Both servers run at once, each in its
// own child process on 127.0.0.1, and take turns under the load of http.bench.js in short
// bursts (which goes first alternates), so that a busy moment falls on both alike; the figures
// are the medians over the rounds, and the median of the per-round ratios.
//
//   node http.compare.js <baseline dist/index.js> [candidate dist/index.js]
//
// The candidate defaults to this workspace's build. BENCH_COMPARE_ROUNDS (default 20),
// BENCH_HTTP_SECONDS (a burst, default 1) and BENCH_HTTP_CONNECTIONS (10) change the run.
import { resolve } from 'node:path';
import { median, printTable } from './fixtures.js';
import { ask, headers, load as loadOn, start as startServer, stop } from './httpServers.js';

const [baseline, candidate] = process.argv.slice(2);
if (baseline === undefined) {
  console.error('usage: node http.compare.js <baseline dist/index.js> [candidate dist/index.js]');
  process.exit(2);
}
const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 1);
const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 20);
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
const builds = {
  baseline: resolve(baseline),
  candidate: candidate === undefined ? undefined : resolve(candidate),
};

/** The token endpoint of the build at `module` (undefined: this workspace's). */
function start(module) {
  const env = { ...process.env };
  if (module === undefined) delete env.BENCH_SERVER_MODULE;
  else env.BENCH_SERVER_MODULE = module;
  return startServer('token', env);
}

const load = (url, duration) => loadOn(url, duration, connections);

const servers = {};
for (const name of ['baseline', 'candidate']) {
  servers[name] = await start(builds[name]);
  const first = await fetch(servers[name].url, { headers });
  if (first.status !== 200 || !(await first.json()).token) {
    throw new Error(`${name} answered ${first.status}`);
  }
  await load(servers[name].url, 2); // warm-up: JIT, connection pool
}

async function measure(name) {
  const { child, url } = servers[name];
  await ask(child, 'reset');
  const result = await load(url, seconds);
  const { requests, cpuMicros } = await ask(child, 'stats');
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
  }
  return { rps: result.requests.average, cpu: cpuMicros / requests, p99: result.latency.p99 };
}

const runs = { baseline: [], candidate: [] };
const ratios = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
  const measured = {};
  for (const name of order) {
    measured[name] = await measure(name);
    runs[name].push(measured[name]);
  }
  ratios.push(measured.candidate.rps / measured.baseline.rps);
  if (process.env.BENCH_VERBOSE)
    process.stderr.write(
      `  round ${round + 1}/${rounds}: baseline ${Math.round(measured.baseline.rps)} req/s, candidate ${Math.round(measured.candidate.rps)} req/s\n`,
    );
}

for (const { child } of Object.values(servers)) await stop(child);

printTable(
  `Token endpoint, two builds back to back (autocannon, ${connections} connections, ${seconds} s bursts x ${rounds} rounds, alternating, median)`,
  Object.entries(runs).map(([name, measured]) => ({
    build: `${name}: ${builds[name] ?? 'this workspace'}`,
    'req/s': Math.round(median(measured.map((run) => run.rps))).toLocaleString('en-US'),
    'p99 ms': median(measured.map((run) => run.p99)),
    'server CPU µs/req': median(measured.map((run) => run.cpu)).toFixed(1),
  })),
);
const ratio = median(ratios);
const sorted = [...ratios].sort((a, b) => a - b);
const quartile = (q) => sorted[Math.floor(q * (sorted.length - 1))];
console.log(
  `\ncandidate / baseline, median of the ${rounds} per-round ratios: ${(ratio * 100).toFixed(1)} % (quartiles ${(quartile(0.25) * 100).toFixed(1)} % and ${(quartile(0.75) * 100).toFixed(1)} %)`,
);
