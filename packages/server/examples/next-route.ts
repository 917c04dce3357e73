// app/api/token/route.ts (Next.js App Router), on the Node.js runtime.
import { ChatGrant, createTokenHandler, type TokenHandler } from '@access-manager/server';

// Node.js is Next's default runtime. The same route runs unchanged on 'edge', which Next 16
// reports as deprecated.
export const runtime = 'nodejs';

// Stand-in for your login check: look the caller's session up in your own store.
const sessions = new Map([['demo-session', 'user-42']]);
const userIdFromSession = (request: Request) =>
  sessions.get(request.headers.get('authorization')?.replace('Bearer ', '') ?? '');

let tokenHandler: TokenHandler | undefined;

export function GET(request: Request): Promise<Response> {
  // Made on the first request, not when the module loads: `next build` loads route modules,
  // and the build need not have the credentials.
  tokenHandler ??= createTokenHandler({
    // credentials: TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET from process.env
    authorize: (request) => {
      const userId = userIdFromSession(request);
      if (!userId) return null; // 401
      return {
        identity: userId,
        grants: [new ChatGrant({ serviceSid: process.env.TWILIO_CONVERSATIONS_SERVICE_SID })],
      };
    },
  });
  return tokenHandler(request);
}
