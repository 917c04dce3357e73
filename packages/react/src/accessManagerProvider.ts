import type { AccessManager } from '@access-manager/core';
import { createContext, createElement, type ReactNode, useContext } from 'react';
import { AccessManagerReactError } from './errors.js';

const AccessManagerContext = createContext<AccessManager | null>(null);

export interface AccessManagerProviderProps {
  /** Created outside React (module scope, or the app's store), so that non-React code shares it. */
  manager: AccessManager;
  children?: ReactNode;
}

/**
 * Hands `manager` to the hooks below it. Only passes it down: it never creates, resets or closes
 * a manager, so interceptors, workers of the app and other React roots can share the same one.
 *
 * @example
 * ```tsx
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * createRoot(el).render(
 *   <AccessManagerProvider manager={manager}>
 *     <App />
 *   </AccessManagerProvider>,
 * );
 * ```
 */
export function AccessManagerProvider({ manager, children }: AccessManagerProviderProps) {
  return createElement(AccessManagerContext.Provider, { value: manager }, children);
}

/**
 * The manager of the nearest `<AccessManagerProvider>`. Throws `AccessManagerReactError`
 * (`no_provider`) outside one.
 *
 * @example
 * ```tsx
 * const manager = useAccessManager();
 * return <button onClick={() => manager.refresh()}>Refresh now</button>;
 * ```
 */
export function useAccessManager(): AccessManager {
  const manager = useContext(AccessManagerContext);
  if (!manager) {
    throw new AccessManagerReactError('no_provider', 'No AccessManagerProvider');
  }
  return manager;
}
