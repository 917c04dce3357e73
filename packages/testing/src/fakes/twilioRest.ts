import type { TwilsockFake, TwilsockHttpRequest, TwilsockHttpResponse } from './twilsockServer.js';

/**
 * The smallest valid answers to the REST calls that Chat and Conversations make through twilsock
 * before they report `initialized`, found by logging what the real clients ask (see FAKES.md):
 *
 * - `GET aim.<region>.twilio.com/Client/v2/Configuration` (Conversations) or
 *   `/Client/v1/Configuration` (Chat): links, options and the Sync object names;
 * - `GET cds.<region>.twilio.com/v3/Maps|Lists|Documents/<name>` and their `/Items`: empty
 *   Sync objects (the user's info map, the list of conversations / channels);
 * - `GET .../Users/<identity>/Conversations`: an empty page;
 * - `POST cds.<region>.twilio.com/v4/Subscriptions`: accepted, and each subscription confirmed
 *   with a `subscription_established` notification, so that Sync stops retrying.
 *
 * Anything else gets `undefined`, which the fake answers with 404.
 */
export function answerTwilioRest(
  request: TwilsockHttpRequest,
  fake: TwilsockFake,
): TwilsockHttpResponse | undefined {
  const identity = identityOf(request.token);
  const { method, path, host } = request;
  const configuration = /^\/Client\/v([12])\/Configuration$/.exec(path);
  if (method === 'GET' && configuration) {
    return { status: 200, body: configurationBody(host, identity, configuration[1] === '1') };
  }
  if (method === 'GET' && /\/Users\/[^/]+\/Conversations$/.test(path)) {
    return { status: 200, body: { conversations: [], meta: { next_token: null } } };
  }
  const sync = /^\/v3\/(Maps|Lists|Documents)\/([^/]+)(\/Items)?$/.exec(path);
  if (method === 'GET' && sync) {
    const [, kind = '', name = '', itemsPath] = sync;
    const url = `https://${host}/v3/${kind}/${name}`;
    const items = syncItems(url, name, identity);
    if (itemsPath) {
      const key = request.params['Key'];
      const page = key === undefined ? items : items.filter((item) => item.key === key);
      return { status: 200, body: { items: page, meta: { previous_token: null } } };
    }
    return { status: 200, body: syncObject(url, kind, name, request.params['Include'], items) };
  }
  if (method === 'POST' && path === '/v4/Subscriptions') {
    confirmSubscriptions(request, fake);
    return { status: 200, body: { estimated_delivery_in_ms: 50, max_batch_size: 100 } };
  }
  return undefined;
}

const SERVICE_SID = 'IS00000000000000000000000000000001';
const MEDIA_SERVICE = 'https://mcs.us1.twilio.com/v1/Services/MS00000000000000000000000000000001';

function identityOf(token: string | undefined): string {
  try {
    const payload = JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString());
    return String(payload?.grants?.identity ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

function configurationBody(host: string, identity: string, chat: boolean) {
  const base = `https://${host}/Client/v${chat ? 1 : 2}/Services/${SERVICE_SID}`;
  const user = encodeURIComponent(identity);
  return {
    identity,
    links: {
      my_conversations: `${base}/Users/${user}/Conversations`,
      conversations: `${base}/Conversations`,
      users: `${base}/Users`,
      current_user: `${base}/Users/${user}`,
      typing: `${base}/Typing`,
      media_service: MEDIA_SERVICE,
      media_set_service: `${MEDIA_SERVICE}/MediaSet`,
      messages_receipts: `${base}/Conversations/%s/Messages/%s/Receipts`,
    },
    options: {},
    sync_objects: {
      my_conversations: 'my_conversations',
      my_user_info: 'my_user_info',
    },
  };
}

/** Items of a Sync map: the user-info map holds `friendlyName` and `attributes`; others are empty. */
function syncItems(url: string, name: string, identity: string) {
  if (!/user/i.test(name)) return [];
  const item = (key: string, value: unknown) => ({
    key,
    url: `${url}/Items/${key}`,
    revision: '0',
    last_event_id: 0,
    data: { value },
    date_updated: new Date().toISOString(),
    date_expires: null,
  });
  return [item('friendlyName', identity), item('attributes', '{}')];
}

function syncObject(
  url: string,
  kind: string,
  name: string,
  include: unknown,
  items: ReturnType<typeof syncItems>,
) {
  return {
    sid: name,
    unique_name: name,
    url,
    links: { items: `${url}/Items` },
    revision: '0',
    last_event_id: 0,
    date_updated: new Date().toISOString(),
    date_expires: null,
    ...(kind === 'Documents' ? { data: {} } : include === 'items' ? { items } : {}),
  };
}

interface SubscriptionRequest {
  action?: string;
  correlation_id?: number;
  requests?: Array<{ object_sid: string; object_type: string; last_event_id?: number }>;
}

function confirmSubscriptions(request: TwilsockHttpRequest, fake: TwilsockFake): void {
  const body = request.body as SubscriptionRequest | undefined;
  if (body?.action !== 'establish' || !body.requests?.length) return;
  const events = body.requests.map((r) => ({
    object_sid: r.object_sid,
    object_type: r.object_type,
    replay_status: 'completed',
    last_event_id: r.last_event_id ?? 0,
  }));
  // After the reply, as the real service does: the client matches these by correlation id.
  setImmediate(() =>
    fake.notify(
      'twilio.sync.event',
      { event_type: 'subscription_established', correlation_id: body.correlation_id, events },
      request.connection,
    ),
  );
}
