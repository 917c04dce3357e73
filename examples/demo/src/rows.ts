import { AccessToken, type ClientLinkState } from '@access-manager/core';
import type { Observable } from 'rxjs';

/** What a row shows of its adapter: an adapter link's state, or the Video connection's. */
export type RowState = Pick<ClientLinkState, 'status' | 'token' | 'pushLatencyMs' | 'lastPushedAt'>;

/** A button of a row: a signal the fake Twilio endpoint sends that client, or a local action. */
export interface RowControl {
  label: string;
  title: string;
  run(): Promise<string>;
}

/** One row of the page's SDK table: one SDK client and its adapter. */
export interface SdkRow {
  name: string;
  label: string;
  /** What runs: `@twilio/conversations 3.0.1, real, against a local fake Twilio endpoint`, or a stand-in. */
  what: string;
  real: boolean;
  state$: Observable<RowState>;
  getState(): RowState;
  online(): boolean;
  connection(): string;
  /** The token the client holds. */
  heldToken(): AccessToken | undefined;
  /** Tokens handed to the client: one for each client created (or room connected), one per push. */
  handedOut(): HandOuts;
  controls: RowControl[];
}

/** Tokens a link handed its client. */
export interface HandOuts {
  /** Clients created with a token (factory form), or rooms connected with one (Video). */
  created: number;
  /** Tokens pushed into a client with `updateToken`. */
  pushed: number;
}

/**
 * A token's name on the page: `jti/exp`. A jti alone is not enough: Twilio's is the API key SID
 * and the second of issue, so two tokens minted in one second (say, of two lifetimes) share it.
 */
export const tokenName = (token: AccessToken | null | undefined): string =>
  token ? `${token.id}/${token.expiresAt.getTime() / 1000}` : '';

/** The token a JWT stands for, or undefined for none or a bad one. */
export const decode = (jwt: string | null | undefined): AccessToken | undefined => {
  try {
    return jwt ? new AccessToken(jwt) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Counts the tokens a link hands its client: one for each client created (factory form: created
 * with a token) and one for each push (`lastPushedAt` changes).
 */
export function countHandOuts(link: {
  client$: Observable<unknown>;
  state$: Observable<RowState>;
}): () => HandOuts {
  const counts: HandOuts = { created: 0, pushed: 0 };
  let lastPushedAt: Date | undefined;
  link.client$.subscribe(() => counts.created++);
  link.state$.subscribe((state) => {
    if (state.lastPushedAt && state.lastPushedAt !== lastPushedAt) counts.pushed++;
    lastPushedAt = state.lastPushedAt;
  });
  return () => ({ ...counts });
}
