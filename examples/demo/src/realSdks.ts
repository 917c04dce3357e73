// Real mode: the real Twilio SDK clients, for a demo server started with Twilio credentials.
// Bundled on its own (the SDKs weigh megabytes) and loaded by the page only in real mode.
import { attachConversations } from '@access-manager/conversations';
import type { AccessManager } from '@access-manager/core';
import { attachSync } from '@access-manager/sync';
import { connectVideo } from '@access-manager/video';
import { attachVoice } from '@access-manager/voice';
import { Client as ConversationsClient } from '@twilio/conversations';
import { Device } from '@twilio/voice-sdk';
import { BehaviorSubject } from 'rxjs';
import { SyncClient } from 'twilio-sync';
import { connect, type Room } from 'twilio-video';
import { decode, type RowState, row, type SdkRow } from './rows.js';

/**
 * Creates the real Conversations, Sync, Voice and Video clients with the first token and attaches
 * each with its adapter. (Programmable Chat reached its end of life: there is no Chat service to
 * connect to, so real mode leaves its row out.)
 */
export async function attachRealSdks(
  manager: AccessManager,
  jwt: string,
  note: (kind: string, text: string) => void,
): Promise<SdkRow[]> {
  const conversations = new ConversationsClient(jwt);
  const conversationsLink = attachConversations(manager, conversations, { token: jwt });
  const sync = new SyncClient(jwt);
  const syncLink = attachSync(manager, sync, { token: jwt });
  const device = new Device(jwt);
  const voiceLink = attachVoice(manager, device, { token: jwt });
  device
    .register()
    .catch((error: unknown) => note('error', `voice: register failed: ${String(error)}`));

  const video = connectVideo(
    manager,
    connect,
    { name: 'access-manager-demo', audio: false, video: false },
    { reconnectOnExpiry: true },
  );
  const videoState = new BehaviorSubject<RowState>({ status: 'updating' });
  let room: Room | undefined;
  video.room$.subscribe({
    next: (next) => {
      room = next;
      videoState.next({
        status: 'synced',
        token: decode(manager.token),
        lastPushedAt: new Date(),
        pushLatencyMs: 0,
      });
      note('push', `video: connected to room ${next.name}`);
    },
    error: (error: unknown) => note('error', `video: ${String(error)}`),
  });

  return [
    row({
      name: 'conversations',
      label: 'Conversations',
      state$: conversationsLink.state$,
      getState: conversationsLink.getState,
      online: () => conversations.connectionState === 'connected',
      connection: () => conversations.connectionState,
      heldToken: () => conversationsLink.getState().token ?? decode(jwt),
    }),
    row({
      name: 'sync',
      label: 'Sync',
      state$: syncLink.state$,
      getState: syncLink.getState,
      online: () => sync.connectionState === 'connected',
      connection: () => sync.connectionState,
      heldToken: () => syncLink.getState().token ?? decode(jwt),
    }),
    row({
      name: 'voice',
      label: 'Voice',
      state$: voiceLink.state$,
      getState: voiceLink.getState,
      online: () => device.state === 'registered',
      connection: () => `${device.state}${device.isBusy ? ', on a call' : ''}`,
      heldToken: () => decode(device.token),
    }),
    row({
      name: 'video',
      label: 'Video',
      state$: videoState,
      getState: () => videoState.value,
      online: () => room?.state === 'connected',
      connection: () => `room ${room?.state ?? 'connecting'}`,
      heldToken: () => videoState.value.token,
    }),
  ];
}
