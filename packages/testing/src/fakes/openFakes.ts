/** Something {@link closeAllFakes} can close: both fakes are. */
export interface ClosableFake {
  close(): Promise<void>;
}

const open = new Set<ClosableFake>();

/** Called by the fakes when they start and when they close. */
export function trackFake(fake: ClosableFake, isOpen: boolean): void {
  if (isOpen) open.add(fake);
  else open.delete(fake);
}

/**
 * Closes every fake still open (and so every client made against one), for an `afterEach`
 * that must not depend on each test closing what it started.
 *
 * @example
 * ```ts
 * afterEach(closeAllFakes);
 * ```
 */
export async function closeAllFakes(): Promise<void> {
  await Promise.all([...open].map((fake) => fake.close()));
}
