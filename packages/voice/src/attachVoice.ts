import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientLink,
  type ClientSpec,
} from '@access-manager/core';

/**
 * What a Device passes to its `error` listeners, as far as {@link attachVoice} reads it.
 *
 * @example
 * ```ts
 * device.on('error', (error: VoiceErrorLike) => console.warn('voice', error.code));
 * ```
 */
export interface VoiceErrorLike {
  code?: number;
  originalError?: unknown;
}

/**
 * What {@link attachVoice} uses of a `Call`: the events that end it.
 *
 * @example
 * ```ts
 * device.on('incoming', (call: Call) => {
 *   const ending: VoiceCallLike = call;
 * });
 * ```
 */
export interface VoiceCallLike {
  on(event: 'disconnect' | 'cancel' | 'reject' | 'error', listener: () => void): unknown;
  removeListener(
    event: 'disconnect' | 'cancel' | 'reject' | 'error',
    listener: () => void,
  ): unknown;
}

/**
 * What {@link attachVoice} uses of a `@twilio/voice-sdk` `Device`, so that any version of that
 * shape fits and the SDK is never imported here.
 *
 * @example
 * ```ts
 * import { Device } from '@twilio/voice-sdk';
 * const device: VoiceDeviceLike = new Device(jwt);
 * ```
 */
export interface VoiceDeviceLike {
  readonly isBusy: boolean;
  /** `'destroyed'` once `destroy()` was called: the Device takes no token then. */
  readonly state: string;
  readonly token: string | null;
  updateToken(token: string): void;
  on(event: 'tokenWillExpire' | 'destroyed', listener: () => void): unknown;
  on(event: 'error', listener: (error: VoiceErrorLike) => void): unknown;
  on(event: 'incoming', listener: (call: VoiceCallLike) => void): unknown;
  removeListener(event: 'tokenWillExpire' | 'destroyed', listener: () => void): unknown;
  removeListener(event: 'error', listener: (error: VoiceErrorLike) => void): unknown;
  removeListener(event: 'incoming', listener: (call: VoiceCallLike) => void): unknown;
}

const CALL_ENDS = ['disconnect', 'cancel', 'reject', 'error'] as const;
/** Twilio's AccessTokenExpired, and the Voice signaling error for an expired JWT. */
const EXPIRED = [20104, 31205];

const voiceSpec: ClientSpec<VoiceDeviceLike> = {
  name: 'voice',
  grant: 'voice',
  updateToken: (device, jwt) => device.updateToken(jwt),
  listen: (device, signal) => {
    const willExpire = () => signal('willExpire');
    // Always there while attached: a Device with no `error` listener throws an auth error as an
    // uncaught exception. 31205 arrives as 20104, with the 31205 kept in `originalError`.
    const error = (error: VoiceErrorLike) => {
      const original = (error?.originalError as VoiceErrorLike | undefined)?.code;
      if (EXPIRED.includes(error?.code as number) || EXPIRED.includes(original as number)) {
        signal('expired');
      }
    };
    device.on('tokenWillExpire', willExpire);
    device.on('error', error);
    return () => {
      device.removeListener('tokenWillExpire', willExpire);
      device.removeListener('error', error);
    };
  },
  isReady: (device) => device.state !== 'destroyed',
  // An update mid-call drops about a second of audio: hold it until the call ends.
  isBusy: (device) => device.isBusy,
  watch: (device, changed) => {
    const stops = new Set<() => void>();
    const incoming = (call: VoiceCallLike) => {
      const end = () => {
        stop();
        changed();
      };
      const stop = () => {
        for (const event of CALL_ENDS) call.removeListener(event, end);
        stops.delete(stop);
      };
      for (const event of CALL_ENDS) call.on(event, end);
      stops.add(stop);
    };
    device.on('incoming', incoming);
    device.on('destroyed', changed);
    return () => {
      device.removeListener('incoming', incoming);
      device.removeListener('destroyed', changed);
      for (const stop of stops) stop();
    };
  },
  // An outgoing call ends with no Device event: while a token waits, look again now and then.
  busyPollMs: 5_000,
};

/**
 * Keeps a `@twilio/voice-sdk` Device supplied with the manager's token: pushes each new token
 * with `updateToken`, holds it while the Device is on a call (until the call ends, or until the
 * token the Device holds has `busyMinValidityMs`, default 60 s, left), turns `tokenWillExpire`
 * and an `error` 20104 / 31205 into one shared refresh, and listens for `error` as long as it is
 * attached. Declares the `voice` grant: throws `missing_grant` when the manager's token lacks it.
 *
 * @param options `token` defaults to `device.token`, the token the Device holds.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachVoice } from '@access-manager/voice';
 * import { Device } from '@twilio/voice-sdk';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * const device = new Device(await manager.getToken());
 * const link = attachVoice(manager, device);
 * await device.register();
 * // later
 * link.detach();
 * ```
 */
export const attachVoice = (
  manager: AccessManager,
  device: VoiceDeviceLike,
  options?: AttachOptions,
): ClientLink =>
  attachClient(manager, device, voiceSpec, {
    ...(device.token ? { token: device.token } : {}),
    ...options,
  });
