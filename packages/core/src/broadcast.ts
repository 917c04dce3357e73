import { Observable, type Subscriber } from 'rxjs';

/**
 * Deliveries of one manager, in order: a value sent while another is being delivered waits until
 * every subscriber has that one (TanStack Query's `notifyManager.batch`, XState's mailbox), so a
 * subscriber that adopts a token during a delivery never leaves later subscribers on an older one.
 */
export class Mailbox {
  readonly #queue: Array<() => void> = [];
  #busy = false;

  post(delivery: () => void): void {
    this.#queue.push(delivery);
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) next();
    } finally {
      this.#busy = false;
    }
  }
}

/**
 * A hot stream: the little of an rxjs `Subject` that the manager needs, built on rxjs's
 * `Observable` alone (a `Subject` would add 0.7 KB gzipped), delivering through a {@link Mailbox}.
 * Each subscriber is an rxjs `Subscriber`, so an error thrown by one observer is reported
 * asynchronously and never reaches the others.
 */
export class Broadcast<T> {
  /** Made at the first subscriber (most managers' streams have none); undefined again once complete. */
  #subscribers: Set<Subscriber<T>> | undefined;
  #done = false;
  /** The subscribers as an array, kept until one comes or goes: a delivery is one loop over it. */
  #snapshot: Subscriber<T>[] | undefined;
  readonly #mailbox: Mailbox;

  constructor(mailbox: Mailbox = new Mailbox()) {
    this.#mailbox = mailbox;
  }

  /** An Observable of the values to come, preceded by `replay()` when it gives one. */
  observe(replay?: () => T | null): Observable<T> {
    return new Observable<T>((subscriber) => {
      const value = replay?.();
      if (value != null) subscriber.next(value);
      if (this.#done) return subscriber.complete();
      this.#subscribers ??= new Set();
      const subscribers = this.#subscribers;
      subscribers.add(subscriber);
      this.#snapshot = undefined;
      return () => {
        subscribers.delete(subscriber);
        this.#snapshot = undefined;
      };
    });
  }

  /**
   * Delivers `value` to the subscribers there when it is sent, not when its turn comes: one that
   * subscribes while it waits in the mailbox had the current value from `replay()` already (it
   * heard a token twice). One that unsubscribes meanwhile hears nothing (a stopped rxjs
   * `Subscriber` ignores `next`), and neither does any once `live()` turns false (the user it was
   * for signed out in an earlier subscriber's callback).
   */
  next(value: T, live?: () => boolean): void {
    const subscribers = this.#subscribers;
    if (subscribers?.size) {
      this.#snapshot ??= [...subscribers];
      const snapshot = this.#snapshot;
      this.#mailbox.post(() => {
        for (const subscriber of snapshot) {
          if (this.#done || (live && !live())) return;
          subscriber.next(value);
        }
      });
    }
  }

  /**
   * Ends the stream at once, even from inside a delivery: nothing sent before and still waiting
   * in the mailbox, nor the rest of the delivery under way, reaches a subscriber any more. Each
   * subscriber gets `complete` at once; or, given `last` (the closed or detached state), `last`
   * and then `complete` in the mailbox's turn, never inside another subscriber's callback. A
   * later subscriber gets the replay, if `observe` was given one that still gives a value, and
   * `complete` at once.
   */
  complete(last?: T): void {
    this.#done = true;
    const subscribers = this.#subscribers;
    this.#subscribers = this.#snapshot = undefined;
    const end = () => {
      for (const subscriber of subscribers ?? []) {
        if (last !== undefined) subscriber.next(last);
        subscriber.complete();
      }
    };
    // Without a last value, at once: what a completion sets off (a link that detaches when the
    // manager's token$ completes) is done when close() returns.
    if (last === undefined) end();
    else this.#mailbox.post(end);
  }
}
