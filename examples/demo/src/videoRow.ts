import type { AccessManager } from '@access-manager/core';
import { connectVideo, type VideoRoomLike } from '@access-manager/video';
import { BehaviorSubject } from 'rxjs';
import { decode, type RowState, type SdkRow } from './rows.js';
import { connectStandIn, type RoomStandIn } from './videoStandIn.js';

/** What the row reads of a room, real or stand-in. */
interface RoomLike extends VideoRoomLike {
  state: string;
  name: string;
  disconnect(error?: { code: number; message: string }): unknown;
}

type Connect = (token: string, options?: object) => Promise<RoomLike>;

/**
 * The Video row. `connectVideo` connects with a token valid `minValidityMs` more, and connects
 * again with a fresh one when the room is disconnected with 20104 (AccessTokenExpired). In
 * embedded mode the room is a stand-in ({@link connectStandIn}); in real mode, twilio-video's.
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
  const connect = async (): Promise<Connect> =>
    options.real
      ? ((await import(/* @vite-ignore */ '/real-video.js' as string)) as { connect: Connect })
          .connect
      : connectStandIn;

  const start = async () => {
    const connection = connectVideo(
      manager,
      await connect(),
      options.real
        ? {
            name: 'access-manager-demo',
            audio: false,
            video: false,
          }
        : undefined,
      { reconnectOnExpiry: true, minValidityMs },
    );
    connection.room$.subscribe({
      next: (next) => {
        if (room) note('push', 'video: connected again with a fresh token');
        room = next;
        connections++;
        state.next({
          status: 'synced',
          token: decode(manager.token),
          lastPushedAt: new Date(),
          pushLatencyMs: 0,
        });
      },
      // A connect refused (its token expired by Twilio's clock): the row says so, and a new
      // connection is tried with a fresh token.
      error: (error: unknown) => {
        note(
          'error',
          `video: ${error instanceof Error ? error.message : String(error)}; connecting again`,
        );
        state.next({ ...state.value, status: 'failed' });
        setTimeout(start, 1_000);
      },
    });
  };
  void start();

  return {
    name: 'video',
    label: 'Video',
    what: options.real
      ? `twilio-video ${options.version}, real, against Twilio`
      : 'stand-in (twilio-video needs WebRTC and a media server, not faked here)',
    real: options.real,
    state$: state,
    getState: () => state.value,
    online: () => room?.state === 'connected',
    connection: () => `room ${room?.state ?? 'connecting'}`,
    heldToken: () => state.value.token,
    handedOut: () => ({ created: connections, pushed: 0 }),
    controls: options.real
      ? []
      : [
          {
            label: 'Drop signaling',
            title:
              'The stand-in room reconnects its signaling: with the token it connected with expired, it is disconnected with 20104 and connectVideo connects again',
            run: async () => {
              const standIn = room as RoomStandIn | undefined;
              const expired = standIn !== undefined && standIn.tokenExpiresAt <= Date.now();
              if (expired) standIn.disconnect({ code: 20104, message: 'AccessTokenExpired' });
              return expired
                ? 'its token had expired: 20104, connecting again'
                : 'its token is still valid: it reconnects as it is';
            },
          },
        ],
  };
}
