import type { AccessManager, ClientLink } from '@access-manager/core';
import type { SyncClient } from 'twilio-sync';
import { expectTypeOf, test } from 'vitest';
import { attachSync, type SyncClientLike } from './index.js';

test('a twilio-sync SyncClient fits SyncClientLike', () => {
  expectTypeOf<SyncClient>().toExtend<SyncClientLike>();
  expectTypeOf(attachSync).toBeCallableWith({} as AccessManager, {} as SyncClient);
  expectTypeOf(attachSync).returns.toEqualTypeOf<ClientLink>();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<SyncClientLike>();
  expectTypeOf<Omit<SyncClient, 'updateToken'>>().not.toExtend<SyncClientLike>();
});
