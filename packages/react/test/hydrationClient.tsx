// The browser entry of the hydration test.
import { AccessManager, fetchTokenFrom } from '@access-manager/core';
import { hydrateRoot } from 'react-dom/client';
import { App } from './hydrationApp.js';

declare global {
  interface Window {
    recoverableErrors: string[];
  }
}
window.recoverableErrors = [];
const manager = new AccessManager({ fetchToken: fetchTokenFrom('/token') });
hydrateRoot(document.getElementById('root') as HTMLElement, <App manager={manager} />, {
  onRecoverableError: (error) => {
    window.recoverableErrors.push(error instanceof Error ? error.message : String(error));
  },
});
document.body.dataset['hydrated'] = 'true';
