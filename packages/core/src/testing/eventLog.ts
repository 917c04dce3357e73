// Test support, not published: a manager's events as short strings, and its states.
import type { AccessManager } from '../accessManager.js';
import type { AccessManagerState } from '../types.js';

/** Each event of `events$` from now on, as `type`, `type:source` (deadline events) or `error:code`. */
export function eventLog(manager: AccessManager): string[] {
  const events: string[] = [];
  manager.events$.subscribe((e) => {
    if (e.type === 'error') events.push(`error:${e.error.code}`);
    else events.push('source' in e ? `${e.type}:${e.source}` : e.type);
  });
  return events;
}

/** Every state `state$` publishes from now on (the current one first), the last one last. */
export function stateLog(manager: AccessManager): AccessManagerState[] {
  const states: AccessManagerState[] = [];
  manager.state$.subscribe((state) => states.push(state));
  return states;
}
