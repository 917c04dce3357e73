import type { AccessManager, ClientLink } from '@access-manager/core';
import { Client } from '@twilio/conversations';
import { expectTypeOf, test } from 'vitest';
import { attachConversations, type ConversationsClientLike } from './index.js';

test('a @twilio/conversations Client fits ConversationsClientLike', () => {
  expectTypeOf<Client>().toExtend<ConversationsClientLike>();
  expectTypeOf(attachConversations).toBeCallableWith({} as AccessManager, {} as Client);
  expectTypeOf(attachConversations({} as AccessManager, {} as Client)).toEqualTypeOf<
    ClientLink<Client>
  >();
  // The factory form: the link creates the client (and a new one for a new user).
  expectTypeOf(
    attachConversations({} as AccessManager, (jwt: string) => new Client(jwt)),
  ).toEqualTypeOf<ClientLink<Client>>();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<ConversationsClientLike>();
  expectTypeOf<Omit<Client, 'updateToken'>>().not.toExtend<ConversationsClientLike>();
});
