// One server of the endpoint benchmark, in its own process so that it does not share a CPU
// with the load generator: `bare`, `official` (node:http and the twilio helper, what a user
// would otherwise write), `token` (toNodeListener fast path) or `fetch` (the same handler behind
// the generic web Request/Response adapter).
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import twilio from 'twilio';
import { chat, credentials, identity, voice } from './fixtures.js';

const mode = process.argv[2];
// http.compare.js points this at another build of the package (an older commit's dist/index.js).
const { ChatGrant, createTokenHandler, mintAccessToken, toNodeListener, VoiceGrant } = await import(
  process.env.BENCH_SERVER_MODULE
    ? pathToFileURL(process.env.BENCH_SERVER_MODULE).href
    : '@access-manager/server'
);

const handler = createTokenHandler({
  credentials,
  // What a real endpoint does: find the caller from a header, then grant chat and voice.
  authorize: (request) => {
    const authorization = request.headers.get('authorization');
    if (authorization === null || !authorization.startsWith('Bearer ')) return null;
    return {
      identity: authorization.slice('Bearer '.length),
      grants: [new ChatGrant(chat), new VoiceGrant(voice)],
    };
  },
});

// The bare server answers a constant body of exactly the size of the token endpoint's answer.
const token = mintAccessToken({
  accountSid: credentials.accountSid,
  apiKeySid: credentials.apiKeySid,
  apiKeySecret: credentials.apiKeySecret,
  identity,
  grants: [new ChatGrant(chat), new VoiceGrant(voice)],
});
const constant = JSON.stringify({
  token,
  identity,
  expiresAt: new Date().toISOString(),
  serverTime: Date.now(),
});
const bare = (_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'private, no-store',
    pragma: 'no-cache',
    'content-length': Buffer.byteLength(constant),
  });
  response.end(constant);
};

// A control: the bare server plus 5 µs of busy CPU, about what minting one token costs on its
// own. It shows what any 5 µs of work per request does to the ratio on the machine at hand.
const spin = (request, response) => {
  const until = performance.now() + 0.005;
  while (performance.now() < until);
  bare(request, response);
};

// The same endpoint written with the official helper: same check of the header, same grants,
// same answer and headers.
const { AccessToken } = twilio.jwt;
const official = (request, response) => {
  const authorization = request.headers.authorization;
  if (authorization === undefined || !authorization.startsWith('Bearer ')) {
    response.writeHead(401, {
      'content-type': 'application/json',
      'cache-control': 'private, no-store',
      pragma: 'no-cache',
      'www-authenticate': 'Bearer',
    });
    response.end('{"error":"unauthorized"}');
    return;
  }
  const caller = authorization.slice('Bearer '.length);
  const accessToken = new AccessToken(
    credentials.accountSid,
    credentials.apiKeySid,
    credentials.apiKeySecret,
    { identity: caller, ttl: 3600 },
  );
  accessToken.addGrant(new AccessToken.ChatGrant(chat));
  accessToken.addGrant(new AccessToken.VoiceGrant(voice));
  const body = JSON.stringify({
    token: accessToken.toJwt(),
    identity: caller,
    expiresAt: new Date((Math.floor(Date.now() / 1000) + 3600) * 1000).toISOString(),
    serverTime: Date.now(),
  });
  response.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'private, no-store',
    pragma: 'no-cache',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
};

const listeners = {
  bare,
  official,
  spin,
  token: toNodeListener(handler),
  fetch: toNodeListener((request) => handler(request)),
};
const listener = listeners[mode];
if (listener === undefined) throw new Error(`unknown mode ${mode}`);

let requests = 0;
let cpuAtStart = process.cpuUsage();
const server = createServer((request, response) => {
  requests += 1;
  listener(request, response);
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'reset') {
    requests = 0;
    cpuAtStart = process.cpuUsage();
    process.send({ reset: true });
  } else if (message === 'stats') {
    const cpu = process.cpuUsage(cpuAtStart);
    process.send({ requests, cpuMicros: cpu.user + cpu.system });
  } else if (message === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
