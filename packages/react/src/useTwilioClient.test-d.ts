// The real adapters' factory forms, with the real SDK types, fit useTwilioClient; what does not
// fit is refused.
import { attachConversations } from '@access-manager/conversations';
import type { ClientLink } from '@access-manager/core';
import { attachSync } from '@access-manager/sync';
import { attachVoice } from '@access-manager/voice';
import { Client as ConversationsClient } from '@twilio/conversations';
import { Device } from '@twilio/voice-sdk';
import { SyncClient } from 'twilio-sync';
import { describe, expectTypeOf, test } from 'vitest';
import { type TwilioClient, type TwilioClientLink, useTwilioClient } from './index.js';

describe('useTwilioClient with the real adapters', () => {
  test('Conversations: the client is the SDK Client', () => {
    const chat = useTwilioClient(attachConversations, (jwt) => new ConversationsClient(jwt));
    expectTypeOf(chat).toEqualTypeOf<TwilioClient<ConversationsClient>>();
    expectTypeOf(chat.client).toEqualTypeOf<ConversationsClient | undefined>();
    expectTypeOf(chat.status).toEqualTypeOf<
      'creating' | 'synced' | 'updating' | 'retrying' | 'failed' | 'detached'
    >();
  });

  test('Voice: a Device, with Voice options; an async factory', () => {
    const voice = useTwilioClient(attachVoice, (jwt) => new Device(jwt), { register: true });
    expectTypeOf(voice.client).toEqualTypeOf<Device | undefined>();
    const later = useTwilioClient(attachVoice, async (jwt) => new Device(jwt));
    expectTypeOf(later.client).toEqualTypeOf<Device | undefined>();
  });

  test('Sync: a SyncClient, with the link options', () => {
    const sync = useTwilioClient(attachSync, (jwt) => new SyncClient(jwt), {
      pushTimeoutMs: 5_000,
    });
    expectTypeOf(sync.client).toEqualTypeOf<SyncClient | undefined>();
  });

  test("the core's ClientLink fits what the hook uses of a link", () => {
    expectTypeOf<ClientLink<Device>>().toExtend<TwilioClientLink<Device>>();
  });

  test('what the adapter cannot take is refused', () => {
    // @ts-expect-error a Device is no Conversations client
    useTwilioClient(attachConversations, (jwt) => new Device(jwt));
    // @ts-expect-error Voice's own option on the Sync adapter
    useTwilioClient(attachSync, (jwt) => new SyncClient(jwt), { register: true });
    // @ts-expect-error the factory takes the JWT, a string
    useTwilioClient(attachSync, (jwt: number) => new SyncClient(String(jwt)));
  });
});
