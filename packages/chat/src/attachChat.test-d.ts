import type { AccessManager, ClientLink } from '@access-manager/core';
import { Client } from 'twilio-chat';
import { expectTypeOf, test } from 'vitest';
import { attachChat, type ChatClientLike } from './index.js';

test('a twilio-chat Client fits ChatClientLike', () => {
  expectTypeOf<Client>().toExtend<ChatClientLike>();
  expectTypeOf(attachChat).toBeCallableWith({} as AccessManager, {} as Client);
  expectTypeOf(attachChat({} as AccessManager, {} as Client)).toEqualTypeOf<ClientLink<Client>>();
  // The factory form: the link creates the client (and a new one for a new user).
  expectTypeOf(attachChat({} as AccessManager, (jwt: string) => new Client(jwt))).toEqualTypeOf<
    ClientLink<Client>
  >();
});

test('a client without updateToken or the events does not fit', () => {
  expectTypeOf<{ connectionState: string }>().not.toExtend<ChatClientLike>();
  expectTypeOf<Omit<Client, 'updateToken'>>().not.toExtend<ChatClientLike>();
});
