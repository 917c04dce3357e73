import {
  type AccessManager,
  AccessToken,
  ClosedError,
  IdentityMismatchError,
} from '@access-manager/core';
import { Observable, type Subscriber } from 'rxjs';

/**
 * What a Room passes to `disconnected` listeners, as far as {@link connectVideo} reads it.
 *
 * @example
 * ```ts
 * room.on('disconnected', (_room, error?: VideoErrorLike) => console.log(error?.code));
 * ```
 */
export interface VideoErrorLike {
  code?: number;
}

/**
 * What {@link connectVideo} uses of a `twilio-video` `Room`, so that any version of that shape
 * fits and the SDK is never imported here.
 *
 * @example
 * ```ts
 * import { connect } from 'twilio-video';
 * const room: VideoRoomLike = await connect(jwt, { name: 'standup' });
 * ```
 */
export interface VideoRoomLike {
  disconnect(): unknown;
  on(
    event: 'disconnected',
    listener: (room: unknown, error?: VideoErrorLike | null) => void,
  ): unknown;
  removeListener(
    event: 'disconnected',
    listener: (room: unknown, error?: VideoErrorLike | null) => void,
  ): unknown;
}

/**
 * `twilio-video`'s `connect`, or anything of its shape. A `cancel()` on its promise is used.
 *
 * @example
 * ```ts
 * import { type ConnectOptions, connect, type Room } from 'twilio-video';
 * const connectRoom: VideoConnect<Room, ConnectOptions> = connect;
 * ```
 */
export type VideoConnect<Room, ConnectOptions> = (
  token: string,
  options?: ConnectOptions,
) => PromiseLike<Room> & { cancel?: () => void };

/**
 * How {@link connectVideo} picks tokens and treats an expired one.
 *
 * @example
 * ```ts
 * const options: VideoOptions = { minValidityMs: 120_000, reconnectOnExpiry: true };
 * ```
 */
export interface VideoOptions {
  /** The token handed to `connect` is valid at least this much longer; default 60 000. */
  minValidityMs?: number;
  /**
   * When the room disconnects with error 20104 (AccessTokenExpired), connect again with a fresh
   * token for the same identity and emit the new room on `room$`. Default `false`.
   */
  reconnectOnExpiry?: boolean;
}

/**
 * The room being connected: a promise of the first `Room` (as `connect` returns), that also
 * streams every room it connects and can be detached.
 *
 * @example
 * ```ts
 * const video: VideoConnection<Room> = connectVideo(manager, connect, { name: 'standup' });
 * video.room$.subscribe((room) => render(room));
 * const room = await video;
 * video.detach();
 * ```
 */
export interface VideoConnection<Room> extends Promise<Room> {
  /**
   * The room connected now, then each one connected again after an expired token. Completes
   * when a room disconnects for good or on `detach()`; errors when connecting fails.
   */
  readonly room$: Observable<Room>;
  /**
   * Stops and leaves: cancels a connect under way (a room that still arrives is disconnected),
   * disconnects the room it connected (it created it; a room already disconnected is left
   * alone), removes the listener it added to the room, releases the `video` grant, completes
   * `room$`. Nothing is connected again afterwards. Idempotent.
   */
  detach(): void;
  [Symbol.dispose](): void;
}

/** Twilio's AccessTokenExpired. */
const TOKEN_EXPIRED = 20104;

/**
 * Connects a `twilio-video` room with a token from the manager that is valid for at least
 * `minValidityMs` (fetching one if need be), through the `connect` function given, so that the
 * SDK stays the app's import. With `reconnectOnExpiry`, a room closed with error 20104 is
 * connected again with a fresh token for the same identity. Declares the `video` grant: rejects
 * with `missing_grant` when the manager's token lacks it.
 *
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { connectVideo } from '@access-manager/video';
 * import { connect } from 'twilio-video';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * const video = connectVideo(manager, connect, { name: 'standup' }, { reconnectOnExpiry: true });
 * video.room$.subscribe((room) => render(room));
 * const room = await video;
 * // leaving: disconnects the room, releases the grant, room$ completes
 * video.detach();
 * ```
 */
export function connectVideo<Room extends VideoRoomLike, ConnectOptions>(
  manager: AccessManager,
  connect: VideoConnect<Room, ConnectOptions>,
  connectOptions?: ConnectOptions,
  videoOptions: VideoOptions = {},
): VideoConnection<Room> {
  const subscribers = new Set<Subscriber<Room>>();
  let room: Room | undefined;
  let ended = false;
  /** The error that ended the connection; undefined when it ended well (detach, a room gone). */
  let failure: unknown;
  let cancel: (() => void) | undefined;
  let release = (): void => {};
  let identity: string | null = null;
  let lastJwt: string | undefined;
  const controller = new AbortController();

  /** Completes a subscriber of `room$`, or errors it with what ended the connection. */
  const finish = (subscriber: Subscriber<Room>) =>
    failure === undefined ? subscriber.complete() : subscriber.error(failure);

  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    failure = error;
    controller.abort(new ClosedError('connectVideo was detached.'));
    cancel?.();
    // The room it connected, still connected (detach): it created it, so it leaves it. Its own
    // listener goes first, so that this disconnect is not taken for the room ending by itself.
    const held = room;
    room = undefined;
    held?.removeListener('disconnected', onDisconnected);
    try {
      held?.disconnect();
    } finally {
      release();
      for (const subscriber of subscribers) finish(subscriber);
      subscribers.clear();
    }
  };

  const open = async (): Promise<Room> => {
    const signal = controller.signal;
    let jwt = await manager.getToken({
      minValidityMs: videoOptions.minValidityMs ?? 60_000,
      signal,
    });
    // Refused as expired although the manager thinks it valid (a clock off): fetch a new one.
    if (jwt === lastJwt) jwt = (await manager.refresh({ reason: 'sdk', force: true })).jwt;
    signal.throwIfAborted();
    // The identity of the token handed to connect, not of whatever the manager holds by the time
    // the room is up: a room must never come back as another user.
    const tokenIdentity = new AccessToken(jwt).identity;
    if (identity !== null && tokenIdentity !== identity) {
      throw new IdentityMismatchError('The token for the new room is for another identity.');
    }
    lastJwt = jwt;
    const attempt = connect(jwt, connectOptions);
    // Called on the promise: twilio-video's CancelablePromise.cancel reads `this`.
    cancel = attempt.cancel && (() => attempt.cancel?.());
    const next = await Promise.resolve(attempt).catch((error: unknown) => {
      // Cancelled by detach(): the connection was closed, whatever the SDK rejected with.
      throw signal.aborted ? signal.reason : error;
    });
    cancel = undefined;
    if (signal.aborted) {
      next.disconnect(); // nobody holds it
      throw signal.reason;
    }
    identity = tokenIdentity;
    room = next;
    next.on('disconnected', onDisconnected);
    for (const subscriber of subscribers) subscriber.next(next);
    return next;
  };

  function onDisconnected(_room: unknown, error?: VideoErrorLike | null): void {
    room?.removeListener('disconnected', onDisconnected);
    room = undefined; // disconnected already: nothing for end() to leave
    if (videoOptions.reconnectOnExpiry && error?.code === TOKEN_EXPIRED && !ended) {
      open().catch(end);
    } else {
      end();
    }
  }

  const first = (async () => {
    release = manager.requireGrant('video');
    return open();
  })();
  first.catch(end);

  return Object.assign(first, {
    room$: new Observable<Room>((subscriber) => {
      if (room && !ended) subscriber.next(room);
      if (ended) return finish(subscriber);
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    }),
    detach: () => end(),
    [Symbol.dispose]: () => end(),
  });
}
