import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientFactory,
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
  /** Registers for incoming calls (`attachVoice` calls it again after a refused token). */
  register?(): Promise<unknown>;
  /** Ends the Device: a factory link calls it on sign-out, user switch and detach. */
  destroy?(): unknown;
  on(event: 'tokenWillExpire' | 'destroyed' | 'registered', listener: () => void): unknown;
  on(event: 'error', listener: (error: VoiceErrorLike) => void): unknown;
  on(event: 'incoming', listener: (call: VoiceCallLike) => void): unknown;
  removeListener(
    event: 'tokenWillExpire' | 'destroyed' | 'registered',
    listener: () => void,
  ): unknown;
  removeListener(event: 'error', listener: (error: VoiceErrorLike) => void): unknown;
  removeListener(event: 'incoming', listener: (call: VoiceCallLike) => void): unknown;
}

const CALL_ENDS = ['disconnect', 'cancel', 'reject', 'error'] as const;
/** Twilio's AccessTokenExpired, and the Voice signaling error for an expired JWT. */
const EXPIRED = [20104, 31205];

/**
 * Devices that were registered when their token was refused: after 20104 or 31205 a Device stops
 * re-registering by itself, so the link registers it again once it holds a fresh token.
 */
const registered = new WeakSet<VoiceDeviceLike>();
const reregister = new WeakSet<VoiceDeviceLike>();

/**
 * `register()`, failed by the first `error` the Device emits meanwhile (with its Twilio code: a
 * refused token, signaling out of reach): the SDK's own promise would wait for ever.
 */
const register = (device: VoiceDeviceLike) =>
  new Promise((resolve, reject) => {
    const fail = (error: unknown) => {
      device.removeListener('error', fail);
      reject(error);
    };
    device.on('error', fail);
    Promise.resolve(device.register?.()).then(() => {
      device.removeListener('error', fail);
      resolve(device);
    }, fail);
  });

const voiceSpec: ClientSpec<VoiceDeviceLike> = {
  name: 'voice',
  grant: 'voice',
  updateToken: (device, jwt) => device.updateToken(jwt),
  shutdown: (device) => device.destroy?.(),
  listen: (device, signal) => {
    const willExpire = () => signal('willExpire');
    const onRegistered = () => registered.add(device);
    // Always there while attached: a Device with no `error` listener throws an auth error as an
    // uncaught exception. 31205 arrives as 20104, with the 31205 kept in `originalError`.
    const error = (error: VoiceErrorLike) => {
      if (
        EXPIRED.includes(error?.code as number) ||
        EXPIRED.includes((error?.originalError as VoiceErrorLike | undefined)?.code as number)
      ) {
        if (registered.has(device) || device.state === 'registered') reregister.add(device);
        signal('expired');
      }
    };
    if (device.state === 'registered') registered.add(device);
    device.on('tokenWillExpire', willExpire);
    device.on('registered', onRegistered);
    device.on('error', error);
    return () => {
      device.removeListener('tokenWillExpire', willExpire);
      device.removeListener('registered', onRegistered);
      device.removeListener('error', error);
    };
  },
  delivered: (device) => {
    // (Against a server that keeps it registered, as the local fake does, nothing is needed.)
    if (reregister.delete(device) && device.state !== 'registered') {
      device.register?.().catch(() => {});
    }
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
 * Given a factory `(jwt) => new Device(jwt, options)`, the link creates the Device with a token
 * valid long enough, registers it with `{ register: true }` (register it here, never before
 * attaching: a token pushed meanwhile would re-register it twice), makes a new one for a new
 * user and destroys it on sign-out and detach. The link's `error` listener is in place before
 * `register()` is called; a `register()` that fails (the Device's `error`, such as a refused token
 * or signaling out of reach) or does not settle within `startTimeoutMs` (default 30 s from the
 * factory's call) ends that Device, shows `retrying` with a `ClientStartError` (`twilioCode`) in
 * the link's state, and a new Device is made after a backoff. After a 20104 / 31205 refusal, a Device that was registered is
 * registered again once it holds a fresh token (the SDK stops by itself).
 *
 * @param options `token` (client form) defaults to `device.token`, the token the Device holds.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachVoice } from '@access-manager/voice';
 * import { Device } from '@twilio/voice-sdk';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * const link = attachVoice(manager, (jwt) => new Device(jwt), { register: true });
 * link.client$.subscribe((device) => device.on('incoming', answer));
 * // later: detaches and destroys the Device
 * link.detach();
 * ```
 */
export function attachVoice<Device extends VoiceDeviceLike>(
  manager: AccessManager,
  device: Device | ClientFactory<Device>,
  options?: AttachOptions & { register?: boolean },
): ClientLink<Device> {
  return attachClient(
    manager,
    device,
    // The factory form: the link creates the Device, listens to it, then registers it when asked
    // to (a link to a Device the app created never calls `start`).
    (options?.register ? { ...voiceSpec, start: register } : voiceSpec) as ClientSpec<Device>,
    // A Device the app created holds the token it was created with, unless told otherwise.
    typeof device !== 'function' && device.token ? { token: device.token, ...options } : options,
  );
}
