/**
 * A clock for the AccessManager and the adapters (their `clock` option) whose time the bench can
 * move forward, so that a token's hour passes in a moment while the SDK clients, the fakes and
 * the sockets run in real time. Between jumps it runs at real speed. `jumpTo` fires, in order,
 * every timer that falls due; the rest are re-armed on the real clock.
 */
export class VirtualClock {
  #offset = 0;
  #timers = new Map();
  #lastId = 0;

  now = () => Date.now() + this.#offset;

  setTimeout = (callback, delayMs) => {
    const id = ++this.#lastId;
    const timer = { due: this.now() + Math.max(0, delayMs), callback };
    this.#timers.set(id, timer);
    this.#arm(id, timer);
    return id;
  };

  clearTimeout = (id) => {
    const timer = this.#timers.get(id);
    if (!timer) return;
    clearTimeout(timer.handle);
    this.#timers.delete(id);
  };

  /** When the earliest pending timer falls due, or `Infinity`. */
  nextDue() {
    let next = Number.POSITIVE_INFINITY;
    for (const timer of this.#timers.values()) next = Math.min(next, timer.due);
    return next;
  }

  /** Moves time forward to `time` (never back), firing the timers that fall due, in order. */
  jumpTo(time) {
    if (time > this.now()) this.#offset += time - this.now();
    for (;;) {
      let earliest;
      for (const entry of this.#timers) {
        if (entry[1].due <= this.now() && (!earliest || entry[1].due < earliest[1].due)) {
          earliest = entry;
        }
      }
      if (!earliest) break;
      const [id, timer] = earliest;
      clearTimeout(timer.handle);
      this.#timers.delete(id);
      timer.callback();
    }
    for (const [id, timer] of this.#timers) {
      clearTimeout(timer.handle);
      this.#arm(id, timer);
    }
  }

  #arm(id, timer) {
    timer.handle = setTimeout(
      () => {
        this.#timers.delete(id);
        timer.callback();
      },
      Math.max(0, timer.due - this.now()),
    );
    timer.handle.unref?.();
  }
}
