import type { Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import { AccessManager } from './accessManager.js';
import type { AccessToken } from './accessToken.js';
import type { AccessManagerError } from './errors.js';
import type { AccessManagerEvent, AccessManagerState, FetchToken } from './types.js';

describe('AccessManager types', () => {
  it('types listeners by event name', () => {
    const manager = new AccessManager('jwt');
    manager.on('tokenUpdated', (m) => expectTypeOf(m).toEqualTypeOf<AccessManager>());
    manager.on('error', (e) => expectTypeOf(e).toEqualTypeOf<AccessManagerError>());
    // @ts-expect-error an error listener does not get the manager
    manager.on('error', (m: AccessManager) => m);
    // @ts-expect-error unknown event
    manager.on('tokenRefreshed', () => {});
    expectTypeOf(manager.once('tokenExpired', () => {})).toEqualTypeOf<AccessManager>();
  });

  it('exposes rxjs Observables', () => {
    const manager = new AccessManager();
    expectTypeOf(manager.token$).toEqualTypeOf<Observable<AccessToken>>();
    expectTypeOf(manager.state$).toEqualTypeOf<Observable<AccessManagerState>>();
    expectTypeOf(manager.events$).toEqualTypeOf<Observable<AccessManagerEvent>>();
    expectTypeOf(manager.refresh()).resolves.toEqualTypeOf<AccessToken>();
    expectTypeOf(manager.getToken()).resolves.toBeString();
  });

  it('accepts a fetchToken of the documented shape', () => {
    const fetchToken: FetchToken = async ({ signal, reason, attempt }) => {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(reason).toEqualTypeOf<'initial' | 'scheduled' | 'expired' | 'sdk' | 'manual'>();
      expectTypeOf(attempt).toBeNumber();
      return 'jwt';
    };
    new AccessManager({ fetchToken });
    // @ts-expect-error fetchToken must resolve with a string
    new AccessManager({ fetchToken: async () => 42 });
  });
});
