// server.ts: bun run server.ts
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
      grants: [new ChatGrant({ serviceSid: process.env.TWILIO_CONVERSATIONS_SERVICE_SID })],
    };
  },
});

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  routes: { '/api/token': tokenHandler },
  fetch: () => new Response('Not found', { status: 404 }),
});
