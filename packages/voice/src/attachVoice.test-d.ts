import type { AccessManager, ClientLink } from '@access-manager/core';
import { type Call, Device } from '@twilio/voice-sdk';
import { expectTypeOf, test } from 'vitest';
import { attachVoice, type VoiceCallLike, type VoiceDeviceLike } from './index.js';

test('a @twilio/voice-sdk Device fits VoiceDeviceLike, and its Call fits VoiceCallLike', () => {
  expectTypeOf<Device>().toExtend<VoiceDeviceLike>();
  expectTypeOf<Call>().toExtend<VoiceCallLike>();
  expectTypeOf(attachVoice).toBeCallableWith({} as AccessManager, {} as Device);
  expectTypeOf(attachVoice({} as AccessManager, {} as Device)).toEqualTypeOf<ClientLink<Device>>();
  // The factory form, registered by the link.
  expectTypeOf(
    attachVoice({} as AccessManager, (jwt: string) => new Device(jwt), { register: true }),
  ).toEqualTypeOf<ClientLink<Device>>();
});

test('a device without isBusy or updateToken does not fit', () => {
  expectTypeOf<Omit<Device, 'isBusy'>>().not.toExtend<VoiceDeviceLike>();
  expectTypeOf<Omit<Device, 'updateToken'>>().not.toExtend<VoiceDeviceLike>();
});
