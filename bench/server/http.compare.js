// The token endpoint of two builds of @access-manager/server, back to back: to tell whether a
// change costs throughput on a machine whose speed drifts. Each round runs the baseline and the
// candidate in turn (which goes first alternates), each in its own child process on 127.0.0.1,
// under the load of http.bench.js; the figures are the medians over the rounds, and the median
// of the per-round ratios.
//
//   node http.compare.js <baseline dist/index.js> [candidate dist/index.js]
//
// The candidate defaults to this workspace's build. BENCH_COMPARE_ROUNDS (default 6),
// BENCH_HTTP_SECONDS (4) and BENCH_HTTP_CONNECTIONS (10) change the run.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, printTable } from './fixtures.js';

const [baseline, candidate] = process.argv.slice(2);
if (baseline === undefined) {
  console.error('usage: node http.compare.js <baseline dist/index.js> [candidate dist/index.js]');
  process.exit(2);
}
const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 6);
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
const serverFile = fileURLToPath(new URL('./http.server.js', import.meta.url));
const headers = { authorization: 'Bearer alice' };
const builds = {
  baseline: resolve(baseline),
  candidate: candidate === undefined ? undefined : resolve(candidate),
};

async function start(module) {
  const env = { ...process.env };
  if (module === undefined) delete env.BENCH_SERVER_MODULE;
  else env.BENCH_SERVER_MODULE = module;
  const child = fork(serverFile, ['token'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
  const [{ port }] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${port}/token` };
}

async function ask(child, message) {
  child.send(message);
  const [answer] = await once(child, 'message');
  return answer;
}

async function stop(child) {
  child.send('stop');
  await once(child, 'exit');
}

const load = (url, duration) => autocannon({ url, connections, pipelining: 1, duration, headers });

async function measure(name) {
  const { child, url } = await start(builds[name]);
  const first = await fetch(url, { headers });
  if (first.status !== 200 || !(await first.json()).token) {
    throw new Error(`${name} answered ${first.status}`);
  }
  await load(url, 1); // warm-up: JIT, connection pool
  await ask(child, 'reset');
  const result = await load(url, seconds);
  const { requests, cpuMicros } = await ask(child, 'stats');
  await stop(child);
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
  process.stderr.write(
    `  round ${round + 1}/${rounds}: baseline ${Math.round(measured.baseline.rps)} req/s, candidate ${Math.round(measured.candidate.rps)} req/s\n`,
  );
}

printTable(
  `Token endpoint, two builds back to back (autocannon, ${connections} connections, ${seconds} s x ${rounds} rounds, alternating, median)`,
  Object.entries(runs).map(([name, measured]) => ({
    build: `${name}: ${builds[name] ?? 'this workspace'}`,
    'req/s': Math.round(median(measured.map((run) => run.rps))).toLocaleString('en-US'),
    'p99 ms': median(measured.map((run) => run.p99)),
    'server CPU µs/req': median(measured.map((run) => run.cpu)).toFixed(1),
  })),
);
const ratio = median(ratios);
console.log(
  `\ncandidate / baseline, median of the ${rounds} per-round ratios: ${(ratio * 100).toFixed(1)} % (per round: ${ratios.map((r) => `${(r * 100).toFixed(1)} %`).join(', ')})`,
);
