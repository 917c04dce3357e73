import type { AccessManagerEvent, AccessToken } from '@access-manager/core';
import { clockTime, duration } from './format.js';

/** The page's event timeline: newest first, at most 200 lines. */
export function note(kind: string, text: string): void {
  const item = document.createElement('li');
  item.className = kind;
  const time = document.createElement('time');
  time.textContent = clockTime(Date.now());
  item.append(time, text);
  const list = document.getElementById('timeline');
  if (!list) return;
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild?.remove();
}

/** A token named as the page names it: its jti and expiry, never the JWT. */
export const describeToken = (token: AccessToken): string =>
  `${token.id ?? 'no jti'} (expires ${clockTime(token.expiresAt.getTime())})`;

const NOT_ADOPTED: Record<string, string> = {
  same_token: 'it is the token held',
  expires_sooner: 'it expires sooner than the token held (is the token server clock behind?)',
};

/** One line for a manager event; `from` says where an adopted token came from. */
export function describeEvent(
  event: AccessManagerEvent,
  from: (token: AccessToken) => string,
): string {
  switch (event.type) {
    case 'error':
      return `error ${event.error.code}: ${event.error.message}`;
    case 'tokenUpdated':
      return `tokenUpdated: ${describeToken(event.token)}, ${from(event.token)}`;
    case 'tokenNotAdopted':
      return `tokenNotAdopted: fetched ${describeToken(event.token)}, not adopted: ${NOT_ADOPTED[event.reason] ?? event.reason}`;
    case 'tokenWillExpire':
      return `tokenWillExpire (${event.source}): ${describeToken(event.token)} expires in ${duration(event.expiresInMs)}`;
    case 'tokenExpired':
      return `tokenExpired (${event.source}): ${describeToken(event.token)}`;
  }
}

/** What the manager card says of the last token fetched: adopted, or why not. */
export function describeOutcome(
  event: AccessManagerEvent,
  from: (token: AccessToken) => string,
): string | undefined {
  if (event.type === 'tokenUpdated')
    return `${clockTime(Date.now())}: adopted ${event.token.id}, ${from(event.token)}`;
  if (event.type === 'tokenNotAdopted') {
    return `${clockTime(Date.now())}: fetched ${event.token.id}, not adopted: ${NOT_ADOPTED[event.reason] ?? event.reason}`;
  }
  return undefined;
}
