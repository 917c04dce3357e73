import { Observable, type Subscriber } from 'rxjs';

/**
 * A hot stream: the little of an rxjs `Subject` that the manager needs, built on rxjs's
 * `Observable` alone (a `Subject` would add 0.7 KB gzipped). Delivering a value to N subscribers
 * is one loop over a cached array, as in `Subject.next`; each subscriber is an rxjs `Subscriber`,
 * so an error thrown by one observer is reported asynchronously and never reaches the others.
 */
export class Broadcast<T> {
  #subscribers: Set<Subscriber<T>> | undefined;
  #snapshot: Subscriber<T>[] | undefined;
  #done = false;

  /** An Observable of the values to come, preceded by `replay()` when it gives one. */
  observe(replay?: () => T | null): Observable<T> {
    return new Observable<T>((subscriber) => {
      const value = replay?.();
      if (value != null) subscriber.next(value);
      if (this.#done) return subscriber.complete();
      this.#subscribers ??= new Set();
      this.#subscribers.add(subscriber);
      this.#snapshot = undefined;
      return () => {
        this.#subscribers?.delete(subscriber);
        this.#snapshot = undefined;
      };
    });
  }

  next(value: T): void {
    if (!this.#subscribers) return;
    this.#snapshot ??= [...this.#subscribers];
    for (const subscriber of this.#snapshot) subscriber.next(value);
  }

  complete(): void {
    const subscribers = this.#subscribers;
    this.#done = true;
    this.#subscribers = this.#snapshot = undefined;
    if (subscribers) for (const subscriber of subscribers) subscriber.complete();
  }
}
