import type { AccessManager } from '@access-manager/core';
import type { Observable } from 'rxjs';
import { type ConnectOptions, connect, type Room } from 'twilio-video';
import { expectTypeOf, test } from 'vitest';
import { connectVideo, type VideoConnection, type VideoRoomLike } from './index.js';

declare const manager: AccessManager;

test("twilio-video's connect and Room fit connectVideo", () => {
  expectTypeOf<Room>().toExtend<VideoRoomLike>();
  const video = connectVideo(manager, connect, { name: 'standup' }, { reconnectOnExpiry: true });
  expectTypeOf(video).toEqualTypeOf<VideoConnection<Room>>();
  expectTypeOf(video).resolves.toEqualTypeOf<Room>();
  expectTypeOf(video.room$).toEqualTypeOf<Observable<Room>>();
});

test('the connect options are checked against the SDK', () => {
  expectTypeOf(connectVideo<Room, ConnectOptions>)
    .parameter(2)
    .toEqualTypeOf<ConnectOptions | undefined>();
  // @ts-expect-error: not a ConnectOptions field
  connectVideo(manager, connect, { nmae: 'typo' });
});

test('a room without disconnect does not fit', () => {
  expectTypeOf<Omit<Room, 'disconnect'>>().not.toExtend<VideoRoomLike>();
});
