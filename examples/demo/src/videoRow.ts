import type { AccessManager } from '@access-manager/core';
import {
  connectVideo,
  type VideoConnect,
  type VideoConnection,
  type VideoRoomLike,
} from '@access-manager/video';
import { BehaviorSubject } from 'rxjs';
import { decode, type RowState, type SdkRow } from './rows.js';
import { readServerState, signalFromTwilio } from './serverApi.js';

/** What the row reads of twilio-video's Room. */
interface RoomLike extends VideoRoomLike {
  state: string;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

type Connect = VideoConnect<RoomLike, object>;

/** Twilio's RoomCompleted: the room ended for everyone. */
const ROOM_COMPLETED = 53118;

/** twilio-video's `connect`, from its own bundle (a megabyte), loaded when the row starts. */
const loadConnect = async (): Promise<Connect> =>
  ((await import(/* @vite-ignore */ '/real-video.js' as string)) as { connect: Connect }).connect;

/** Where the Video row's signaling goes in embedded mode: the demo server's fake. */
const fakeSignaling = async (): Promise<string | undefined> =>
  ((await readServerState()).endpoints as { video?: string } | undefined)?.video;

/**
 * The Video row: the real twilio-video. `connectVideo` connects with a token valid
 * `minValidityMs` more, and connects again with a fresh one when the Room is disconnected with
 * 20104 (AccessTokenExpired). Video has no `updateToken`: Twilio reads the token when the Room
 * connects and when its signaling resumes after a dropped socket, nowhere else. In embedded mode
 * `connect` is pointed at the demo server's fake Video signaling (`wsServer`), which checks the
 * token as Twilio does; there is no media server: the Room connects with no audio or video.
 * A Room completed by Twilio (53118) is not connected again; Leave is `connectVideo`'s
 * `detach()`, which disconnects the Room; Join connects again. A Room that ends otherwise (its
 * signaling lost for good) or a connect refused: a new connection a second later.
 */
export function videoRow(
  manager: AccessManager,
  options: { real: boolean; version: string; ttlSeconds: number },
  note: (kind: string, text: string) => void,
): SdkRow {
  // A demo token may live less than connectVideo's default 60 s: then half its life.
  const minValidityMs = Math.min(60_000, (options.ttlSeconds * 1000) / 2);
  const state = new BehaviorSubject<RowState>({ status: 'updating' });
  let room: RoomLike | undefined;
  let connections = 0;
  /** The connection under way or connected; undefined once it ended, or after Leave. */
  let connection: VideoConnection<RoomLike> | undefined;
  /** From `start()` until the connection ends: Join does nothing then. */
  let joined = false;
  /** Calls of `start()`: a Leave and a Join while one was loading make it stale. */
  let starts = 0;
  /** A new connection planned after a failure. */
  let retry: ReturnType<typeof setTimeout> | undefined;

  const start = async () => {
    retry = undefined;
    joined = true;
    const generation = ++starts;
    state.next({ status: 'updating' });
    const [connect, wsServer] = await Promise.all([
      loadConnect(),
      options.real ? undefined : fakeSignaling(),
    ]);
    if (!joined || starts !== generation) return; // Leave (and perhaps Join) while loading
    const connectedBefore = connections;
    /** The token handed to `connect`: the one the Room holds once connected. */
    let handed: string | undefined;
    const connectWithToken: Connect = (token, connectOptions) => {
      handed = token;
      return connect(token, connectOptions);
    };
    const mine = connectVideo(
      manager,
      connectWithToken,
      {
        name: 'access-manager-demo',
        audio: false,
        video: false,
        // The row says in the timeline what happens to the Room; the SDK's log would say it
        // again as console errors (it logs a dropped signaling socket at level error).
        logLevel: 'off',
        // Embedded: signaling at the local fake, and no Insights events to Twilio.
        ...(wsServer ? { wsServer, insights: false } : {}),
      },
      { reconnectOnExpiry: true, minValidityMs },
    );
    connection = mine;
    const over = (): boolean => {
      if (connection !== mine) return false; // left: Leave said so
      connection = undefined;
      joined = false;
      return true;
    };
    const again = (why: string) => {
      note('error', `video: ${why}; connecting again`);
      state.next({ ...state.value, status: 'failed' });
      joined = true;
      retry = setTimeout(start, 1_000);
    };
    let ended: { code?: number } | null = null;
    mine.room$.subscribe({
      next: (next) => {
        if (connections > connectedBefore) {
          note('push', 'video: connected again with a fresh token');
        }
        room = next;
        ended = null;
        connections++;
        next.on('reconnecting', () => note('error', 'video: signaling dropped, resuming'));
        next.on('reconnected', () =>
          note('server', 'video: signaling resumed with the token it connected with'),
        );
        next.on('disconnected', (_room: unknown, error?: { code?: number; message?: string }) => {
          ended = error ?? {};
          if (error) note('error', `video: disconnected with ${error.code}: ${error.message}`);
        });
        state.next({
          status: 'synced',
          token: decode(handed),
          lastPushedAt: new Date(),
          pushLatencyMs: 0,
        });
      },
      // (After every `disconnected` listener: connectVideo's, which completes room$, runs first.)
      complete: () =>
        queueMicrotask(() => {
          if (!over()) return;
          if (ended?.code === ROOM_COMPLETED) {
            // Twilio ended the Room for everyone: connectVideo does not connect again, nor does
            // the row. Join connects a new one.
            note(
              'server',
              'video: the room was completed (53118): not connected again; Join to start another',
            );
            state.next({ status: 'detached' });
          } else {
            // The Room ended for another reason than an expired token (its signaling could not
            // resume within the session timeout, say): the row connects a new one.
            again(`the room ended (${ended?.code ?? 'no error'})`);
          }
        }),
      // A connect refused: the row says so, and a new connection is tried with a fresh token.
      error: (error: unknown) => {
        if (over()) again(error instanceof Error ? error.message : String(error));
      },
    });
  };
  void start();

  /** Leave: connectVideo's detach, which disconnects the Room it connected. */
  const leave = (): string => {
    if (!joined) return 'not in the room';
    joined = false;
    clearTimeout(retry);
    retry = undefined;
    const leaving = connection;
    connection = undefined;
    leaving?.detach();
    state.next({ status: 'detached' });
    return 'detached: the Room is disconnected, and nothing connects again until Join';
  };
  const join = (): string => {
    if (joined) return 'already in the room (or joining)';
    void start();
    return 'joining the room with a token from the manager';
  };

  /** The page's own controls: leave the Room (detach) and join again. */
  const local = [
    {
      label: 'Leave',
      title:
        "connectVideo's detach(): it disconnects the Room it connected, and connects nothing again",
      run: async () => leave(),
    },
    {
      label: 'Join',
      title: 'Connects the Room again through connectVideo, with a token from the manager',
      run: async () => join(),
    },
  ];

  return {
    name: 'video',
    label: 'Video',
    what: options.real
      ? `twilio-video ${options.version}, real, against Twilio`
      : `twilio-video ${options.version}, real, against a local fake Twilio signaling endpoint; media not faked (no audio or video)`,
    real: true,
    state$: state,
    getState: () => state.value,
    online: () => room?.state === 'connected',
    connection: () => `room ${room?.state ?? 'connecting'}`,
    heldToken: () => state.value.token,
    handedOut: () => ({ created: connections, pushed: 0 }),
    controls: options.real
      ? local
      : [
          {
            label: 'Expire',
            title:
              'The fake Video signaling server sends error 20104 (AccessTokenExpired): the Room is disconnected, and connectVideo connects again with a fresh token',
            run: async () =>
              `error 20104 sent to ${await signalFromTwilio('video', 'expire')} rooms`,
          },
          {
            label: 'Drop signaling',
            title:
              "The fake Video signaling server drops the Room's socket: the SDK resumes with the token it connected with, refused with 20104 if that token has expired",
            run: async () =>
              `${await signalFromTwilio('video', 'drop')} signaling sockets dropped: the Room resumes with its own token`,
          },
          {
            label: 'Complete',
            title:
              'The fake Video signaling server completes the room (53118, RoomCompleted): the Room is disconnected, and nothing connects again (Join does)',
            run: async () =>
              `room completed for ${await signalFromTwilio('video', 'complete')} participants`,
          },
          ...local,
        ],
  };
}
