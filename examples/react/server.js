#!/usr/bin/env node
// The React example: local fakes of Twilio's Conversations (twilsock) and Voice (signaling)
// endpoints, a token endpoint, and the Vite dev server of the page, all on 127.0.0.1.
//
//   node examples/react/server.js [--ttl SECONDS] [--port PORT]
//
// Tokens are Twilio-format JWTs signed with a test secret, with chat and voice grants; only
// these fakes accept them. /api/state tells what reached each fake (for the end-to-end test).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeToken, startChunderFake, startTwilsockFake } from '@access-manager/testing';
import { createServer } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    ttl: { type: 'string', default: '3600' },
    port: { type: 'string', default: '5173' },
  },
});
const ttl = Number(args.ttl);
if (!Number.isInteger(ttl) || ttl < 10 || ttl > 86_400) {
  console.error('--ttl takes whole seconds from 10 to 86400');
  process.exit(2);
}

const twilsock = await startTwilsockFake();
const voice = await startChunderFake({ ttl });
/** The jti of every token minted, in order. */
const minted = [];
const jti = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).jti;

/** Serves /token, /endpoints.json and /api/state beside the page. */
const endpoints = {
  name: 'access-manager-endpoints',
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      const json = (body) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/token') {
        const token = makeToken({
          identity: 'react-user',
          ttl,
          grants: {
            chat: { service_sid: 'IS00000000000000000000000000000001' },
            voice: { incoming: { allow: true } },
          },
        });
        minted.push(jti(token));
        return json({ token, serverTime: Date.now() });
      }
      if (req.url === '/endpoints.json')
        return json({ twilsock: twilsock.url, chunderw: voice.host });
      if (req.url === '/api/state') {
        return json({
          minted,
          conversations: {
            tokens: twilsock.tokens.map((record) => jti(record.token)),
            openConnections: twilsock.openConnections,
          },
          voice: {
            tokens: voice.listens.map((record) => jti(record.token)),
            openConnections: voice.openConnections,
          },
        });
      }
      return next();
    });
  },
};

const vite = await createServer({
  root: here,
  configFile: false,
  logLevel: 'warn',
  plugins: [endpoints],
  server: { host: '127.0.0.1', port: Number(args.port), strictPort: false },
  // esbuild's JSX, as tsconfig.json says; no React plugin needed for a dev server without HMR.
  esbuild: { jsx: 'automatic' },
  define: { global: 'globalThis' },
  // Bundle the dependencies before the first page load, so that Vite never reloads the page to
  // add one it discovered late.
  optimizeDeps: {
    entries: ['index.html'],
    include: [
      'react',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-dom',
      'react-dom/client',
      '@twilio/conversations',
      '@twilio/voice-sdk',
      'rxjs',
      'jwt-decode',
    ],
  },
});
await vite.listen();
const url = vite.resolvedUrls?.local[0];
console.log(`access-manager React example on ${url}`);
console.log(`tokens live ${ttl} s; Conversations and Voice talk to local fakes`);

const stop = async () => {
  await vite.close();
  await twilsock.close();
  await voice.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
