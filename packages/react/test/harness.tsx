// Shared pieces of the hook tests: a manager whose fetches the test controls, an error boundary
// that records what reached it, and a render counter.
import { AccessManager } from '@access-manager/core';
import { makeToken } from '@access-manager/testing';
import { Component, type ReactNode } from 'react';

/** A fetch the test answers: `next.resolve(jwt)` / `next.reject(error)`. */
export interface PendingFetch {
  resolve(jwt: string): void;
  reject(error: unknown): void;
}

/** A manager whose `fetchToken` calls wait for the test; `fetches` lists them as they come. */
export function controlledManager(options: { token?: string; identity?: 'fixed' | 'any' } = {}): {
  manager: AccessManager;
  fetches: PendingFetch[];
} {
  const fetches: PendingFetch[] = [];
  const manager = new AccessManager({
    ...options,
    wakeSignals: false,
    retry: { minDelayMs: 5, maxDelayMs: 5 },
    fetchToken: () =>
      new Promise<string>((resolve, reject) => {
        fetches.push({ resolve, reject });
      }),
  });
  return { manager, fetches };
}

export const chatToken = (identity = 'alice', ttl = 3600): string =>
  makeToken({
    identity,
    ttl,
    grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
  });

/** Records the error that reached it, and shows its code. */
export class ErrorBoundary extends Component<
  { children: ReactNode; onError: (error: unknown) => void },
  { error: unknown }
> {
  override state = { error: undefined as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override componentDidCatch(error: unknown) {
    this.props.onError(error);
  }
  override render() {
    const { error } = this.state;
    if (error === undefined) return this.props.children;
    return <p data-testid="boundary">{(error as { code?: string }).code ?? 'no code'}</p>;
  }
}

/** Counts the renders of the components that call `count()` in their body. */
export function renderCounter() {
  let renders = 0;
  return {
    count: () => {
      renders++;
    },
    get renders() {
      return renders;
    },
  };
}
