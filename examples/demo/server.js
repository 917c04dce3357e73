#!/usr/bin/env node
// The access-manager demo: one local server on 127.0.0.1 that serves the page and a /token
// endpoint made with @access-manager/server, plus the controls the page uses to take the token
// server down, slow it down or skew its clock.
//
//   node examples/demo/server.js [--ttl SECONDS] [--port PORT] [--host HOST]
//
// Without Twilio credentials in the environment the tokens are signed with a secret generated at
// start and carry placeholder SIDs: real Twilio-format JWTs that only this demo accepts, handed
// to local stand-ins of the SDKs. With TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET
// it mints real tokens instead (see README.md for the service SIDs).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ChatGrant,
  createTokenHandler,
  SyncGrant,
  VideoGrant,
  VoiceGrant,
} from '@access-manager/server';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const placeholder = (prefix) => `${prefix}${'0'.repeat(32)}`;

const { values: args } = parseArgs({
  options: {
    ttl: { type: 'string', default: '3600' },
    port: { type: 'string', default: '4173' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const ttl = Number(args.ttl);
if (!Number.isInteger(ttl) || ttl < 10 || ttl > 86_400) {
  console.error('--ttl takes whole seconds from 10 to 86400');
  process.exit(2);
}
const shortTtl = ttl < 180;

const env = process.env;
const real = Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_API_KEY && env.TWILIO_API_SECRET);
const credentials = real
  ? undefined // read from the environment by createTokenHandler
  : {
      accountSid: placeholder('AC'),
      apiKeySid: placeholder('SK'),
      apiKeySecret: randomBytes(32).toString('base64url'),
    };
const sids = {
  chat: env.TWILIO_CHAT_SERVICE_SID ?? env.TWILIO_CONVERSATIONS_SERVICE_SID ?? placeholder('IS'),
  sync: env.TWILIO_SYNC_SERVICE_SID ?? placeholder('IS'),
  voiceApp: env.TWILIO_TWIML_APP_SID ?? placeholder('AP'),
};

/** What the page's controls change. */
const control = { down: false, latencyMs: 0, skewMs: 0 };
let minted = 0;

const log = (line) => console.log(`${new Date().toISOString()} ${line}`);
const logger = {
  debug() {},
  info: log,
  warn: (m) => log(`warn: ${m}`),
  error: (m) => log(`error: ${m}`),
};

const tokens = createTokenHandler({
  ...(credentials ? { credentials } : {}),
  ttl,
  allowShortTtl: shortTtl,
  now: () => Date.now() + control.skewMs,
  logger,
  authorize: () => ({
    identity: env.DEMO_IDENTITY ?? 'demo-user',
    grants: [
      new ChatGrant({ serviceSid: sids.chat }),
      new SyncGrant({ serviceSid: sids.sync }),
      new VoiceGrant({ outgoingApplicationSid: sids.voiceApp, incomingAllow: true }),
      new VideoGrant(),
    ],
  }),
});

/** Names a token by its jti, identity and expiry: the JWT itself never reaches the log. */
function describe(jwt) {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return `jti=${claims.jti} identity=${claims.grants?.identity} expires=${new Date(claims.exp * 1000).toISOString()}`;
}

/** Bundles a page module for the browser, in memory. */
async function bundle(entry, sourcemap = 'inline') {
  const result = await esbuild.build({
    entryPoints: [join(here, 'src', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap,
    external: ['/real-sdks.js'],
    define: { global: 'globalThis' },
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
/** The real SDKs (megabytes): bundled when first asked for. */
let realSdks;

const statics = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

const app = await bundle('app.ts');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error('body too large');
  }
  return body ? JSON.parse(body) : {};
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const send = (status, type, body, headers = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  try {
    if (url.pathname === '/token') {
      if (control.latencyMs) await sleep(control.latencyMs);
      if (control.down) {
        log('token request refused: the token server is down (503)');
        return send(503, 'application/json', '{"error":"token server down"}');
      }
      const request = new Request(new URL(url.pathname, 'http://127.0.0.1'), {
        method: req.method,
      });
      const response = await tokens(request);
      const text = await response.text();
      if (response.ok) {
        minted++;
        log(`minted ${describe(JSON.parse(text).token)}`);
      }
      return send(
        response.status,
        response.headers.get('content-type') ?? 'application/json',
        text,
      );
    }
    if (url.pathname === '/api/state') {
      return send(
        200,
        'application/json',
        JSON.stringify({ mode: real ? 'real' : 'embedded', ttl, shortTtl, minted, ...control }),
      );
    }
    if (url.pathname === '/api/control' && req.method === 'POST') {
      // JSON only: a cross-site form or text/plain POST from another page cannot work the
      // controls (a JSON content type needs a CORS preflight, which this server never grants).
      if (!req.headers['content-type']?.startsWith('application/json')) {
        return send(415, 'text/plain', 'application/json only');
      }
      const change = await readJson(req);
      if (typeof change.down === 'boolean') control.down = change.down;
      if (Number.isFinite(change.latencyMs))
        control.latencyMs = Math.max(0, Math.min(20_000, change.latencyMs));
      if (Number.isFinite(change.skewMs))
        control.skewMs = Math.max(-86_400_000, Math.min(86_400_000, change.skewMs));
      log(`control: down=${control.down} latencyMs=${control.latencyMs} skewMs=${control.skewMs}`);
      return send(200, 'application/json', JSON.stringify(control));
    }
    if (url.pathname === '/app.js') return send(200, 'text/javascript; charset=utf-8', app);
    if (url.pathname === '/real-sdks.js') {
      realSdks ??= bundle('realSdks.ts', false);
      return send(200, 'text/javascript; charset=utf-8', await realSdks);
    }
    const file = statics[url.pathname];
    if (file) return send(200, file[1], await readFile(join(here, 'public', file[0])));
    return send(404, 'text/plain', 'not found');
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) send(400, 'text/plain', 'bad request');
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  console.log(`access-manager demo on http://${args.host}:${port}/`);
  console.log(
    real
      ? 'mode: real Twilio credentials from the environment'
      : 'mode: embedded (a secret made at start, placeholder SIDs, local SDK stand-ins)',
  );
  console.log(
    `tokens live ${ttl} s${shortTtl ? " (below Twilio's 180 s minimum: local use only)" : ''}`,
  );
  console.log('Ctrl-C stops it.');
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
