import type { Observable, Subscription } from 'rxjs';
import { Broadcast, type Mailbox } from './broadcast.js';
import type { Clock } from './clock.js';
import type { AccessManagerError } from './errors.js';
import type { AccessManagerEvent, AccessManagerEventName, AccessManagerState } from './types.js';

type ErrorListener = (error: AccessManagerError) => void;
type AnyListener = (arg: never) => void;
type Entry = [name: AccessManagerEventName, listener: AnyListener, subscription: Subscription];

/**
 * The base of `AccessManager`: twilio-common's side of the manager, its properties (`token`,
 * `identity`, `expires`, `isExpired`) and its EventEmitter (`on`, `once`, `off`, `addListener`,
 * `removeListener`, `removeAllListeners`, `listenerCount`), with its timing, which its own test
 * suite pins down: listeners hear events a macrotask after they happen, in order; updates made in
 * one run of the event loop make one `tokenUpdated`; and the constructor's `error` is not heard
 * when `updateToken` is called before it is delivered. (`events$` follows Twilio's lifecycle as
 * the SDK docs give it: each event as it happens.) A listener that throws is reported
 * asynchronously and never breaks the manager.
 */
export abstract class ListenerFacade {
  readonly #clock: Clock;
  readonly #heard: Broadcast<AccessManagerEvent>;
  #heard$: Observable<AccessManagerEvent> | undefined;
  /**
   * Events waiting for the next macrotask, each with whether it is the constructor's error and
   * while it still stands (`live`: see `EventDelivery.deliverAdoption`).
   */
  #pending: Array<[AccessManagerEvent, boolean, (() => boolean) | undefined]> = [];
  #timer: unknown;
  #entries: Entry[] = [];

  constructor(clock: Clock, mailbox: Mailbox) {
    this.#clock = clock;
    this.#heard = new Broadcast<AccessManagerEvent>(mailbox);
  }

  abstract getState(): AccessManagerState;

  /** The raw JWT held now, or null. */
  get token(): string | null {
    return this.getState().token?.jwt ?? null;
  }

  /** The identity of the token held now, or null. */
  get identity(): string | null {
    return this.getState().token?.identity ?? null;
  }

  /** When the token held now expires (its `exp`), or null. */
  get expires(): Date | null {
    return this.getState().token?.expiresAt ?? null;
  }

  /**
   * True when the token held has expired, or an SDK refused it (expired on the server's clock,
   * whatever the estimate says); false while none is held (as in twilio-common).
   */
  get isExpired(): boolean {
    return this.getState().tokenStatus === 'expired';
  }

  /** Queues an event for the listeners; `initial`: the constructor's token error. */
  protected hear(event: AccessManagerEvent, initial = false, live?: () => boolean): void {
    if (event.type === 'tokenUpdated') {
      this.#pending = this.#pending.filter(([queued]) => queued.type !== 'tokenUpdated');
    }
    this.#pending.push([event, initial, live]);
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const pending = this.#pending;
      this.#pending = [];
      for (const [queued, , live] of pending) this.#heard.next(queued, live);
    }, 0);
  }

  /** `updateToken` was called: the constructor's error, if still waiting, is not heard. */
  protected supersede(): void {
    this.#pending = this.#pending.filter(([, initial]) => !initial);
  }

  on(name: 'error', listener: ErrorListener): this;
  on(name: Exclude<AccessManagerEventName, 'error'>, listener: (manager: this) => void): this;
  on(name: AccessManagerEventName, listener: AnyListener): this {
    return this.#add(name, listener, false);
  }

  /** Adds a listener that is removed after its first call. */
  once(name: 'error', listener: ErrorListener): this;
  once(name: Exclude<AccessManagerEventName, 'error'>, listener: (manager: this) => void): this;
  once(name: AccessManagerEventName, listener: AnyListener): this {
    return this.#add(name, listener, true);
  }

  /** Removes a listener added with `on` or `once` (the most recent, when added twice). */
  off(name: 'error', listener: ErrorListener): this;
  off(name: Exclude<AccessManagerEventName, 'error'>, listener: (manager: this) => void): this;
  off(name: AccessManagerEventName, listener: AnyListener): this {
    const entries = this.#entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as Entry;
      if (entry[0] === name && entry[1] === listener) {
        this.#remove(entry);
        break;
      }
    }
    return this;
  }

  /** Same as `on`. */
  declare addListener: this['on'];
  /** Same as `off`. */
  declare removeListener: this['off'];

  /** Removes every listener of `name`, or every listener. */
  removeAllListeners(name?: AccessManagerEventName): this {
    for (const entry of this.#entries) if (!name || entry[0] === name) this.#remove(entry);
    return this;
  }

  /** How many listeners `name` has. */
  listenerCount(name: AccessManagerEventName): number {
    return this.#entries.filter(([n]) => n === name).length;
  }

  /** Drops every listener and every event not yet heard (the manager closes). */
  protected closeListeners(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#pending = [];
    this.removeAllListeners();
    this.#heard.complete();
  }

  #add(name: AccessManagerEventName, listener: AnyListener, once: boolean): this {
    const entry = [name, listener] as unknown as Entry;
    this.#entries.push(entry);
    this.#heard$ ??= this.#heard.observe();
    entry[2] = this.#heard$.subscribe((event) => {
      if (event.type !== name) return;
      if (once) this.#remove(entry);
      (listener as (arg: unknown) => void)(event.type === 'error' ? event.error : this);
    });
    return this;
  }

  #remove(entry: Entry): void {
    entry[2].unsubscribe();
    this.#entries = this.#entries.filter((e) => e !== entry);
  }
}

// EventEmitter's other names for `on` and `off`, shared through the prototype.
const proto = ListenerFacade.prototype as unknown as Record<string, unknown>;
proto['addListener'] = proto['on'];
proto['removeListener'] = proto['off'];
