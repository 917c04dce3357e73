import type { WebSocket, WebSocketServer } from 'ws';
import { TEST_SECRET } from '../tokenFactory.js';
import { LoopbackFake, listenOnLoopback } from './loopbackFake.js';
import {
  checkVideoToken,
  VIDEO_TOKEN_EXPIRED,
  type VideoTokenClaims,
  type VideoTokenError,
} from './videoAccessToken.js';

/** A signaling message (RSP) that carried a token, and what the fake answered. */
export interface VideoTokenRecord {
  /** `ice` (first of a connect), `connect`, or `sync` (signaling resuming). */
  type: 'ice' | 'connect' | 'sync';
  token: string;
  /** 1 for the first socket the fake accepted, 2 for the next, and so on. */
  connection: number;
  /** `Date.now()` when it arrived. */
  at: number;
  /** The error it was refused with; absent when the token was taken. */
  refused?: VideoTokenError;
}

/** A participant in a room of the fake: one `connect` taken, and its signaling session. */
export interface VideoParticipantRecord {
  /** The room's name, as `connect` was given it. */
  roomName: string;
  roomSid: string;
  participantSid: string;
  identity: string;
  /** The RSP session, which a `sync` names to resume. */
  session: string;
  /** The token it connected or last resumed with. */
  token: string;
  /** The socket its signaling is on now. */
  connection: number;
  /**
   * `connected`; `ended` once it left (`disconnect`), was sent 20104 ({@link
   * VideoSignalingFake.expire}) or a refused `sync`, or its room completed.
   */
  state: 'connected' | 'ended';
  /** How many times its signaling resumed (`sync` answered `synced`). */
  resumed: number;
}

export interface VideoSignalingFakeOptions {
  /** The API key secret tokens must be signed with (HS256). Default: the test secret. */
  secret?: string;
  /** Twilio's clock, for `exp` and `nbf`. Default `Date.now`. */
  now?: () => number;
  /** The heartbeat interval the fake will accept, in ms (the client asks for 5000). */
  heartbeatTimeoutMs?: number;
  /** `session_timeout` sent in `connected`: how long, in s, the client may try to resume. */
  sessionTimeoutSeconds?: number;
}

/** A TCMP message from the client: `hello`, `msg`, `heartbeat` or `bye`. */
interface TcmpMessage {
  type?: unknown;
  id?: unknown;
  timeout?: unknown;
  body?: unknown;
}

/** An RSP message, the body of a `hello` or a `msg`. */
interface RspMessage {
  type?: unknown;
  token?: unknown;
  name?: unknown;
  session?: unknown;
}

const ROOM_COMPLETED = { type: 'disconnected', status: 'completed' } as const;

const sid = (prefix: string, n: number) => `${prefix}${String(n).padStart(32, '0')}`;

/**
 * A LOCAL FAKE of Twilio Video's signaling server (TCMP v2 around RSP v2), for the real
 * `twilio-video` in a browser: `connect(token, { wsServer: fake.url, insights: false })`. It
 * checks every token it is given as Twilio would (see {@link checkVideoToken}), lets the
 * participant in without media (no SDP answer, no ICE: the Room stays `connected`), answers a
 * `sync` (signaling resuming after a dropped socket) with `synced`, or with 20104 when that
 * token has expired by its clock, and has the controls a test needs: {@link expire} (20104 to
 * every connected participant), {@link dropConnections}, {@link complete}.
 *
 * @example
 * ```ts
 * const fake = await startVideoSignalingFake({ secret });
 * // in the page: await connect(jwt, { wsServer: fake.url, insights: false, name: 'standup' })
 * await fake.waitForToken({ type: 'connect' });
 * fake.expire(); // the Room emits disconnected with AccessTokenExpiredError (20104)
 * ```
 */
export class VideoSignalingFake extends LoopbackFake {
  /** Every token received (`ice`, `connect`, `sync`), in order, with what it was answered. */
  readonly tokens: VideoTokenRecord[] = [];
  /** Every participant let in, in order. */
  readonly participants: VideoParticipantRecord[] = [];
  /** Every RSP message received (hello bodies and `msg` bodies), in order. */
  readonly messages: Array<{ connection: number; body: Record<string, unknown> }> = [];

  readonly #secret: string;
  readonly #now: () => number;
  readonly #heartbeatTimeoutMs: number;
  readonly #sessionTimeoutSeconds: number;
  /** The participant whose signaling each socket carries. */
  readonly #bySocket = new Map<WebSocket, VideoParticipantRecord>();
  /** Room sids by name, while a room of that name is open (not completed). */
  readonly #rooms = new Map<string, string>();
  #roomCount = 0;

  private constructor(server: WebSocketServer, options: VideoSignalingFakeOptions) {
    super(server);
    this.#secret = options.secret ?? TEST_SECRET;
    this.#now = options.now ?? Date.now;
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5_000;
    this.#sessionTimeoutSeconds = options.sessionTimeoutSeconds ?? 30;
  }

  /**
   * While true, a `connect` is checked and recorded but not answered: the Room stays connecting
   * (for a test that cancels a connect once Twilio has its token). Default false.
   */
  holdConnects = false;

  /** Starts a fake on 127.0.0.1 and an ephemeral port. */
  static async start(options: VideoSignalingFakeOptions = {}): Promise<VideoSignalingFake> {
    return new VideoSignalingFake(await listenOnLoopback(), options);
  }

  /** The `ws://` URL to pass to `connect` as `wsServer`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Participants connected now (their signaling open or resuming). */
  get connectedParticipants(): VideoParticipantRecord[] {
    return this.participants.filter((p) => p.state === 'connected');
  }

  /**
   * Resolves with the first token record (received or still to come) that matches, or rejects
   * after `timeoutMs` (default 5 s). `after` skips the first records (those seen before a step).
   */
  waitForToken(
    query: { type?: VideoTokenRecord['type']; token?: string; after?: number } = {},
    timeoutMs = 5_000,
  ): Promise<VideoTokenRecord> {
    const matches = (r: VideoTokenRecord) =>
      (query.type === undefined || r.type === query.type) &&
      (query.token === undefined || r.token === query.token);
    return this.#waitFor(
      () => this.tokens.slice(query.after ?? 0).find(matches),
      timeoutMs,
      () => `no ${query.type ?? 'token'} within ${timeoutMs} ms (got ${this.#seen()})`,
    );
  }

  /** Resolves with the first RSP message of `type` (received or still to come). */
  waitForMessage(type: string, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    return this.#waitFor(
      () => this.messages.find((m) => m.body['type'] === type)?.body,
      timeoutMs,
      () => `no ${type} within ${timeoutMs} ms`,
    );
  }

  /**
   * Sends error 20104 (AccessTokenExpired) to every connected participant and lets them go, as
   * Twilio ends a participant whose token it refuses: the Room emits `disconnected` with
   * `AccessTokenExpiredError`. Returns how many got it.
   */
  expire(): number {
    return this.#endAll({ type: 'error', ...VIDEO_TOKEN_EXPIRED });
  }

  /**
   * Completes every open room (`disconnected`, status `completed`): each Room emits
   * `disconnected` with `RoomCompletedError` (53118). Returns how many participants got it.
   */
  complete(): number {
    this.#rooms.clear();
    return this.#endAll(ROOM_COMPLETED);
  }

  protected accept(socket: WebSocket, connection: number): void {
    socket.on('message', (data: Buffer) => {
      let message: TcmpMessage;
      try {
        message = JSON.parse(data.toString()) as TcmpMessage;
      } catch {
        socket.send(JSON.stringify({ type: 'bad', reason: 'Invalid JSON' }));
        return;
      }
      this.#receive(socket, connection, message);
    });
    socket.on('close', () => this.#bySocket.delete(socket));
  }

  #receive(socket: WebSocket, connection: number, message: TcmpMessage): void {
    switch (message.type) {
      case 'hello': {
        const asked = typeof message.timeout === 'number' ? message.timeout : Infinity;
        const negotiatedTimeout = Math.min(asked, this.#heartbeatTimeoutMs);
        this.#send(socket, { id: message.id, type: 'welcome', negotiatedTimeout });
        if (message.body) this.#rsp(socket, connection, message.body as RspMessage);
        return;
      }
      case 'msg':
        this.#rsp(socket, connection, (message.body ?? {}) as RspMessage);
        return;
      case 'heartbeat':
        this.#send(socket, { type: 'heartbeat' });
        return;
      default: // 'bye': the client closes the socket itself
        return;
    }
  }

  #rsp(socket: WebSocket, connection: number, body: RspMessage): void {
    this.messages.push({ connection, body: body as Record<string, unknown> });
    this.events.emit('message');
    switch (body.type) {
      case 'ice': {
        if (this.#check(socket, connection, 'ice', body.token)) {
          this.#msg(socket, { type: 'iced', ice_servers: [] });
        }
        return;
      }
      case 'connect':
        this.#connect(socket, connection, body);
        return;
      case 'sync':
        this.#sync(socket, connection, body);
        return;
      case 'disconnect': {
        const participant = this.#bySocket.get(socket);
        if (participant) participant.state = 'ended';
        this.#bySocket.delete(socket);
        return;
      }
      default: // 'update' and the rest: nothing to answer without media
        return;
    }
  }

  /** Checks a token and records it: its claims, or undefined when refused (the error sent). */
  #check(
    socket: WebSocket,
    connection: number,
    type: VideoTokenRecord['type'],
    token: unknown,
  ): VideoTokenClaims | undefined {
    const checked = checkVideoToken(token, this.#secret, this.#now());
    const record: VideoTokenRecord = {
      type,
      token: typeof token === 'string' ? token : '',
      connection,
      at: Date.now(),
    };
    if ('code' in checked) record.refused = checked;
    this.tokens.push(record);
    this.events.emit('token');
    if (!('code' in checked)) return checked;
    this.#msg(socket, { type: 'error', ...checked });
    return undefined;
  }

  #connect(socket: WebSocket, connection: number, body: RspMessage): void {
    const claims = this.#check(socket, connection, 'connect', body.token);
    if (!claims || this.holdConnects) return;
    const roomName = typeof body.name === 'string' && body.name ? body.name : 'unnamed';
    let roomSid = this.#rooms.get(roomName);
    if (!roomSid) {
      this.#roomCount += 1;
      roomSid = sid('RM', this.#roomCount);
      this.#rooms.set(roomName, roomSid);
    }
    const n = this.participants.length + 1;
    const participant: VideoParticipantRecord = {
      roomName,
      roomSid,
      participantSid: sid('PA', n),
      identity: claims.identity,
      session: `session-${n}`,
      token: String(body.token),
      connection,
      state: 'connected',
      resumed: 0,
    };
    this.participants.push(participant);
    this.#bySocket.set(socket, participant);
    this.#msg(socket, { type: 'connected', ...this.#roomState(participant) });
    this.events.emit('participant');
  }

  #sync(socket: WebSocket, connection: number, body: RspMessage): void {
    const participant = this.participants.find((p) => p.session === body.session);
    if (!participant || participant.state !== 'connected') {
      // A session the fake ended or never knew: its room completed, or it was let go.
      this.#msg(socket, participant ? ROOM_COMPLETED : { type: 'error', code: 53001 });
      return;
    }
    if (!this.#check(socket, connection, 'sync', body.token)) {
      participant.state = 'ended';
      return;
    }
    participant.token = String(body.token);
    participant.connection = connection;
    participant.resumed += 1;
    this.#bySocket.set(socket, participant);
    this.#msg(socket, { type: 'synced', ...this.#roomState(participant) });
    this.events.emit('participant');
  }

  #roomState(participant: VideoParticipantRecord): Record<string, unknown> {
    return {
      session: participant.session,
      sid: participant.roomSid,
      name: participant.roomName,
      participant: {
        sid: participant.participantSid,
        identity: participant.identity,
        revision: 1,
        tracks: [],
      },
      participants: [],
      peer_connections: [],
      options: { session_timeout: this.#sessionTimeoutSeconds },
    };
  }

  /** Sends `body` to every connected participant's socket and ends them; returns how many. */
  #endAll(body: Record<string, unknown>): number {
    let count = 0;
    for (const [socket, participant] of this.#bySocket) {
      if (participant.state !== 'connected') continue;
      participant.state = 'ended';
      this.#msg(socket, body);
      count += 1;
    }
    return count;
  }

  #seen(): string {
    return this.tokens.map((r) => (r.refused ? `${r.type}!${r.refused.code}` : r.type)).join(', ');
  }

  #waitFor<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const events = ['token', 'message', 'participant', 'disconnect'];
      const onEvent = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        for (const event of events) this.events.off(event, onEvent);
        resolve(value);
      };
      const timer = setTimeout(() => {
        for (const event of events) this.events.off(event, onEvent);
        reject(new Error(`VideoSignalingFake: ${describe()}`));
      }, timeoutMs);
      for (const event of events) this.events.on(event, onEvent);
    });
  }

  #msg(socket: WebSocket, body: Record<string, unknown>): void {
    this.#send(socket, { type: 'msg', body });
  }

  #send(socket: WebSocket, message: Record<string, unknown>): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }
}

/** Starts a {@link VideoSignalingFake} on 127.0.0.1 and an ephemeral port. */
export const startVideoSignalingFake = (
  options?: VideoSignalingFakeOptions,
): Promise<VideoSignalingFake> => VideoSignalingFake.start(options);
