// server.mjs: node server.mjs
import { ChatGrant, createTokenHandler, toNodeListener } from '@access-manager/server';
import express from 'express';

// Stand-in for your login check: look the caller's session up in your own store.
const sessions = new Map([['demo-session', 'user-42']]);
const userIdFromSession = (request) =>
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

const app = express();
app.get('/api/token', toNodeListener(tokenHandler));
app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
