// The CPU time toNodeListener(createTokenHandler(...)) spends on one request, in two builds of
// @access-manager/server, without sockets: a request object as node:http makes it (the raw
// headers a client sends) and a response that records what is written. Both builds are loaded
// in one process and take turns in small batches, so that a busy moment of a shared machine
// falls on both alike; each batch is timed by the process's own CPU time, and the figures are
// medians over the batches. Over loopback HTTP the load generator competes for the same CPUs,
// which makes requests per second far noisier than this.
//
//   node listener.compare.js <baseline dist/index.js> [candidate dist/index.js]
//
// BENCH_COMPARE_BATCHES (default 200) batches of BENCH_COMPARE_BATCH (5,000) requests for each
// build, after a warm-up of 20 batches each.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chat, credentials, median, printTable, voice } from './fixtures.js';

const [baseline, candidate] = process.argv.slice(2);
if (baseline === undefined) {
  console.error(
    'usage: node listener.compare.js <baseline dist/index.js> [candidate dist/index.js]',
  );
  process.exit(2);
}
const batches = Number(process.env.BENCH_COMPARE_BATCHES ?? 200);
const batch = Number(process.env.BENCH_COMPARE_BATCH ?? 5000);

async function endpoint(module) {
  const { ChatGrant, createTokenHandler, toNodeListener, VoiceGrant } = await import(module);
  const listener = toNodeListener(
    createTokenHandler({
      credentials,
      authorize: (request) => {
        const authorization = request.headers.get('authorization');
        if (authorization === null || !authorization.startsWith('Bearer ')) return null;
        return {
          identity: authorization.slice('Bearer '.length),
          grants: [new ChatGrant(chat), new VoiceGrant(voice)],
        };
      },
    }),
  );
  const request = {
    method: 'GET',
    url: '/token',
    rawHeaders: ['host', '127.0.0.1:3000', 'authorization', 'Bearer alice', 'user-agent', 'bench'],
    socket: { localAddress: '127.0.0.1', localPort: 3000 },
    readableEnded: false,
  };
  const written = { status: 0, bytes: 0 };
  const response = {
    headersSent: false,
    destroyed: false,
    writeHead: (status) => {
      written.status = status;
    },
    end: (body) => {
      written.bytes = body.length;
    },
  };
  /** CPU microseconds per request over one batch. */
  return () => {
    const started = process.cpuUsage();
    for (let index = 0; index < batch; index++) listener(request, response);
    const cpu = process.cpuUsage(started);
    if (written.status !== 200 || written.bytes < 500) {
      throw new Error(`answered ${written.status}, ${written.bytes} bytes`);
    }
    return (cpu.user + cpu.system) / batch;
  };
}

const modules = {
  baseline: pathToFileURL(resolve(baseline)).href,
  candidate: candidate ? pathToFileURL(resolve(candidate)).href : '@access-manager/server',
};
const run = {
  baseline: await endpoint(modules.baseline),
  candidate: await endpoint(modules.candidate),
};
for (let index = 0; index < 20; index++) {
  run.baseline();
  run.candidate();
}
const times = { baseline: [], candidate: [] };
const ratios = [];
for (let index = 0; index < batches; index++) {
  const order = index % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
  const measured = {};
  for (const name of order) {
    measured[name] = run[name]();
    times[name].push(measured[name]);
  }
  ratios.push(measured.candidate / measured.baseline);
}
printTable(
  `CPU time of one token request through toNodeListener, no sockets (${batches} alternating batches of ${batch.toLocaleString('en-US')} requests each, median)`,
  Object.entries(times).map(([name, measured]) => ({
    build: `${name}: ${candidate === undefined && name === 'candidate' ? 'this workspace' : modules[name]}`,
    'CPU µs/request': median(measured).toFixed(2),
  })),
);
const sorted = [...ratios].sort((a, b) => a - b);
const quartile = (q) => sorted[Math.floor(q * (sorted.length - 1))];
console.log(
  `\ncandidate / baseline, median of the ${batches} per-batch ratios: ${(median(ratios) * 100).toFixed(1)} % (quartiles ${(quartile(0.25) * 100).toFixed(1)} % and ${(quartile(0.75) * 100).toFixed(1)} %)`,
);
