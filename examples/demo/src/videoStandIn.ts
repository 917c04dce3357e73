// A LOCAL STAND-IN for a twilio-video Room: not the real SDK. twilio-video needs WebRTC and a
// Twilio media server, which this demo does not fake. Video has no updateToken: the token
// matters when connecting, and a room whose signaling reconnects with an expired token is
// disconnected with error 20104. Expiry is judged on this device's clock, as the fake Twilio
// endpoints judge it on theirs.

type Listener = (...args: any[]) => void;

/** The `exp` claim of a JWT, in milliseconds. */
const expiryOf = (jwt: string): number => {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return (JSON.parse(json) as { exp: number }).exp * 1000;
};

/** Stand-in for a Video `Room`: the few members `connectVideo` uses. */
export class RoomStandIn {
  readonly name = 'access-manager-demo';
  state: 'connected' | 'disconnected' = 'connected';
  readonly connectedAt = Date.now();
  readonly tokenExpiresAt: number;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(token: string) {
    this.tokenExpiresAt = expiryOf(token);
  }

  on(event: string, listener: Listener): this {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  disconnect(error?: { code: number; message: string }): this {
    if (this.state === 'disconnected') return this;
    this.state = 'disconnected';
    for (const listener of [...(this.#listeners.get('disconnected') ?? [])]) listener(this, error);
    return this;
  }
}

/** Stand-in for twilio-video's `connect(token, options)`: refuses an expired token with 20104. */
export async function connectStandIn(token: string): Promise<RoomStandIn> {
  await new Promise((resolve) => setTimeout(resolve, 60));
  if (expiryOf(token) <= Date.now()) {
    throw Object.assign(new Error('AccessTokenExpired'), { code: 20104 });
  }
  return new RoomStandIn(token);
}
