/**
 * What a token can carry besides its identity: anything with a `key` (the name of its entry in the
 * token's `grants` claim) and a `toPayload()` that returns the entry in Twilio's snake_case wire
 * shape. The grant classes below fit, and so do the official `twilio` helper's grant objects.
 *
 * @example
 * ```ts
 * const custom: Grant = { key: 'chat', toPayload: () => ({ service_sid: 'IS...' }) };
 * mintAccessToken({ ...credentials, identity: 'alice', grants: [custom] });
 * ```
 */
export interface Grant<TKey extends string = string, TPayload extends object = object> {
  readonly key: TKey;
  toPayload(): TPayload;
}

/**
 * The base class of grants, as the official helper's `AccessToken.Grant`: a custom grant extends
 * it, passes its key to `super()` and implements `toPayload()`. Its type parameters are the
 * official ones, in the same order. Extending it is optional: any object with a `key` and a
 * `toPayload()` is a {@link Grant}.
 *
 * @example
 * ```ts
 * class DeviceGrant extends AccessToken.Grant<object, { device: string }, 'device'> {
 *   constructor(readonly device: string) {
 *     super('device');
 *   }
 *   toPayload() {
 *     return { device: this.device };
 *   }
 * }
 * token.addGrant(new DeviceGrant('kiosk-1'));
 * ```
 */
export abstract class AccessTokenGrant<
  // Unused here, kept so that `extends AccessToken.Grant<Options, Payload, Key>` reads as with the
  // official helper.
  _TOptions = unknown,
  TPayload extends object = object,
  TKey extends string = string,
> implements Grant<TKey, TPayload>
{
  key: TKey;

  protected constructor(key: TKey) {
    this.key = key;
  }

  abstract toPayload(): TPayload;
}

/** Options of {@link ChatGrant}, as the official helper names them. */
export interface ChatGrantOptions {
  serviceSid?: string | undefined;
  endpointId?: string | undefined;
  deploymentRoleSid?: string | undefined;
  pushCredentialSid?: string | undefined;
}

/** The `chat` entry of the `grants` claim. */
export interface ChatGrantPayload {
  service_sid?: string;
  endpoint_id?: string;
  deployment_role_sid?: string;
  push_credential_sid?: string;
}

/**
 * Access to a Conversations (or legacy Programmable Chat) service: `grants.chat`.
 *
 * @example
 * ```ts
 * new ChatGrant({ serviceSid: 'IS00000000000000000000000000000000' });
 * ```
 */
export class ChatGrant extends AccessTokenGrant<ChatGrantOptions, ChatGrantPayload, 'chat'> {
  serviceSid: string | undefined;
  endpointId: string | undefined;
  deploymentRoleSid: string | undefined;
  pushCredentialSid: string | undefined;

  // null as well as undefined, as the official helper (`options || {}`).
  constructor(options?: ChatGrantOptions | null) {
    super('chat');
    const settings = options ?? {};
    this.serviceSid = settings.serviceSid;
    this.endpointId = settings.endpointId;
    this.deploymentRoleSid = settings.deploymentRoleSid;
    this.pushCredentialSid = settings.pushCredentialSid;
  }

  // Empty strings are left out, as the official helper does: it tests each field for truthiness.
  toPayload(): ChatGrantPayload {
    const payload: ChatGrantPayload = {};
    if (this.serviceSid) payload.service_sid = this.serviceSid;
    if (this.endpointId) payload.endpoint_id = this.endpointId;
    if (this.deploymentRoleSid) payload.deployment_role_sid = this.deploymentRoleSid;
    if (this.pushCredentialSid) payload.push_credential_sid = this.pushCredentialSid;
    return payload;
  }
}

/** Options of {@link SyncGrant}. */
export interface SyncGrantOptions {
  serviceSid?: string | undefined;
  endpointId?: string | undefined;
}

/** The `data_sync` entry of the `grants` claim. */
export interface SyncGrantPayload {
  service_sid?: string;
  endpoint_id?: string;
}

/**
 * Access to a Sync service: `grants.data_sync`.
 *
 * @example
 * ```ts
 * new SyncGrant({ serviceSid: 'IS00000000000000000000000000000000' });
 * ```
 */
export class SyncGrant extends AccessTokenGrant<SyncGrantOptions, SyncGrantPayload, 'data_sync'> {
  serviceSid: string | undefined;
  endpointId: string | undefined;

  constructor(options?: SyncGrantOptions | null) {
    super('data_sync');
    const settings = options ?? {};
    this.serviceSid = settings.serviceSid;
    this.endpointId = settings.endpointId;
  }

  toPayload(): SyncGrantPayload {
    const payload: SyncGrantPayload = {};
    if (this.serviceSid) payload.service_sid = this.serviceSid;
    if (this.endpointId) payload.endpoint_id = this.endpointId;
    return payload;
  }
}

/** Options of {@link VoiceGrant}. */
export interface VoiceGrantOptions {
  /** Whether this client may receive calls to its identity. */
  incomingAllow?: boolean | undefined;
  /** The TwiML application (`AP...`) that outgoing calls run. */
  outgoingApplicationSid?: string | undefined;
  /** Parameters passed to that application; only sent with `outgoingApplicationSid`. */
  outgoingApplicationParams?: object | undefined;
  pushCredentialSid?: string | undefined;
  endpointId?: string | undefined;
}

/** The `voice` entry of the `grants` claim. */
export interface VoiceGrantPayload {
  incoming?: { allow: boolean };
  outgoing?: { application_sid: string; params?: object };
  push_credential_sid?: string;
  endpoint_id?: string;
}

/**
 * Programmable Voice calls: `grants.voice`.
 *
 * @example
 * ```ts
 * new VoiceGrant({ incomingAllow: true, outgoingApplicationSid: 'AP00000000000000000000000000000000' });
 * ```
 */
export class VoiceGrant extends AccessTokenGrant<VoiceGrantOptions, VoiceGrantPayload, 'voice'> {
  incomingAllow: boolean | undefined;
  outgoingApplicationSid: string | undefined;
  outgoingApplicationParams: object | undefined;
  pushCredentialSid: string | undefined;
  endpointId: string | undefined;

  constructor(options?: VoiceGrantOptions | null) {
    super('voice');
    const settings = options ?? {};
    this.incomingAllow = settings.incomingAllow;
    this.outgoingApplicationSid = settings.outgoingApplicationSid;
    this.outgoingApplicationParams = settings.outgoingApplicationParams;
    this.pushCredentialSid = settings.pushCredentialSid;
    this.endpointId = settings.endpointId;
  }

  toPayload(): VoiceGrantPayload {
    const payload: VoiceGrantPayload = {};
    // Only `true` turns incoming calls on; the wire shape has no way to say "false".
    if (this.incomingAllow === true) payload.incoming = { allow: true };
    if (this.outgoingApplicationSid) {
      payload.outgoing = { application_sid: this.outgoingApplicationSid };
      if (this.outgoingApplicationParams) payload.outgoing.params = this.outgoingApplicationParams;
    }
    if (this.pushCredentialSid) payload.push_credential_sid = this.pushCredentialSid;
    if (this.endpointId) payload.endpoint_id = this.endpointId;
    return payload;
  }
}

/** Options of {@link VideoGrant}. */
export interface VideoGrantOptions {
  /** A room name or `RM...` SID; without it, the client may join any room. */
  room?: string | undefined;
}

/** The `video` entry of the `grants` claim. */
export interface VideoGrantPayload {
  room?: string;
}

/**
 * Programmable Video rooms: `grants.video`.
 *
 * @example
 * ```ts
 * new VideoGrant({ room: 'daily-standup' });
 * ```
 */
export class VideoGrant extends AccessTokenGrant<VideoGrantOptions, VideoGrantPayload, 'video'> {
  room: string | undefined;

  constructor(options?: VideoGrantOptions | null) {
    super('video');
    const settings = options ?? {};
    this.room = settings.room;
  }

  toPayload(): VideoGrantPayload {
    const payload: VideoGrantPayload = {};
    if (this.room) payload.room = this.room;
    return payload;
  }
}

/** Options of {@link TaskRouterGrant}. */
export interface TaskRouterGrantOptions {
  workspaceSid?: string | undefined;
  workerSid?: string | undefined;
  role?: string | undefined;
}

/** The `task_router` entry of the `grants` claim. */
export interface TaskRouterGrantPayload {
  workspace_sid?: string;
  worker_sid?: string;
  role?: string;
}

/**
 * TaskRouter workers: `grants.task_router`.
 *
 * @example
 * ```ts
 * new TaskRouterGrant({ workspaceSid: 'WS...', workerSid: 'WK...', role: 'worker' });
 * ```
 */
export class TaskRouterGrant extends AccessTokenGrant<
  TaskRouterGrantOptions,
  TaskRouterGrantPayload,
  'task_router'
> {
  workspaceSid: string | undefined;
  workerSid: string | undefined;
  role: string | undefined;

  constructor(options?: TaskRouterGrantOptions | null) {
    super('task_router');
    const settings = options ?? {};
    this.workspaceSid = settings.workspaceSid;
    this.workerSid = settings.workerSid;
    this.role = settings.role;
  }

  toPayload(): TaskRouterGrantPayload {
    const payload: TaskRouterGrantPayload = {};
    if (this.workspaceSid) payload.workspace_sid = this.workspaceSid;
    if (this.workerSid) payload.worker_sid = this.workerSid;
    if (this.role) payload.role = this.role;
    return payload;
  }
}

/** Options of {@link PlaybackGrant}. */
export interface PlaybackGrantOptions {
  /** The grant object returned by Twilio's Live `PlaybackGrant` API, passed through as it is. */
  grant?: object | undefined;
}

/**
 * Twilio Live playback: `grants.player`, the object Twilio's API returned.
 *
 * @example
 * ```ts
 * const { grant } = await client.media.v1.playerStreamer(sid).playbackGrant().create();
 * new PlaybackGrant({ grant });
 * ```
 */
export class PlaybackGrant extends AccessTokenGrant<PlaybackGrantOptions, object, 'player'> {
  grant: object | undefined;

  constructor(options?: PlaybackGrantOptions | null) {
    super('player');
    const settings = options ?? {};
    this.grant = settings.grant;
  }

  toPayload(): object {
    return this.grant ? this.grant : {};
  }
}
