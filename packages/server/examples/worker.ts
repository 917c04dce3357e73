// src/index.ts of a Cloudflare Worker; no nodejs_compat flag needed.
import { ChatGrant, createTokenHandler, type TokenHandler } from '@access-manager/server';

interface Env {
  TWILIO_ACCOUNT_SID: string;
  TWILIO_API_KEY: string;
  TWILIO_API_SECRET: string; // wrangler secret put TWILIO_API_SECRET
  TWILIO_CONVERSATIONS_SERVICE_SID: string;
}

// Stand-in for your login check: look the caller's session up in your own store.
const sessions = new Map([['demo-session', 'user-42']]);
const userIdFromSession = (request: Request) =>
  sessions.get(request.headers.get('authorization')?.replace('Bearer ', '') ?? '');

let tokenHandler: TokenHandler | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> | Response {
    if (new URL(request.url).pathname !== '/api/token') {
      return new Response('Not found', { status: 404 });
    }
    // A Worker gets its secrets with each request: the handler is made on the first one.
    tokenHandler ??= createTokenHandler({
      credentials: {
        accountSid: env.TWILIO_ACCOUNT_SID,
        apiKeySid: env.TWILIO_API_KEY,
        apiKeySecret: env.TWILIO_API_SECRET,
      },
      authorize: (request) => {
        const userId = userIdFromSession(request);
        if (!userId) return null; // 401
        return {
          identity: userId,
          grants: [new ChatGrant({ serviceSid: env.TWILIO_CONVERSATIONS_SERVICE_SID })],
        };
      },
    });
    return tokenHandler(request);
  },
};
