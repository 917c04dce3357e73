import type { WebSocket, WebSocketServer } from 'ws';
import { LoopbackFake, listenOnLoopback } from './loopbackFake.js';
import { answerTwilioRest } from './twilioRest.js';
import { decodeTwilsockFrame, encodeTwilsockFrame, type TwilsockHeader } from './twilsockFrame.js';

/** One `init` or `update` the fake received, with the token it carried. */
export interface TwilsockTokenRecord {
  method: 'init' | 'update';
  token: string;
  /** 1 for the first socket the fake accepted, 2 for the next, and so on. */
  connection: number;
  /** `Date.now()` when the frame arrived. */
  at: number;
}

/** An upstream REST call the client tunnelled through twilsock (`method: 'message'`). */
export interface TwilsockHttpRequest {
  host: string;
  path: string;
  method: string;
  params: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  grant: string | undefined;
  /** The token the connection holds (its latest `init` / `update`): what Twilio authorizes with. */
  token: string | undefined;
  /** The socket it came on (see {@link TwilsockTokenRecord.connection}). */
  connection: number;
}

/** What the fake answers to an upstream request. */
export interface TwilsockHttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answers an upstream request; `undefined` falls through to the built-in Twilio REST answers. */
export type TwilsockRequestHandler = (
  request: TwilsockHttpRequest,
  fake: TwilsockFake,
) => TwilsockHttpResponse | undefined | Promise<TwilsockHttpResponse | undefined>;

/** A twilsock reply status, as the server sends it. */
export interface TwilsockStatus {
  code: number;
  status: string;
  errorCode?: number;
  description?: string;
}

export interface TwilsockFakeOptions {
  /** Answers upstream REST calls before the built-in answers (Configuration, Sync reads) do. */
  onRequest?: TwilsockRequestHandler;
  /**
   * Answer an `init` or `update` whose token is already expired (by its `exp`) with 401 / 20104,
   * as Twilio does. Default `true`.
   */
  rejectExpiredTokens?: boolean;
  /**
   * Close a connection when the token it holds (its latest accepted `init` / `update`) expires,
   * with `close` 410 / 20104, as Twilio does. Default `false`: a connection outlives its token.
   */
  closeOnExpiry?: boolean;
}

/** What `waitForToken` looks for. */
export interface TwilsockTokenQuery {
  method?: 'init' | 'update';
  token?: string;
}

const OK: TwilsockStatus = { code: 200, status: 'OK' };
/**
 * The reply to an `init` / `update` whose token has expired. `status: 'UNAUTHORIZED'` is the
 * spelling twilio-sync checks for (it turns this reply into SyncError 51130).
 */
export const TOKEN_EXPIRED_STATUS: TwilsockStatus = {
  code: 401,
  status: 'UNAUTHORIZED',
  errorCode: 20104,
  description: 'Access Token expired or expiration date invalid',
};

/** The `close` status Twilio sends when a connection's token has expired. */
const TOKEN_EXPIRED_CLOSE: TwilsockStatus = {
  code: 410,
  status: 'Gone',
  errorCode: 20104,
  description: 'Token expired',
};

const decodeJwtExp = (token: string): number | undefined => {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
};

/**
 * A local twilsock server for the real Chat, Conversations and Sync clients. It records every
 * token that reaches it and lets a test push the server-side signals that drive token renewal.
 *
 * @example
 * ```ts
 * const fake = await startTwilsockFake();
 * const client = new SyncClient(token, { twilsock: { uri: fake.url } });
 * await fake.waitForToken({ method: 'init', token });
 * fake.pushTokenAboutToExpire();
 * await fake.close();
 * ```
 */
export class TwilsockFake extends LoopbackFake {
  /** Every `init` / `update` received, in order. */
  readonly tokens: TwilsockTokenRecord[] = [];
  /** Every upstream REST request received, in order. */
  readonly requests: TwilsockHttpRequest[] = [];
  /** Every frame received (method and header), for debugging and protocol assertions. */
  readonly frames: Array<{ connection: number; header: TwilsockHeader; payload: unknown }> = [];

  readonly #options: TwilsockFakeOptions;
  readonly #connectionTokens = new WeakMap<WebSocket, string>();
  readonly #heldUpdates: Array<{ socket: WebSocket; id: string }> = [];
  #pushCount = 0;
  #lastFrameAt = 0;
  #updateFailures: TwilsockStatus[] = [];
  #holdUpdates = false;
  /** Per socket, the timer that closes it when its token expires (`closeOnExpiry`). */
  readonly #expiryTimers = new Map<WebSocket, ReturnType<typeof setTimeout>>();

  private constructor(server: WebSocketServer, options: TwilsockFakeOptions) {
    super(server);
    this.#options = options;
  }

  /** Starts a fake on 127.0.0.1 and an ephemeral port. */
  static async start(options: TwilsockFakeOptions = {}): Promise<TwilsockFake> {
    return new TwilsockFake(await listenOnLoopback(), options);
  }

  /** The `ws://` URI to pass as `{ twilsock: { uri } }`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Tokens received so far, optionally only those of one method. */
  tokensOf(method?: 'init' | 'update'): string[] {
    return this.tokens
      .filter((r) => method === undefined || r.method === method)
      .map((r) => r.token);
  }

  /**
   * Resolves with the first record (already received or still to come) that matches, or rejects
   * after `timeoutMs` (default 5 s).
   */
  waitForToken(query: TwilsockTokenQuery = {}, timeoutMs = 5_000): Promise<TwilsockTokenRecord> {
    const matches = (r: TwilsockTokenRecord) =>
      (query.method === undefined || r.method === query.method) &&
      (query.token === undefined || r.token === query.token);
    return this.#waitFor(
      'token',
      () => this.tokens.find(matches),
      timeoutMs,
      () => {
        const what = `${query.method ?? 'init/update'}${query.token ? ' with that token' : ''}`;
        return `no ${what} within ${timeoutMs} ms (got ${this.tokens.map((r) => r.method).join(', ') || 'none'})`;
      },
    );
  }

  /**
   * Resolves once no frame has arrived for `quietMs` (default 50 ms): the client has nothing in
   * flight. A client that closes its socket with a request in flight keeps that request's 30 s
   * timer (see FAKES.md), so tests settle before they cut a connection.
   */
  async waitForQuiet(quietMs = 50, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const idleFor = Date.now() - this.#lastFrameAt;
      if (idleFor >= quietMs) return;
      if (Date.now() + quietMs - idleFor > deadline) {
        throw new Error(`TwilsockFake: not quiet for ${quietMs} ms within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, quietMs - idleFor));
    }
  }

  /** Resolves when `count` sockets have been accepted in total. */
  waitForConnections(count: number, timeoutMs = 5_000): Promise<number> {
    return this.#waitFor(
      'connection',
      () => (this.connectionCount >= count ? this.connectionCount : undefined),
      timeoutMs,
      () => `${this.connectionCount} of ${count} connections within ${timeoutMs} ms`,
    );
  }

  /** Resolves when every socket has closed. */
  waitForDisconnect(timeoutMs = 5_000): Promise<true> {
    return this.#waitFor(
      'disconnect',
      () => (this.sockets.size === 0 ? true : undefined),
      timeoutMs,
      () => `${this.sockets.size} sockets still open after ${timeoutMs} ms`,
    );
  }

  /** Sends `client_update` / `token_about_to_expire` on every open socket; returns how many. */
  pushTokenAboutToExpire(): number {
    return this.#broadcast({
      method: 'client_update',
      client_update_type: 'token_about_to_expire',
    });
  }

  /**
   * Sends `close` with status 410 / 20104 (token expired) on every open socket, then closes them
   * unless `closeSocket` is `false`. Returns how many sockets got it.
   */
  closeTokenExpired(options: { closeSocket?: boolean } = {}): number {
    const count = this.#broadcast({ method: 'close', status: TOKEN_EXPIRED_CLOSE });
    if (options.closeSocket !== false) for (const socket of this.sockets.keys()) socket.close();
    return count;
  }

  /** Answers the next `update` with `status` (default 401 / 20104, token expired). */
  failNextUpdate(status: TwilsockStatus = TOKEN_EXPIRED_STATUS): void {
    this.#updateFailures.push(status);
  }

  /**
   * Leaves every `update` from now on unanswered (recorded, never replied to), as a server that
   * hangs would. The returned function stops that and answers the held ones with 200.
   */
  holdUpdates(): () => void {
    this.#holdUpdates = true;
    return () => {
      this.#holdUpdates = false;
      for (const { socket, id } of this.#heldUpdates.splice(0)) this.#reply(socket, id, OK);
    };
  }

  /** Updates received and not answered (see {@link holdUpdates}). */
  get heldUpdates(): number {
    return this.#heldUpdates.length;
  }

  /**
   * Sends a server notification (`method: 'notification'`), such as a Sync event, on one
   * connection or on all; returns how many sockets got it.
   */
  notify(messageType: string, payload: unknown, connection?: number): number {
    let count = 0;
    for (const [socket, id] of this.sockets) {
      if (connection !== undefined && id !== connection) continue;
      this.#send(
        socket,
        { method: 'notification', id: this.#nextId(), message_type: messageType },
        payload,
      );
      count += 1;
    }
    return count;
  }

  /**
   * Answers held updates first: a client shut down with an update in flight keeps a 30 s
   * request timer, then throws an unhandled 'error' (see FAKES.md). Then the base closes.
   */
  protected override async beforeClose(): Promise<void> {
    for (const timer of this.#expiryTimers.values()) clearTimeout(timer);
    this.#expiryTimers.clear();
    if (this.#heldUpdates.length === 0) return;
    this.#holdUpdates = false;
    for (const { socket, id } of this.#heldUpdates.splice(0)) this.#reply(socket, id, OK);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
        reject(new Error(`TwilsockFake: ${describe()}`));
      }, timeoutMs);
      this.events.on(event, onEvent);
    });
  }

  protected accept(socket: WebSocket, connection: number): void {
    socket.on('message', (data: Buffer) => {
      void this.#receive(socket, connection, data);
    });
    socket.on('close', () => {
      clearTimeout(this.#expiryTimers.get(socket));
      this.#expiryTimers.delete(socket);
    });
  }

  async #receive(socket: WebSocket, connection: number, data: Buffer): Promise<void> {
    this.#lastFrameAt = Date.now();
    const { header, payload } = decodeTwilsockFrame(data);
    this.frames.push({ connection, header, payload });
    switch (header.method) {
      case 'init':
      case 'update':
        return this.#receiveToken(socket, connection, header);
      case 'message':
        return this.#receiveMessage(socket, header, payload);
      case 'reply': // the client acknowledging a push
      case 'close': // the client leaving; it closes the socket itself
      case 'telemetry.v1': // fire and forget
        return;
      default: // put_notification_ctx, delete_notification_ctx, ...
        this.#reply(socket, header.id, OK);
    }
  }

  #receiveToken(socket: WebSocket, connection: number, header: TwilsockHeader): void {
    const method = header.method as 'init' | 'update';
    const token = String(header['token']);
    this.tokens.push({ method, token, connection, at: Date.now() });
    this.#connectionTokens.set(socket, token);
    this.events.emit('token');
    const answer = this.#answerToken(method, token, connection);
    if (answer === 'hold') this.#heldUpdates.push({ socket, id: header.id });
    else this.#reply(socket, header.id, answer.status, answer.extra);
    if (answer !== 'hold' && answer.status.code === 200) this.#closeOnExpiry(socket, token);
  }

  /** With `closeOnExpiry`: closes `socket` with 410 / 20104 when `token`, now its own, expires. */
  #closeOnExpiry(socket: WebSocket, token: string): void {
    const exp = decodeJwtExp(token);
    if (!this.#options.closeOnExpiry || exp === undefined) return;
    clearTimeout(this.#expiryTimers.get(socket));
    const timer = setTimeout(
      () => {
        this.#expiryTimers.delete(socket);
        this.#send(socket, { id: this.#nextId(), method: 'close', status: TOKEN_EXPIRED_CLOSE });
        socket.close();
      },
      Math.min(2_147_483_647, Math.max(0, exp * 1000 - Date.now())),
    );
    this.#expiryTimers.set(socket, timer);
  }

  #answerToken(
    method: 'init' | 'update',
    token: string,
    connection: number,
  ): { status: TwilsockStatus; extra?: Record<string, unknown> } | 'hold' {
    const exp = decodeJwtExp(token);
    const expired = exp !== undefined && exp * 1000 <= Date.now();
    if (expired && this.#options.rejectExpiredTokens !== false) {
      return { status: TOKEN_EXPIRED_STATUS };
    }
    if (method === 'init') {
      const extra = {
        continuation_token: `continuation-${connection}`,
        continuation_token_status: { reissued: connection === 1 },
        capabilities: ['client_update'],
      };
      return { status: OK, extra };
    }
    const failure = this.#updateFailures.shift();
    if (failure) return { status: failure };
    return this.#holdUpdates ? 'hold' : { status: OK };
  }

  async #receiveMessage(socket: WebSocket, header: TwilsockHeader, body: unknown): Promise<void> {
    const http = (header['http_request'] ?? {}) as Partial<TwilsockHttpRequest>;
    const request: TwilsockHttpRequest = {
      host: http.host ?? '',
      path: http.path ?? '',
      method: http.method ?? 'GET',
      params: http.params ?? {},
      headers: http.headers ?? {},
      body,
      grant: header['active_grant'] as string | undefined,
      token: this.#connectionTokens.get(socket),
      connection: this.sockets.get(socket) ?? 0,
    };
    this.requests.push(request);
    this.events.emit('request');
    const response = (await this.#options.onRequest?.(request, this)) ??
      answerTwilioRest(request, this) ?? {
        status: 404,
        body: { status: 404, message: 'Not found' },
      };
    this.#reply(
      socket,
      header.id,
      OK,
      {
        http_status: { code: response.status, status: response.status < 300 ? 'OK' : 'Error' },
        http_headers: { 'Content-Type': 'application/json', ...response.headers },
        payload_type: 'application/json',
      },
      response.body ?? {},
    );
  }

  #reply(
    socket: WebSocket,
    id: string,
    status: TwilsockStatus,
    extra: Record<string, unknown> = {},
    payload?: unknown,
  ): void {
    this.#send(socket, { method: 'reply', id, status, ...extra }, payload);
  }

  #broadcast(header: { method: string; [field: string]: unknown }): number {
    for (const socket of this.sockets.keys()) {
      this.#send(socket, { id: this.#nextId(), ...header });
    }
    return this.sockets.size;
  }

  #nextId(): string {
    this.#pushCount += 1;
    return `TMfake${this.#pushCount}`;
  }

  #send(socket: WebSocket, header: TwilsockHeader, payload?: unknown): void {
    if (socket.readyState === socket.OPEN) socket.send(encodeTwilsockFrame(header, payload));
  }
}

/** Starts a {@link TwilsockFake} on 127.0.0.1 and an ephemeral port. */
export const startTwilsockFake = (options?: TwilsockFakeOptions): Promise<TwilsockFake> =>
  TwilsockFake.start(options);
