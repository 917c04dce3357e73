import type { AccessToken } from './accessToken.js';
import { MissingGrantError } from './errors.js';

/** The grants that attached adapters require, counted, so that each release removes one claim. */
export class GrantRegistry {
  readonly #counts = new Map<string, number>();

  /** Grants required now. */
  keys(): Iterable<string> {
    return this.#counts.keys();
  }

  /**
   * Adds a requirement; throws {@link MissingGrantError} when the token held lacks the grant.
   * Returns the idempotent function that releases it.
   */
  require(grant: string, held: AccessToken | null): () => void {
    if (held && !held.hasGrant(grant)) {
      throw new MissingGrantError(`Token ${held.id} has no "${grant}" grant.`);
    }
    const counts = this.#counts;
    counts.set(grant, (counts.get(grant) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (counts.get(grant) ?? 1) - 1;
      if (count) counts.set(grant, count);
      else counts.delete(grant);
    };
  }
}
