import { attachChat } from '@access-manager/chat';
import { attachConversations } from '@access-manager/conversations';
import type { AccessManager } from '@access-manager/core';
import { attachSync } from '@access-manager/sync';
import { connectVideo } from '@access-manager/video';
import { attachVoice } from '@access-manager/voice';
import { BehaviorSubject } from 'rxjs';
import { decode, type RowState, row, type SdkRow } from './rows.js';
import {
  type CallStandIn,
  connectStandIn,
  type RoomStandIn,
  type ServerClock,
  TwilsockStandIn,
  VoiceStandIn,
} from './standIns.js';

/** Creates the five SDK stand-ins with the first token and attaches each with its adapter. */
export async function attachSdks(
  manager: AccessManager,
  jwt: string,
  now: ServerClock,
  note: (kind: string, text: string) => void,
  ttlSeconds: number,
): Promise<SdkRow[]> {
  const twilsock = (
    name: string,
    label: string,
    attach: typeof attachConversations | typeof attachChat | typeof attachSync,
  ) => {
    const client = new TwilsockStandIn(jwt, now);
    const link = attach(manager, client, { token: jwt });
    return row({
      name,
      label,
      state$: link.state$,
      getState: link.getState,
      expiries: () => client.expiries,
      online: () => client.online || client.connectionState === 'connecting',
      connection: () => client.connectionState,
      heldToken: () => link.getState().token ?? decode(jwt),
    });
  };

  const device = new VoiceStandIn(jwt, now);
  // A call holds new tokens back until the token held has busyMinValidityMs left: 60 s by
  // default, a quarter of a short demo token's life.
  const busyMinValidityMs = Math.min(60_000, (ttlSeconds * 1000) / 4);
  const voice = attachVoice(manager, device, { token: jwt, busyMinValidityMs });
  let call: CallStandIn | undefined;

  // Video has no updateToken: connectVideo connects with a token valid 60 s more, and connects
  // again with a fresh one when the room is disconnected with 20104 (AccessTokenExpired).
  // (A demo token may live less than connectVideo's default 60 s: then half its life.)
  const minValidityMs = Math.min(60_000, (ttlSeconds * 1000) / 2);
  const videoState = new BehaviorSubject<RowState>({ status: 'updating' });
  let room: RoomStandIn | undefined;
  const connectRoom = () => {
    const connection = connectVideo(manager, connectStandIn(now), undefined, {
      reconnectOnExpiry: true,
      minValidityMs,
    });
    connection.room$.subscribe({
      next: (next) => {
        const again = room !== undefined;
        room = next;
        if (again) note('push', 'video: connected with a fresh token');
        videoState.next({
          status: 'synced',
          token: decode(manager.token),
          lastPushedAt: new Date(),
          pushLatencyMs: Date.now() - next.connectedAt,
        });
      },
      // A connect refused (its token expired by Twilio's clock, say after the skew control):
      // the row says so, and a new connection is tried with a fresh token.
      error: (error: unknown) => {
        note(
          'error',
          `video: ${error instanceof Error ? error.message : String(error)}; connecting again`,
        );
        videoState.next({ ...videoState.value, status: 'failed' });
        setTimeout(connectRoom, 1_000);
      },
    });
    return connection;
  };
  await connectRoom().catch(() => {}); // a refused first connect is handled on room$

  return [
    twilsock('conversations', 'Conversations', attachConversations),
    twilsock('chat', 'Chat', attachChat),
    twilsock('sync', 'Sync', attachSync),
    row({
      name: 'voice',
      label: 'Voice',
      state$: voice.state$,
      getState: voice.getState,
      online: () => device.online,
      expiries: () => device.expiries,
      connection: () => `${device.state}${device.isBusy ? ', on a call' : ''}`,
      heldToken: () => decode(device.token),
      action: {
        label: 'Receive a call',
        run: () => {
          if (call) {
            call.disconnect();
            call = undefined;
            note('server', 'voice: call ended; a token held back, if any, is pushed now');
            return 'Receive a call';
          }
          call = device.receiveCall();
          note(
            'server',
            `voice: on a call; new tokens wait until it ends or the held one has ${busyMinValidityMs / 1000} s left`,
          );
          return 'End the call';
        },
      },
    }),
    row({
      name: 'video',
      label: 'Video',
      state$: videoState,
      getState: () => videoState.value,
      online: () => room?.state === 'connected',
      connection: () => `room ${room?.state ?? 'connecting'}`,
      heldToken: () => videoState.value.token,
      action: {
        label: 'Drop signaling',
        run: () => {
          // A signaling reconnect needs a valid token: with the one the room connected with
          // expired, Twilio disconnects the room with 20104, and connectVideo connects again.
          const expired = room !== undefined && room.tokenExpiresAt <= now();
          note(
            'server',
            `video: signaling dropped; its token is ${expired ? 'expired: 20104' : 'still valid: it reconnects as it is'}`,
          );
          if (expired) room?.disconnect({ code: 20104, message: 'AccessTokenExpired' });
          return 'Drop signaling';
        },
      },
    }),
  ];
}
