// Test support, not published: whether a promise has settled yet.

/** Whether `promise` has settled, either way: `done` turns true a microtask after it does. */
export function settles(promise: Promise<unknown>): { done: boolean } {
  const seen = { done: false };
  const done = () => {
    seen.done = true;
  };
  promise.then(done, done);
  return seen;
}
