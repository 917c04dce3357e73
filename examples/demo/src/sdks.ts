import {
  type AccessManager,
  AccessToken,
  attachClient,
  type ClientLink,
  type ClientSpec,
} from '@access-manager/core';
import {
  type CallStandIn,
  connectStandIn,
  type RoomStandIn,
  type ServerClock,
  TwilsockStandIn,
  VoiceStandIn,
} from './standIns.js';

/** One row of the page's SDK table. */
export interface SdkRow {
  name: string;
  label: string;
  link: ClientLink;
  online(): boolean;
  connection(): string;
  heldToken(): AccessToken | undefined;
  action?: { label: string; run(): string };
  lastPushedAt?: Date;
  wasOnline: boolean;
  offlineCount: number;
}

const twilsockSpec = (name: string, grant: string): ClientSpec<TwilsockStandIn> => ({
  name,
  grant,
  updateToken: (client, jwt) => client.updateToken(jwt),
  listen: (client, signal) => {
    const willExpire = () => signal('willExpire');
    const expired = () => signal('expired');
    client.on('tokenAboutToExpire', willExpire).on('tokenExpired', expired);
    return () => client.off('tokenAboutToExpire', willExpire).off('tokenExpired', expired);
  },
  isReady: (client) => client.connectionState !== 'disconnecting',
  watch: (client, changed) => {
    client.on('connectionStateChanged', changed);
    return () => client.off('connectionStateChanged', changed);
  },
});

const voiceSpec: ClientSpec<VoiceStandIn> = {
  name: 'voice',
  grant: 'voice',
  updateToken: (device, jwt) => device.updateToken(jwt),
  listen: (device, signal) => {
    const willExpire = () => signal('willExpire');
    const error = (e: unknown) => (e as { code?: number }).code === 20104 && signal('expired');
    device.on('tokenWillExpire', willExpire).on('error', error);
    return () => device.off('tokenWillExpire', willExpire).off('error', error);
  },
  isBusy: (device) => device.isBusy,
};

const decode = (jwt: string | undefined) => {
  try {
    return jwt ? new AccessToken(jwt) : undefined;
  } catch {
    return undefined;
  }
};

/** Creates the five SDK stand-ins with the first token and attaches each to the manager. */
export async function attachSdks(
  manager: AccessManager,
  jwt: string,
  now: ServerClock,
  note: (kind: string, text: string) => void,
): Promise<SdkRow[]> {
  const row = (fields: Omit<SdkRow, 'wasOnline' | 'offlineCount'>): SdkRow => ({
    ...fields,
    wasOnline: true,
    offlineCount: 0,
  });
  const twilsock = (name: string, label: string, grant: string) => {
    const client = new TwilsockStandIn(jwt, now);
    const link = attachClient(manager, client, twilsockSpec(name, grant), { token: jwt });
    return row({
      name,
      label,
      link,
      online: () => client.online || client.connectionState === 'connecting',
      connection: () => client.connectionState,
      heldToken: () => link.getState().token ?? decode(jwt),
    });
  };

  const device = new VoiceStandIn(jwt, now);
  const voiceLink = attachClient(manager, device, voiceSpec, { token: jwt });
  let call: CallStandIn | undefined;

  // Video: no updateToken; a room is connected with a token valid for at least 60 s more.
  let room: RoomStandIn | undefined;
  const connect = connectStandIn(now);
  room = await connect(await manager.getToken());
  const videoLink = attachClient(
    manager,
    room,
    { name: 'video', grant: 'video', updateToken: () => undefined },
    { token: jwt },
  );

  return [
    twilsock('conversations', 'Conversations', 'chat'),
    twilsock('chat', 'Chat', 'chat'),
    twilsock('sync', 'Sync', 'data_sync'),
    row({
      name: 'voice',
      label: 'Voice',
      link: voiceLink,
      online: () => device.online,
      connection: () => `${device.state}${device.isBusy ? ', on a call' : ''}`,
      heldToken: () => decode(device.token),
      action: {
        label: 'Start a call',
        run: () => {
          if (call) {
            call.disconnect();
            call = undefined;
            note('server', 'voice: call ended; a held token is pushed now');
            return 'Start a call';
          }
          call = device.connect();
          note(
            'server',
            'voice: on a call; new tokens wait until it ends or the held one has 60 s left',
          );
          return 'End the call';
        },
      },
    }),
    row({
      name: 'video',
      label: 'Video',
      link: videoLink,
      online: () => room?.state === 'connected',
      connection: () => `room ${room?.state ?? 'none'}`,
      heldToken: () => undefined,
    }),
  ];
}
