import type { Observable } from 'rxjs';
import type { AccessToken } from './accessToken.js';
import { Broadcast, Mailbox } from './broadcast.js';
import type { Clock } from './clock.js';
import type { AccessManagerError } from './errors.js';
import { ListenerFacade } from './listenerFacade.js';
import type { Logger } from './logger.js';
import type { AccessManagerEvent, AccessManagerState } from './types.js';

/**
 * The manager's delivery side: its three streams, one {@link Mailbox} for them and the listeners,
 * the constructor's queue, and the one way each kind of news goes out (`emit`, `report`,
 * `deliverAdoption`, `publish`). Nothing goes out after `close()`, whoever called it.
 */
export abstract class EventDelivery extends ListenerFacade {
  readonly #mailbox: Mailbox;
  readonly #tokens: Broadcast<AccessToken>;
  readonly #events: Broadcast<AccessManagerEvent>;
  readonly #states: Broadcast<AccessManagerState>;
  /**
   * Events raised during construction wait here for a microtask, so that `events$` right after
   * `new` hears them; each with while it still stands (see `deliverAdoption`).
   */
  #queue: Array<[AccessManagerEvent, () => boolean]> | null = [];
  /** The last snapshot published on `state$`. */
  #published: AccessManagerState | null = null;
  protected readonly logger: Logger;
  /** The last error, until a token is adopted (`getState().lastError`). */
  protected lastError: AccessManagerError | null = null;
  protected closed = false;
  /**
   * How many times `reset()` has run: the era of every piece of news. Whatever was raised before
   * the last reset (an adoption, a deadline event, an error, a state) reaches no subscriber or
   * listener after it: the user it was about signed out.
   */
  protected resets = 0;

  /** The current token at once (when there is one), then every token adopted; completes on `close()`. */
  readonly token$: Observable<AccessToken>;
  /** The current state at once, then every change; completes on `close()`. */
  readonly state$: Observable<AccessManagerState>;
  /** Every lifecycle event as it happens (no replay); completes on `close()`. */
  readonly events$: Observable<AccessManagerEvent>;

  constructor(clock: Clock, logger: Logger) {
    const mailbox = new Mailbox();
    super(clock, mailbox);
    this.#mailbox = mailbox;
    // Logging is best effort: a logger that throws (a closed transport) never stops the step
    // that logs, which would leave a token held and never delivered, or a refresh never settled.
    const line =
      (level: keyof Logger) =>
      (message: string): void => {
        try {
          // An async logger (a line shipped to a server) rejects instead of throwing.
          (logger[level](message) as unknown as Promise<void> | undefined)?.then?.(
            undefined,
            () => {},
          );
        } catch {}
      };
    this.logger = {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
    };
    this.#tokens = new Broadcast(mailbox);
    this.#events = new Broadcast(mailbox);
    this.#states = new Broadcast(mailbox);
    this.token$ = this.#tokens.observe(() => this.getState().token);
    this.state$ = this.#states.observe(() => this.getState());
    this.events$ = this.#events.observe();
    queueMicrotask(() => {
      const queued = this.#queue ?? [];
      this.#queue = null;
      for (const [event, live] of queued) this.#events.next(event, live);
    });
  }

  /** The states to come, without replay (for `getToken`'s wait). */
  protected nextStates(): Observable<AccessManagerState> {
    return this.#states.observe();
  }

  /**
   * `initial`: the constructor's token error (see `ListenerFacade.supersede`). `live`: while the
   * event still stands (see `deliverAdoption`).
   */
  protected emit(event: AccessManagerEvent, initial?: boolean, live = this.era()): void {
    if (this.closed) return;
    // The listeners' first: an events$ subscriber that closes the manager then clears their
    // timer too (armed after the stream's delivery, it outlived close()).
    this.hear(event, initial, live);
    if (this.#queue) this.#queue.push([event, live]);
    else this.#events.next(event, live);
  }

  protected report(error: AccessManagerError, initial?: boolean): void {
    this.lastError = error;
    this.logger.warn(`${error.name}: ${error.message}`);
    this.emit({ type: 'error', error }, initial);
  }

  /**
   * One delivery for the three streams, queued behind any under way, so that every stream hears
   * adoptions in their order even when a subscriber adopts another token meanwhile. The snapshot
   * first, so that a subscriber of token$ that reads getState() sees this token. `live`: while
   * the user it is for has not signed out (`reset()` in an earlier subscriber's callback): after
   * that, no later subscriber is handed it.
   */
  protected deliverAdoption(token: AccessToken, live = this.era()): void {
    this.#mailbox.post(() => {
      if (!live()) return;
      this.publish(live);
      this.#tokens.next(token, live);
      this.emit({ type: 'tokenUpdated', token }, false, live);
    });
  }

  /** Emits the state on `state$` when it changed since last published (`live`: see `emit`). */
  protected publish(live?: () => boolean): void {
    const state = this.getState();
    if (state === this.#published) return;
    this.#published = state;
    this.#states.next(state, live ?? this.era());
  }

  /** While no `reset()` came since now: what is raised now is news for the subscribers. */
  protected era(): () => boolean {
    const resets = this.resets;
    return () => this.resets === resets;
  }

  /**
   * The manager closed: drops the listeners and what waits for them, and completes every stream
   * at once, `state$` after its closed state; nothing queued before is delivered after this.
   */
  protected completeStreams(): void {
    this.closeListeners();
    this.#queue = null;
    // state$ first: a subscriber made from a complete() below gets the closed state once.
    const state = this.getState();
    const last = state === this.#published ? undefined : state;
    this.#published = state;
    this.#states.complete(last);
    this.#tokens.complete();
    this.#events.complete();
  }
}
