import type { AccessManager, ClientLink } from '@access-manager/core';
import type { Client } from 'twilio-chat';
import { expectTypeOf, test } from 'vitest';
import { attachChat, type ChatClientLike } from './index.js';

test('a twilio-chat Client fits ChatClientLike', () => {
  expectTypeOf<Client>().toExtend<ChatClientLike>();
  expectTypeOf(attachChat).toBeCallableWith({} as AccessManager, {} as Client);
  expectTypeOf(attachChat).returns.toEqualTypeOf<ClientLink>();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<ChatClientLike>();
  expectTypeOf<Omit<Client, 'updateToken'>>().not.toExtend<ChatClientLike>();
});
