import { AccessToken, type ClientLinkState } from '@access-manager/core';
import type { Observable } from 'rxjs';

/** What a row shows of its adapter: an adapter link's state, or the Video connection's. */
export type RowState = Pick<ClientLinkState, 'status' | 'token' | 'pushLatencyMs' | 'lastPushedAt'>;

/** One row of the page's SDK table. */
export interface SdkRow {
  name: string;
  label: string;
  state$: Observable<RowState>;
  getState(): RowState;
  online(): boolean;
  connection(): string;
  heldToken(): AccessToken | undefined;
  action?: { label: string; run(): string };
  lastPushedAt?: Date;
  wasOnline: boolean;
  offlineCount: number;
  /** Times the client went offline for holding an expired token, counted by the stand-in. */
  expiries?(): number;
}

/** The token a JWT stands for, or undefined for none or a bad one. */
export const decode = (jwt: string | null | undefined) => {
  try {
    return jwt ? new AccessToken(jwt) : undefined;
  } catch {
    return undefined;
  }
};

/** A row that has not been seen offline yet. */
export const row = (fields: Omit<SdkRow, 'wasOnline' | 'offlineCount'>): SdkRow => ({
  ...fields,
  wasOnline: true,
  offlineCount: 0,
});
