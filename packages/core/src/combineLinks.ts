import { Observable, type Subscription } from 'rxjs';
import type { ClientLink, ClientLinkState, ClientLinkStatus } from './linkTypes.js';

/** One status for a badge: `synced` when every client holds the manager's token. */
export interface CombinedLinkState {
  /** `synced` when every link is; else the worst status of them. */
  status: ClientLinkStatus;
  /** The links in the worst status (none when every link is synced), in the order given. */
  worst: ReadonlyArray<ClientLink<unknown>>;
  /** Each link's state, in the order given. */
  states: readonly ClientLinkState[];
}

/** Worst last. A detached link is worse than one still trying: it will not recover by itself. */
const SEVERITY: readonly ClientLinkStatus[] = [
  'synced',
  'creating',
  'updating',
  'retrying',
  'detached',
  'failed',
];

/**
 * Combines links into one status for a badge: `synced` when every client holds the manager's
 * token, else the worst status and which links are in it. Emits the combination at once, then on
 * each change of any link; completes when every link has.
 *
 * @example
 * ```ts
 * combineLinks([conversationsLink, voiceLink]).subscribe(({ status, worst }) => {
 *   badge.textContent = status === 'synced' ? 'online' : `${status} (${worst.length})`;
 * });
 * ```
 */
export function combineLinks(
  links: ReadonlyArray<ClientLink<unknown>>,
): Observable<CombinedLinkState> {
  return new Observable<CombinedLinkState>((subscriber) => {
    const states = links.map((link) => link.getState());
    let open = links.length;
    let ready = false;
    let last: string | undefined;
    // (Links detached already complete while subscribed to: the combination is given first.)
    const done = () => {
      if (ready && !open) subscriber.complete();
    };
    const emit = () => {
      if (!ready) return;
      const status = SEVERITY[
        Math.max(0, ...states.map((s) => SEVERITY.indexOf(s.status)))
      ] as ClientLinkStatus;
      const key = states.map((s) => s.status).join();
      // Statuses unchanged: a change of token or latency alone is not news for a badge.
      if (key === last) return;
      last = key;
      subscriber.next({
        status,
        worst: status === 'synced' ? [] : links.filter((_, i) => states[i]?.status === status),
        states: [...states],
      });
    };
    const subscriptions: Subscription[] = links.map((link, i) =>
      link.state$.subscribe({
        next: (state) => {
          states[i] = state;
          emit();
        },
        complete: () => {
          open--;
          done();
        },
      }),
    );
    ready = true;
    emit();
    done();
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  });
}
