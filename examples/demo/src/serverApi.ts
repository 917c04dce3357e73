/** What the demo server says of itself, its token server and its fake Twilio endpoints. */
export interface ServerState {
  mode: 'embedded' | 'real';
  /** The lifetime the server was started with (`--ttl`). */
  ttl: number;
  /** The token server's controls. */
  down: boolean;
  latencyMs: number;
  skewMs: number;
  /** The lifetime of the tokens minted now (the page can change it). */
  tokenTtl: number;
  /** Requests to /token so far, from every tab of every browser on this server. */
  fetches: { minted: number; refused: number };
  versions: Record<string, string>;
  /** Embedded mode: where the SDKs connect. */
  endpoints?: { twilsock: Record<string, string>; chunderw: string };
  /** Embedded mode: per client, the token each open connection holds, as the fake sees it. */
  twilio?: Record<string, FakeTwilioView>;
}

export interface FakeTwilioView {
  connections: number;
  received: number;
  /** Per open connection, the name of its token (`jti/exp`, see `tokenName`). */
  open: Array<{ connection: number; token?: string; method?: string; at?: number }>;
}

/** Reads the server's state. */
export async function readServerState(): Promise<ServerState> {
  return (await (await fetch('/api/state')).json()) as ServerState;
}

async function post(body: unknown): Promise<Response> {
  return fetch('/api/control', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Changes the token server's controls; resolves with them as they now are. */
export async function changeTokenServer(
  change: Partial<{ down: boolean; latencyMs: number; skewMs: number; ttl: number }>,
): Promise<{ down: boolean; latencyMs: number; skewMs: number; ttl: number }> {
  return (await post(change)).json();
}

/** A fake Twilio signal: `warn`, `expire` or `refuse` to one client; resolves with the sockets reached. */
export async function signalFromTwilio(client: string, action: string): Promise<number> {
  const response = await post({ client, action });
  if (!response.ok) throw new Error(await response.text());
  return ((await response.json()) as { count: number }).count;
}
