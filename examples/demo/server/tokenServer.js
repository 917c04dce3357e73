// The demo's token server: a /token endpoint made with @access-manager/server, and the controls
// the page uses on it (take it down, slow it down, skew its clock, change the token lifetime).
import { randomBytes } from 'node:crypto';
import {
  ChatGrant,
  createTokenHandler,
  SyncGrant,
  VideoGrant,
  VoiceGrant,
} from '@access-manager/server';

const placeholder = (prefix) => `${prefix}${'0'.repeat(32)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Names a token by its jti, identity and expiry: the JWT itself never reaches a log line. */
export function describeToken(jwt) {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return `jti=${claims.jti} identity=${claims.grants?.identity} expires=${new Date(claims.exp * 1000).toISOString()}`;
}

/**
 * The token endpoint. Without Twilio credentials in `env` it signs with a secret made at start and
 * placeholder SIDs: real Twilio-format JWTs that only this demo's fake Twilio endpoints accept.
 * `request()` answers one request to /token; `control` is what the page changes; `counts` is
 * what it answered (every request to /token comes from a browser's AccessManager).
 */
export function startTokenServer({ env, ttl, log }) {
  const real = Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_API_KEY && env.TWILIO_API_SECRET);
  const control = { down: false, latencyMs: 0, skewMs: 0, ttl };
  const counts = { minted: 0, refused: 0 };
  const logger = {
    debug() {},
    info: log,
    warn: (m) => log(`warn: ${m}`),
    error: (m) => log(`error: ${m}`),
  };
  // Embedded mode: the secret the fake Video signaling server checks signatures with, as Twilio
  // checks them with the API key's secret. It is never logged nor served.
  const signingSecret = real ? undefined : randomBytes(32).toString('base64url');
  const handler = createTokenHandler({
    ...(real
      ? {} // read from the environment by createTokenHandler
      : {
          credentials: {
            accountSid: placeholder('AC'),
            apiKeySid: placeholder('SK'),
            apiKeySecret: signingSecret,
          },
        }),
    ttl,
    maxTtl: 86_400,
    allowShortTtl: true, // the page says when a token lives less than Twilio's 180 s
    now: () => Date.now() + control.skewMs,
    logger,
    authorize: () => ({
      identity: env.DEMO_IDENTITY ?? 'demo-user',
      ttl: control.ttl,
      grants: [
        new ChatGrant({
          serviceSid:
            env.TWILIO_CHAT_SERVICE_SID ??
            env.TWILIO_CONVERSATIONS_SERVICE_SID ??
            placeholder('IS'),
        }),
        new SyncGrant({ serviceSid: env.TWILIO_SYNC_SERVICE_SID ?? placeholder('IS') }),
        new VoiceGrant({
          outgoingApplicationSid: env.TWILIO_TWIML_APP_SID ?? placeholder('AP'),
          incomingAllow: true,
        }),
        new VideoGrant(),
      ],
    }),
  });

  /** Answers a request to /token: `{ status, type, body }`. */
  async function request(method) {
    if (control.latencyMs) await sleep(control.latencyMs);
    if (control.down) {
      counts.refused++;
      log('token request refused: the token server is down (503)');
      return { status: 503, type: 'application/json', body: '{"error":"token server down"}' };
    }
    const response = await handler(new Request('http://127.0.0.1/token', { method }));
    const body = await response.text();
    if (response.ok) {
      counts.minted++;
      log(`minted ${describeToken(JSON.parse(body).token)}`);
    } else counts.refused++;
    const type = response.headers.get('content-type') ?? 'application/json';
    return { status: response.status, type, body };
  }

  /** Applies a change from the page, within bounds; returns the controls as they now are. */
  function change(next) {
    if (typeof next.down === 'boolean') control.down = next.down;
    if (Number.isFinite(next.latencyMs))
      control.latencyMs = Math.max(0, Math.min(20_000, next.latencyMs));
    if (Number.isFinite(next.skewMs))
      control.skewMs = Math.max(-86_400_000, Math.min(86_400_000, next.skewMs));
    if (Number.isInteger(next.ttl)) control.ttl = Math.max(10, Math.min(86_400, next.ttl));
    log(
      `control: down=${control.down} latencyMs=${control.latencyMs} skewMs=${control.skewMs} ttl=${control.ttl}`,
    );
    return control;
  }

  return { real, signingSecret, control, counts, request, change };
}
