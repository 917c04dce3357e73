// main.ts: deno run --allow-net --allow-env main.ts
// (after `deno add npm:@access-manager/server`)
import { ChatGrant, createTokenHandler } from '@access-manager/server';

// Stand-in for your login check: look the caller's session up in your own store.
const sessions = new Map([['demo-session', 'user-42']]);
const userIdFromSession = (request: Request) =>
  sessions.get(request.headers.get('authorization')?.replace('Bearer ', '') ?? '');

const tokenHandler = createTokenHandler({
  // credentials: TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET from the environment
  authorize: (request) => {
    const userId = userIdFromSession(request);
    if (!userId) return null; // 401
    return {
      identity: userId,
      grants: [new ChatGrant({ serviceSid: Deno.env.get('TWILIO_CONVERSATIONS_SERVICE_SID') })],
    };
  },
});

Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 8000) }, (request) =>
  new URL(request.url).pathname === '/api/token'
    ? tokenHandler(request)
    : new Response('Not found', { status: 404 }),
);
