import type { WebSocket, WebSocketServer } from 'ws';
import { LoopbackFake, listenOnLoopback } from './loopbackFake.js';

/** One `listen` the fake received, with the token it carried. */
export interface ChunderListenRecord {
  token: string;
  /** 1 for the first socket the fake accepted, 2 for the next, and so on. */
  connection: number;
  /** `Date.now()` when the message arrived. */
  at: number;
}

/** A message from the Voice SDK: `{ type, version, payload }`. */
export interface ChunderMessage {
  type: string;
  version?: string;
  payload: Record<string, unknown>;
}

export interface ChunderFakeOptions {
  /**
   * The `ttl` (seconds) the fake reports in `connected`. Default: what is left of the token's
   * lifetime, `exp - now`, as Twilio reports it. The Device schedules `tokenWillExpire` at
   * `ttl * 1000 - tokenRefreshMs` after `connected`.
   */
  ttl?: number | ((token: string) => number);
  /** Answer `listen` with `connected`; default `true`. When `false`, listens are only recorded. */
  answerListen?: boolean;
  /**
   * Answer a `listen` whose token has expired (by its `exp`) with error 20104 instead of
   * `connected`, and send error 20104 on a connection when the token of its last `listen`
   * expires. Default `false`: every token is taken, whatever its `exp`.
   */
  refuseExpiredTokens?: boolean;
  /**
   * How often (ms) the fake sends a heartbeat (`"\n"`) on each open socket, as Twilio's
   * signaling does; the Device answers each with `"\n"` and closes a socket that brought no
   * message for 15 s (`HEARTBEAT_TIMEOUT` in its `wstransport`). Default 5 000; `0` sends none
   * (a server gone silent).
   */
  heartbeatIntervalMs?: number;
}

/** Default of {@link ChunderFakeOptions.heartbeatIntervalMs}: a third of the SDK's 15 s timeout. */
export const CHUNDER_HEARTBEAT_INTERVAL_MS = 5_000;

/** A signaling error the fake sends: `{ type: 'error', payload: { error } }`. */
export interface ChunderError {
  code: number;
  message: string;
}

export const ACCESS_TOKEN_EXPIRED: ChunderError = { code: 20104, message: 'AccessTokenExpired' };
export const JWT_TOKEN_EXPIRED: ChunderError = { code: 31205, message: 'JWT Token Expired' };
/** Signaling's answer to a token it does not accept; the Device emits `error` 20101 (`AccessTokenInvalid`). */
export const ACCESS_TOKEN_INVALID: ChunderError = { code: 31204, message: 'AccessTokenInvalid' };

/**
 * How the fake answers `register`: `'ready'` (registered), `'silent'` (no answer: the Device's
 * `register()` never settles), or a {@link ChunderError} sent instead (the Device emits `error`
 * and its `register()` never settles either).
 */
export type ChunderRegisterAnswer = 'ready' | 'silent' | ChunderError;

const decodePayload = (token: string): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
  } catch {
    return {};
  }
};

/**
 * A local Voice signaling server ("chunder") for the real `@twilio/voice-sdk` Device. It answers
 * `listen` with `connected` (identity and ttl from the token) and `register` with `ready`, sends
 * heartbeats as Twilio's signaling does, records every token, and lets a test send the errors that
 * signal an expired token.
 *
 * @example
 * ```ts
 * const fake = await startChunderFake();
 * const device = await createVoiceDevice(fake, token);
 * await device.register();
 * fake.sendError(ACCESS_TOKEN_EXPIRED);
 * ```
 */
export class ChunderFake extends LoopbackFake {
  /** Every `listen`, in order. */
  readonly listens: ChunderListenRecord[] = [];
  /** Every message received, in order. */
  readonly messages: Array<{ connection: number; message: ChunderMessage }> = [];
  /** How the next `register` messages are answered; change it at any time. Default `'ready'`. */
  registerAnswer: ChunderRegisterAnswer = 'ready';

  readonly #options: ChunderFakeOptions;
  /** Per socket, the timer that sends 20104 when its token expires (`refuseExpiredTokens`). */
  readonly #expiryTimers = new Map<WebSocket, ReturnType<typeof setTimeout>>();
  /** Per socket, the interval that sends its heartbeats. */
  readonly #heartbeatTimers = new Map<WebSocket, ReturnType<typeof setInterval>>();
  /** Per connection number, how many heartbeats its client answered. */
  readonly #heartbeatAnswers = new Map<number, number>();

  private constructor(server: WebSocketServer, options: ChunderFakeOptions) {
    super(server);
    this.#options = options;
  }

  /** Starts a fake on 127.0.0.1 and an ephemeral port. */
  static async start(options: ChunderFakeOptions = {}): Promise<ChunderFake> {
    return new ChunderFake(await listenOnLoopback(), options);
  }

  /** `127.0.0.1:PORT`, the Device's `chunderw` option (it builds `wss://<chunderw>/signal`). */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Types of the messages received so far, in order (`listen`, `register`, ...). */
  get messageTypes(): string[] {
    return this.messages.map((m) => m.message.type);
  }

  /**
   * Resolves with the first `listen` (received or still to come) that carries `token` (any token
   * when omitted), or rejects after `timeoutMs` (default 5 s).
   */
  waitForListen(token?: string, timeoutMs = 5_000): Promise<ChunderListenRecord> {
    const probe = () => this.listens.find((r) => token === undefined || r.token === token);
    return this.#waitFor('listen', probe, timeoutMs, () => {
      return `no listen${token ? ' with that token' : ''} within ${timeoutMs} ms (got ${this.listens.length})`;
    });
  }

  /** Resolves with the first message of `type` received (or still to come). */
  waitForMessage(type: string, timeoutMs = 5_000): Promise<ChunderMessage> {
    const probe = () => this.messages.find((m) => m.message.type === type)?.message;
    return this.#waitFor('message', probe, timeoutMs, () => `no ${type} within ${timeoutMs} ms`);
  }

  /** Heartbeats answered (`"\n"` back) on connection number `connection`, or on all of them. */
  heartbeatAnswers(connection?: number): number {
    if (connection !== undefined) return this.#heartbeatAnswers.get(connection) ?? 0;
    let total = 0;
    for (const count of this.#heartbeatAnswers.values()) total += count;
    return total;
  }

  /** Sends `{ type: 'error', payload: { error } }` on every open socket; returns how many. */
  sendError(error: ChunderError = ACCESS_TOKEN_EXPIRED): number {
    return this.#broadcast({ type: 'error', payload: { error } });
  }

  /** Sends any message on every open socket; returns how many. */
  send(type: string, payload: Record<string, unknown> = {}): number {
    return this.#broadcast({ type, payload });
  }

  #ttlFor(token: string): number {
    const { ttl } = this.#options;
    if (typeof ttl === 'function') return ttl(token);
    if (typeof ttl === 'number') return ttl;
    const exp = decodePayload(token)['exp'];
    return typeof exp === 'number' ? Math.max(0, exp - Math.floor(Date.now() / 1000)) : 3600;
  }

  protected accept(socket: WebSocket, connection: number): void {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const text = data.toString();
      if (isBinary) return;
      if (text === '\n') {
        this.#heartbeatAnswers.set(connection, this.heartbeatAnswers(connection) + 1);
        return;
      }
      this.#receive(socket, connection, JSON.parse(text) as ChunderMessage);
    });
    this.#startHeartbeats(socket);
    socket.on('close', () => {
      this.#clearExpiry(socket);
      this.#stopHeartbeats(socket);
    });
  }

  protected override beforeClose(): void {
    for (const socket of [...this.#expiryTimers.keys()]) this.#clearExpiry(socket);
    for (const socket of [...this.#heartbeatTimers.keys()]) this.#stopHeartbeats(socket);
  }

  /**
   * The Device sends no heartbeat of its own: it answers the server's, and any message it
   * receives restarts its 15 s timeout. Without these it reconnects every 15 s.
   */
  #startHeartbeats(socket: WebSocket): void {
    const intervalMs = this.#options.heartbeatIntervalMs ?? CHUNDER_HEARTBEAT_INTERVAL_MS;
    if (!(intervalMs > 0)) return;
    const beat = () => {
      if (socket.readyState === socket.OPEN) socket.send('\n');
    };
    this.#heartbeatTimers.set(socket, setInterval(beat, intervalMs));
  }

  #stopHeartbeats(socket: WebSocket): void {
    clearInterval(this.#heartbeatTimers.get(socket));
    this.#heartbeatTimers.delete(socket);
  }

  #clearExpiry(socket: WebSocket): void {
    clearTimeout(this.#expiryTimers.get(socket));
    this.#expiryTimers.delete(socket);
  }

  /**
   * With `refuseExpiredTokens`: whether `token` has expired; if not, error 20104 is sent on
   * `socket` when it does (unless another `listen` comes first).
   */
  #refuseOnExpiry(socket: WebSocket, token: string): boolean {
    if (!this.#options.refuseExpiredTokens) return false;
    this.#clearExpiry(socket);
    const exp = decodePayload(token)['exp'];
    if (typeof exp !== 'number') return false;
    const leftMs = exp * 1000 - Date.now();
    if (leftMs <= 0) return true;
    const expire = () => {
      this.#expiryTimers.delete(socket);
      this.#send(socket, { type: 'error', payload: { error: ACCESS_TOKEN_EXPIRED } });
    };
    this.#expiryTimers.set(socket, setTimeout(expire, Math.min(2_147_483_647, leftMs)));
    return false;
  }

  #receive(socket: WebSocket, connection: number, message: ChunderMessage): void {
    this.messages.push({ connection, message });
    if (message.type === 'listen') {
      const token = String(message.payload['token']);
      this.listens.push({ token, connection, at: Date.now() });
      this.events.emit('listen');
      if (this.#refuseOnExpiry(socket, token)) {
        this.#send(socket, { type: 'error', payload: { error: ACCESS_TOKEN_EXPIRED } });
      } else if (this.#options.answerListen !== false) {
        const grants = decodePayload(token)['grants'] as { identity?: string } | undefined;
        this.#send(socket, {
          type: 'connected',
          payload: {
            region: 'US_EAST_VIRGINIA',
            edge: 'ashburn',
            home: 'us1',
            token: { identity: grants?.identity ?? 'unknown', ttl: this.#ttlFor(token) },
          },
        });
      }
    } else if (message.type === 'register') {
      const media = message.payload['media'] as { audio?: boolean } | undefined;
      const answer = this.registerAnswer;
      if (typeof answer === 'object')
        this.#send(socket, { type: 'error', payload: { error: answer } });
      else if (answer === 'ready' || media?.audio === false) {
        this.#send(socket, { type: media?.audio === false ? 'offline' : 'ready', payload: {} });
      }
    }
    this.events.emit('message');
  }

  #waitFor<T>(
    event: string,
    probe: () => T | undefined,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const onEvent = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.events.off(event, onEvent);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.events.off(event, onEvent);
        reject(new Error(`ChunderFake: ${describe()}`));
      }, timeoutMs);
      this.events.on(event, onEvent);
    });
  }

  #broadcast(message: { type: string; payload: Record<string, unknown> }): number {
    for (const socket of this.sockets.keys()) this.#send(socket, message);
    return this.sockets.size;
  }

  #send(socket: WebSocket, message: { type: string; payload: Record<string, unknown> }): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }
}

/** Starts a {@link ChunderFake} on 127.0.0.1 and an ephemeral port. */
export const startChunderFake = (options?: ChunderFakeOptions): Promise<ChunderFake> =>
  ChunderFake.start(options);
