// Test support, not published: a stand-in for the browser's BroadcastChannel, in one thread, whose
// deliveries run on the clock the test controls (fake timers) and can be held back, for all
// (a busy channel) or for one end (a frozen page).

/** An end as the hub sees it: it takes a message in, or keeps it while paused. */
type End = InMemoryChannel & { receive(data: unknown): void };

interface Delivery {
  to: End;
  data: unknown;
}

/** One end of a {@link InMemoryBroadcastHub} channel: the members of `BroadcastChannel` tabSharing uses. */
export interface InMemoryChannel {
  readonly name: string;
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(data: unknown): void;
  close(): void;
  readonly closed: boolean;
  /** What this end posted, in order (a structured clone of each message). */
  readonly posted: unknown[];
  /**
   * A frozen page runs no task: while paused, what comes for this end waits in order, and is
   * delivered on `resume()`.
   */
  pause(): void;
  resume(): void;
  /** The messages waiting for this end while it is paused. */
  readonly waiting: readonly unknown[];
}

/**
 * A stand-in for the browser's `BroadcastChannel` (NOT the real one): every channel made through
 * `BroadcastChannel` (install it with `vi.stubGlobal('BroadcastChannel', hub.BroadcastChannel)`)
 * posts a structured clone of each message to every other open channel of the same name, never
 * to itself; each delivery is a task of its own on the global `setTimeout` (so fake timers run
 * them, in posting order, at the moment of posting), and a channel closed before its delivery
 * gets nothing. Posting on a closed channel throws `InvalidStateError`, as in a browser.
 * `hold()` keeps every message from now on in the queue until `release()` (a receiving page busy
 * or frozen); `created` lists every channel made, in order.
 */
export class InMemoryBroadcastHub {
  readonly created: InMemoryChannel[] = [];
  readonly #ends: End[] = [];
  readonly #queue: Delivery[] = [];
  #held = false;
  #scheduled = false;

  get held(): boolean {
    return this.#held;
  }

  /** Messages posted and not yet delivered. */
  get pending(): number {
    return this.#queue.length;
  }

  hold(): void {
    this.#held = true;
  }

  /** Lets the held messages through: delivered at once, on this call, in order. */
  release(): void {
    this.#held = false;
    this.#drain();
  }

  readonly BroadcastChannel = (() => {
    const hub = this;
    return class implements InMemoryChannel {
      readonly name: string;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      closed = false;
      readonly posted: unknown[] = [];
      constructor(name: string) {
        this.name = String(name);
        hub.created.push(this);
        hub.#ends.push(this);
      }
      postMessage(data: unknown): void {
        if (this.closed) throw new DOMException('The channel is closed.', 'InvalidStateError');
        const copy = structuredClone(data);
        this.posted.push(copy);
        for (const to of hub.#ends) {
          if (to !== this && !to.closed && to.name === this.name) {
            hub.#queue.push({ to, data: structuredClone(copy) });
          }
        }
        hub.#schedule();
      }
      close(): void {
        this.closed = true;
      }
      #paused: unknown[] | null = null;
      get waiting(): readonly unknown[] {
        return this.#paused ?? [];
      }
      pause(): void {
        this.#paused ??= [];
      }
      resume(): void {
        const waiting = this.#paused ?? [];
        this.#paused = null;
        for (const data of waiting) this.receive(data);
      }
      receive(data: unknown): void {
        if (this.closed) return;
        if (this.#paused) this.#paused.push(data);
        else this.onmessage?.({ data });
      }
    };
  })();

  #schedule(): void {
    if (this.#held || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      // One task for the messages queued so far; what they cause to be posted comes next task.
      this.#drain(this.#queue.length);
    }, 0);
  }

  #drain(count = Number.POSITIVE_INFINITY): void {
    for (let n = 0; n < count && !this.#held; n++) {
      const delivery = this.#queue.shift();
      if (!delivery) break;
      delivery.to.receive(delivery.data);
    }
    this.#schedule();
  }
}
