// Test support, not published: a manager's events as short strings.
import type { AccessManager } from '../accessManager.js';

/** Each event of `events$` from now on, as `type`, `type:source` (deadline events) or `error:code`. */
export function eventLog(manager: AccessManager): string[] {
  const events: string[] = [];
  manager.events$.subscribe((e) => {
    if (e.type === 'error') events.push(`error:${e.error.code}`);
    else events.push('source' in e ? `${e.type}:${e.source}` : e.type);
  });
  return events;
}
