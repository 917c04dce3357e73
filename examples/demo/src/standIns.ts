// LOCAL STAND-INS for the Twilio SDK clients: not the real SDKs. Each implements the token
// surface its SDK has (updateToken, the expiry events, connection state) and enforces expiry the
// way Twilio's servers do: a client that holds an expired token goes offline until it gets a
// valid one. Time is the token server's clock, which the demo can skew.

// Listeners take whatever the SDK passes, as on a Node EventEmitter.
type Listener = (...args: any[]) => void;

/** The few EventEmitter methods the SDKs have and the adapters use. */
class Emitter {
  #listeners = new Map<string, Set<Listener>>();
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
  addListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(...args);
  }
  listenerCount(event: string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

/** The `exp` claim of a JWT, in milliseconds. The stand-ins read nothing else. */
export const expiryOf = (jwt: string): number => {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return (JSON.parse(json) as { exp: number }).exp * 1000;
};

/** The token server's clock (the demo's skew control moves it). */
export type ServerClock = () => number;

export type ConnectionState =
  | 'connecting'
  | 'connected'
  | 'disconnecting'
  | 'disconnected'
  | 'denied';

/** What every stand-in has: the token it holds, the clock it judges it by, its timers. */
class TokenHolder extends Emitter {
  /** How many times this stand-in went offline for holding an expired token. */
  expiries = 0;
  protected token_: string;
  protected readonly now: ServerClock;
  #timers: ReturnType<typeof setTimeout>[] = [];

  constructor(token: string, now: ServerClock) {
    super();
    this.token_ = token;
    this.now = now;
  }

  /** The expiry of the token held, on the server clock. */
  get expiresAt(): number {
    return expiryOf(this.token_);
  }

  protected later(delayMs: number, run: () => void): void {
    this.#timers.push(setTimeout(run, Math.max(0, delayMs)));
  }

  protected clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }
}

/**
 * Stand-in for a twilsock-based client: Conversations, Chat or Sync. Emits `tokenAboutToExpire`
 * three minutes before expiry (at once for a token with less left) and `tokenExpired` at expiry,
 * when it also disconnects.
 */
export class TwilsockStandIn extends TokenHolder {
  connectionState: ConnectionState = 'connecting';
  /** Tokens taken through updateToken. */
  updates = 0;

  constructor(token: string, now: ServerClock) {
    super(token, now);
    this.#connect();
  }

  /** Connected, and with a token that has not expired (the skew control can expire it at once). */
  get online(): boolean {
    return this.connectionState === 'connected' && this.expiresAt > this.now();
  }

  async updateToken(jwt: string): Promise<this> {
    if (jwt === this.token_) return this;
    if (expiryOf(jwt) <= this.now()) {
      this.emit('tokenExpired');
      throw new Error('The token is expired (20104).');
    }
    this.token_ = jwt;
    this.updates++;
    if (this.connectionState === 'connected') this.#watchExpiry();
    else this.#connect();
    return this;
  }

  shutdown(): void {
    this.clear();
    this.#setState('disconnected');
  }

  #connect(): void {
    this.clear();
    this.#setState('connecting');
    this.later(80, () => {
      if (this.expiresAt <= this.now()) return this.#expire();
      this.#setState('connected');
      this.#watchExpiry();
    });
  }

  #watchExpiry(): void {
    this.clear();
    const left = this.expiresAt - this.now();
    this.later(left - 180_000, () => this.emit('tokenAboutToExpire'));
    this.later(left, () => this.#expire());
  }

  #expire(): void {
    this.expiries++;
    this.clear();
    this.#setState('disconnected');
    this.emit('tokenExpired');
  }

  #setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.emit('connectionStateChanged', state);
  }
}

/** A stand-in call: what Voice's `Device` reports while the user is on the phone. */
export class CallStandIn extends Emitter {
  disconnect(): void {
    this.emit('disconnect', this);
  }
}

/**
 * Stand-in for the Voice `Device`: `updateToken` is synchronous, `tokenWillExpire` fires
 * `tokenRefreshMs` (10 s) before expiry, and an expired token is an `error` with code 20104 that
 * unregisters it.
 */
export class VoiceStandIn extends TokenHolder {
  state: 'unregistered' | 'registering' | 'registered' | 'destroyed' = 'registered';
  calls: CallStandIn[] = [];
  updates = 0;
  readonly tokenRefreshMs = 10_000;

  constructor(token: string, now: ServerClock) {
    super(token, now);
    this.#watchExpiry();
  }

  get token(): string {
    return this.token_;
  }

  get isBusy(): boolean {
    return this.calls.length > 0;
  }

  get online(): boolean {
    return this.state === 'registered' && this.expiresAt > this.now();
  }

  updateToken(jwt: string): void {
    if (expiryOf(jwt) <= this.now()) {
      this.emit('error', { code: 20104, message: 'AccessTokenExpired' });
      return;
    }
    this.token_ = jwt;
    this.updates++;
    this.#setState('registered');
    this.#watchExpiry();
  }

  /** A stand-in incoming call, answered: the device is busy until it ends (`disconnect`). */
  receiveCall(): CallStandIn {
    const call = new CallStandIn();
    call.on('disconnect', () => {
      this.calls = this.calls.filter((c) => c !== call);
    });
    this.calls.push(call);
    this.emit('incoming', call);
    return call;
  }

  destroy(): void {
    this.clear();
    this.#setState('destroyed');
  }

  #watchExpiry(): void {
    this.clear();
    const left = this.expiresAt - this.now();
    this.later(left - this.tokenRefreshMs, () => this.emit('tokenWillExpire', this));
    this.later(left, () => {
      this.expiries++;
      this.#setState('unregistered');
      this.emit('error', { code: 20104, message: 'AccessTokenExpired' });
    });
  }

  #setState(state: VoiceStandIn['state']): void {
    if (state === this.state) return;
    this.state = state;
    this.emit(state, this);
  }
}

/**
 * Stand-in for a Video `Room`. Video has no `updateToken`: the token matters when connecting, and
 * a room whose signaling reconnects with an expired token is disconnected with error 20104.
 */
export class RoomStandIn extends Emitter {
  state: 'connected' | 'disconnected' = 'connected';
  readonly connectedAt = Date.now();
  readonly tokenExpiresAt: number;

  constructor(token: string) {
    super();
    this.tokenExpiresAt = expiryOf(token);
  }

  disconnect(error?: { code: number; message: string }): this {
    if (this.state === 'disconnected') return this;
    this.state = 'disconnected';
    this.emit('disconnected', this, error);
    return this;
  }
}

/** Stand-in for twilio-video's `connect(token, options)`. */
export const connectStandIn =
  (now: ServerClock) =>
  async (token: string): Promise<RoomStandIn> => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    if (expiryOf(token) <= now()) {
      throw Object.assign(new Error('AccessTokenExpired'), { code: 20104 });
    }
    return new RoomStandIn(token);
  };
