#!/usr/bin/env node
// The access-manager demo: one local server on 127.0.0.1 that serves the page and a /token
// endpoint made with @access-manager/server, and starts the fake Twilio endpoints of
// @access-manager/testing beside them, for the real SDK clients on the page.
//
//   node examples/demo/server.js [--ttl SECONDS] [--port PORT] [--host HOST] [--help]
//
// Without Twilio credentials in the environment the tokens are signed with a secret generated at
// start and carry placeholder SIDs: real Twilio-format JWTs that only the fake endpoints accept.
// With TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET it mints real tokens and the
// SDKs connect to Twilio (see README.md for the service SIDs).
import { createServer } from 'node:http';
import { loadAssets } from './server/assets.js';
import { parseCommandLine, USAGE, UsageError } from './server/cli.js';
import { startFakeTwilio, TWILSOCK_CLIENTS } from './server/fakeTwilio.js';
import { startTokenServer } from './server/tokenServer.js';

let options;
try {
  options = parseCommandLine(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`demo: ${error.message}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const log = (line) => console.log(`${new Date().toISOString()} ${line}`);
const tokens = startTokenServer({ env: process.env, ttl: options.ttl, log });
const fakes = tokens.real
  ? undefined
  : await startFakeTwilio({ log, signingSecret: tokens.signingSecret });
const assets = await loadAssets();

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error('body too large');
  }
  return body ? JSON.parse(body) : {};
}

/** What the page reads at start and then every second. */
const state = () => ({
  mode: tokens.real ? 'real' : 'embedded',
  ttl: options.ttl,
  tokenTtl: tokens.control.ttl,
  down: tokens.control.down,
  latencyMs: tokens.control.latencyMs,
  skewMs: tokens.control.skewMs,
  fetches: tokens.counts,
  versions: assets.versions,
  endpoints: fakes?.endpoints(),
  twilio: fakes?.seen(),
});

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  try {
    if (url.pathname === '/token') {
      const answer = await tokens.request(req.method);
      return send(answer.status, answer.type, answer.body);
    }
    if (url.pathname === '/api/state')
      return send(200, 'application/json', JSON.stringify(state()));
    if (url.pathname === '/api/control' && req.method === 'POST') {
      // JSON only: a cross-site form or text/plain POST from another page cannot work the
      // controls (a JSON content type needs a CORS preflight, which this server never grants).
      if (!req.headers['content-type']?.startsWith('application/json')) {
        return send(415, 'text/plain', 'application/json only');
      }
      const change = await readJson(req);
      if (typeof change.client === 'string') {
        if (!fakes) return send(409, 'text/plain', 'no fake Twilio endpoints in real mode');
        const count = fakes.act(change.client, String(change.action));
        return send(200, 'application/json', JSON.stringify({ count }));
      }
      return send(200, 'application/json', JSON.stringify(tokens.change(change)));
    }
    const asset = await assets.serve(url.pathname);
    if (asset) return send(200, asset.type, asset.body);
    return send(404, 'text/plain', 'not found');
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) send(400, 'text/plain', 'bad request');
  }
});

server.on('error', (error) => {
  const where = `${options.host}:${options.port}`;
  console.error(
    error.code === 'EADDRINUSE'
      ? `demo: ${where} is in use: stop what uses it, or pass another --port (0 picks a free one).`
      : `demo: cannot listen on ${where}: ${error.code ?? error.message}`,
  );
  process.exit(1);
});

server.listen(options.port, options.host, () => {
  const { port } = server.address();
  console.log(`access-manager demo on http://${options.host}:${port}/`);
  console.log(
    tokens.real
      ? 'mode: real Twilio credentials from the environment; the SDKs connect to Twilio'
      : `mode: embedded (a secret made at start, placeholder SIDs); the real ${TWILSOCK_CLIENTS.join(', ')}, voice and video SDK clients connect to fake Twilio endpoints on 127.0.0.1`,
  );
  console.log(
    `tokens live ${options.ttl} s${options.ttl < 180 ? " (below Twilio's 180 s minimum: local use only)" : ''}`,
  );
  console.log('Ctrl-C stops it.');
});

const stop = () => {
  server.close(() => {});
  Promise.resolve(fakes?.close()).finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
