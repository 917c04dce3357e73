import type { AccessManager, ClientLink } from '@access-manager/core';
import { SyncClient } from 'twilio-sync';
import { expectTypeOf, test } from 'vitest';
import { attachSync, type SyncClientLike } from './index.js';

test('a twilio-sync SyncClient fits SyncClientLike', () => {
  expectTypeOf<SyncClient>().toExtend<SyncClientLike>();
  expectTypeOf(attachSync).toBeCallableWith({} as AccessManager, {} as SyncClient);
  expectTypeOf(attachSync({} as AccessManager, {} as SyncClient)).toEqualTypeOf<
    ClientLink<SyncClient>
  >();
  // The factory form: the link creates the client (and a new one for a new user).
  expectTypeOf(attachSync({} as AccessManager, (jwt: string) => new SyncClient(jwt))).toEqualTypeOf<
    ClientLink<SyncClient>
  >();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<SyncClientLike>();
  expectTypeOf<Omit<SyncClient, 'updateToken'>>().not.toExtend<SyncClientLike>();
});
