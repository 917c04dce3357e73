// The CPU time of one token request through toNodeListener(createTokenHandler(...)) in two
// builds of @access-manager/server, over a real node:http server and real sockets on
// 127.0.0.1, in one process. The server routes /baseline and /candidate to the two builds; one
// client connection each sends batches of pipelined requests, the two taking turns (which goes
// first alternates). Each batch is timed by the process's CPU time, which holds the client's
// work too, the same for both, so a difference is the server's. A busy moment of a shared
// machine falls on both alike; requests per second over loopback, with the load generator in
// another process competing for the same CPUs, are far noisier than this.
//
//   node listener.compare.js <baseline dist/index.js> [candidate dist/index.js]
//
// BENCH_COMPARE_BATCHES (default 400) batches of BENCH_COMPARE_BATCH (200) requests for each
// build, after a warm-up of 50 batches each.
import { createServer } from 'node:http';
import { connect } from 'node:net';
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
const batches = Number(process.env.BENCH_COMPARE_BATCHES ?? 400);
const batch = Number(process.env.BENCH_COMPARE_BATCH ?? 200);

async function endpoint(module) {
  const { ChatGrant, createTokenHandler, toNodeListener, VoiceGrant } = await import(module);
  return toNodeListener(
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
}

const modules = {
  baseline: pathToFileURL(resolve(baseline)).href,
  candidate: candidate ? pathToFileURL(resolve(candidate)).href : '@access-manager/server',
};
const listeners = {
  baseline: await endpoint(modules.baseline),
  candidate: await endpoint(modules.candidate),
};
const server = createServer((request, response) =>
  (request.url === '/baseline' ? listeners.baseline : listeners.candidate)(request, response),
);
server.keepAliveTimeout = 60_000;
await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
const { port } = server.address();

/** A client connection that sends one batch of pipelined requests and waits for every 200. */
async function client(name) {
  const socket = connect(port, '127.0.0.1');
  await new Promise((ready) => socket.once('connect', ready));
  const requests =
    `GET /${name} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nauthorization: Bearer alice\r\n\r\n`.repeat(
      batch,
    );
  let answered = 0;
  let done;
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => {
    for (let at = chunk.indexOf('HTTP/1.1 '); at !== -1; at = chunk.indexOf('HTTP/1.1 ', at + 1)) {
      if (!chunk.startsWith('HTTP/1.1 200', at)) throw new Error(`${name}: not a 200`);
      answered += 1;
    }
    if (answered >= batch && done) {
      answered -= batch;
      const finish = done;
      done = undefined;
      finish();
    }
  });
  const send = () =>
    new Promise((finish) => {
      done = finish;
      socket.write(requests);
    });
  return { socket, send };
}

const clients = { baseline: await client('baseline'), candidate: await client('candidate') };
const cpuPerRequest = async (name) => {
  const started = process.cpuUsage();
  await clients[name].send();
  const cpu = process.cpuUsage(started);
  return (cpu.user + cpu.system) / batch;
};
for (let index = 0; index < 50; index++) {
  await cpuPerRequest('baseline');
  await cpuPerRequest('candidate');
}
const times = { baseline: [], candidate: [] };
const ratios = [];
for (let index = 0; index < batches; index++) {
  const order = index % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
  const measured = {};
  for (const name of order) {
    measured[name] = await cpuPerRequest(name);
    times[name].push(measured[name]);
  }
  ratios.push(measured.candidate / measured.baseline);
}
for (const { socket } of Object.values(clients)) socket.destroy();
server.close();

printTable(
  `CPU time of one token request over node:http, client included (${batches} alternating batches of ${batch} pipelined requests, median)`,
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
