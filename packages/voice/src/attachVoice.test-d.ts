import type { AccessManager, ClientLink } from '@access-manager/core';
import type { Call, Device } from '@twilio/voice-sdk';
import { expectTypeOf, test } from 'vitest';
import { attachVoice, type VoiceCallLike, type VoiceDeviceLike } from './index.js';

test('a @twilio/voice-sdk Device fits VoiceDeviceLike, and its Call fits VoiceCallLike', () => {
  expectTypeOf<Device>().toExtend<VoiceDeviceLike>();
  expectTypeOf<Call>().toExtend<VoiceCallLike>();
  expectTypeOf(attachVoice).toBeCallableWith({} as AccessManager, {} as Device);
  expectTypeOf(attachVoice).returns.toEqualTypeOf<ClientLink>();
});

test('a device without isBusy or updateToken does not fit', () => {
  expectTypeOf<Omit<Device, 'isBusy'>>().not.toExtend<VoiceDeviceLike>();
  expectTypeOf<Omit<Device, 'updateToken'>>().not.toExtend<VoiceDeviceLike>();
});
