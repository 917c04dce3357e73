// The CPU time toNodeListener(createTokenHandler(...)) spends on one request, in two builds of
// @access-manager/server, without sockets: a request object as node:http makes it (the raw
// headers autocannon sends) and a response that records what is written. On a machine shared
// with other work this is steadier than requests per second over loopback, where the load
// generator competes for the same CPUs. Each build runs in its own process, in turn (which goes
// first alternates), and the figure is the median over the rounds.
//
//   node listener.compare.js <baseline dist/index.js> [candidate dist/index.js]
//
// BENCH_COMPARE_ROUNDS (default 8) and BENCH_LISTENER_REQUESTS (300,000 a round, after 30,000 of
// warm-up) change the run.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chat, credentials, median, printTable, voice } from './fixtures.js';

if (process.argv[2] === '--child') {
  const module = process.argv[3];
  const { ChatGrant, createTokenHandler, toNodeListener, VoiceGrant } = await import(
    module === '' ? '@access-manager/server' : pathToFileURL(module).href
  );
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
  let status = 0;
  let bytes = 0;
  const response = {
    headersSent: false,
    destroyed: false,
    writeHead: (code) => {
      status = code;
    },
    end: (body) => {
      bytes = body.length;
    },
  };
  const count = Number(process.env.BENCH_LISTENER_REQUESTS ?? 300_000);
  for (let index = 0; index < count / 10; index++) listener(request, response);
  const started = process.cpuUsage();
  for (let index = 0; index < count; index++) listener(request, response);
  const cpu = process.cpuUsage(started);
  if (status !== 200 || bytes < 500) throw new Error(`answered ${status}, ${bytes} bytes`);
  process.stdout.write(JSON.stringify({ cpuMicros: (cpu.user + cpu.system) / count }));
  process.exit(0);
}

const [baseline, candidate] = process.argv.slice(2);
if (baseline === undefined) {
  console.error(
    'usage: node listener.compare.js <baseline dist/index.js> [candidate dist/index.js]',
  );
  process.exit(2);
}
const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 8);
const self = fileURLToPath(import.meta.url);
const builds = { baseline: resolve(baseline), candidate: candidate ? resolve(candidate) : '' };
const measure = (name) =>
  JSON.parse(execFileSync(process.execPath, [self, '--child', builds[name]], { encoding: 'utf8' }))
    .cpuMicros;

const runs = { baseline: [], candidate: [] };
const ratios = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
  const measured = {};
  for (const name of order) {
    measured[name] = measure(name);
    runs[name].push(measured[name]);
  }
  ratios.push(measured.candidate / measured.baseline);
  process.stderr.write(
    `  round ${round + 1}/${rounds}: baseline ${measured.baseline.toFixed(2)} µs, candidate ${measured.candidate.toFixed(2)} µs\n`,
  );
}
printTable(
  `CPU time of one token request through toNodeListener, no sockets (${rounds} rounds, alternating, median)`,
  Object.entries(runs).map(([name, measured]) => ({
    build: `${name}: ${builds[name] || 'this workspace'}`,
    'CPU µs/request': median(measured).toFixed(2),
    'min..max': `${Math.min(...measured).toFixed(2)}..${Math.max(...measured).toFixed(2)}`,
  })),
);
console.log(
  `\ncandidate / baseline, median of the ${rounds} per-round ratios: ${(median(ratios) * 100).toFixed(1)} %`,
);
