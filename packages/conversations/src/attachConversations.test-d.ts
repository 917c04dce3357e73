import type { AccessManager, ClientLink } from '@access-manager/core';
import type { Client } from '@twilio/conversations';
import { expectTypeOf, test } from 'vitest';
import { attachConversations, type ConversationsClientLike } from './index.js';

test('a @twilio/conversations Client fits ConversationsClientLike', () => {
  expectTypeOf<Client>().toExtend<ConversationsClientLike>();
  expectTypeOf(attachConversations).toBeCallableWith({} as AccessManager, {} as Client);
  expectTypeOf(attachConversations).returns.toEqualTypeOf<ClientLink>();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<ConversationsClientLike>();
  expectTypeOf<Omit<Client, 'updateToken'>>().not.toExtend<ConversationsClientLike>();
});
