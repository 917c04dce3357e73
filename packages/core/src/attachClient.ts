import type { Subscription } from 'rxjs';
import type { AccessManager } from './accessManager.js';
import type { AccessToken } from './accessToken.js';
import { Broadcast } from './broadcast.js';
import { clientGeneration, parseToken, retryDelay } from './clientGeneration.js';
import { ClientStartError } from './clientStartError.js';
import { systemClock } from './clock.js';
import { AccessManagerError, ClosedError, IdentityMismatchError } from './errors.js';
import type { GetTokenOptions } from './getToken.js';
import type {
  AttachOptions,
  ClientFactory,
  ClientGeneration,
  ClientLink,
  ClientLinkState,
  ClientSpec,
} from './linkTypes.js';
import { delay } from './options.js';

export type { ClientSignal } from './clientSignal.js';
export type {
  AttachOptions,
  ClientFactory,
  ClientLink,
  ClientLinkState,
  ClientLinkStatus,
  ClientSpec,
} from './linkTypes.js';

/**
 * Keeps one SDK client supplied with the manager's token. Given a factory, the link creates the
 * client itself with a token valid long enough (so it knows what the client holds from birth),
 * readies it (`spec.start`), tries again after a backoff when making or readying it fails or
 * takes longer than `startTimeoutMs`, makes a new one when the manager's identity changes, and
 * after a sign-out (`reset()`) waits for the next user's token; given a client, it keeps that
 * one. Each client is one {@link ClientGeneration}: it pushes every adopted token the client does
 * not hold yet (never two pushes at once), retries a failed push with backoff while the token is
 * valid, and turns the client's expiry signals into one shared refresh; once retired, nothing of
 * it acts. Throws `missing_grant` when the manager's token lacks `spec.grant`; attaching is atomic.
 *
 * @example
 * ```ts
 * const link = attachClient(manager, (jwt) => new SyncClient(jwt), syncSpec);
 * link.client$.subscribe((client) => render(client));
 * // later
 * link.detach(); // and the client is shut down
 * ```
 */
export function attachClient<Client>(
  manager: AccessManager,
  clientOrFactory: Client | ClientFactory<Client>,
  spec: ClientSpec<Client>,
  options: AttachOptions = {},
): ClientLink<Client> {
  if (manager.getState().status === 'closed') throw new ClosedError();
  // As the manager's: a NaN or negative timing (an unset Number(process.env.X)) would retry a
  // failing factory or push every millisecond, or time every push out at once.
  const { retry } = options;
  delay(retry?.minDelayMs, 'retry.minDelayMs', false, 1);
  delay(retry?.maxDelayMs, 'retry.maxDelayMs', false, 1);
  delay(options.pushTimeoutMs, 'pushTimeoutMs', true, 1);
  delay(options.startTimeoutMs, 'startTimeoutMs', true, 1);
  const factory =
    typeof clientOrFactory === 'function' ? (clientOrFactory as ClientFactory<Client>) : undefined;
  const clock = options.clock ?? systemClock;
  const states = new Broadcast<ClientLinkState>();
  const clients = new Broadcast<Client>();
  /** The app's client (client form), or the link's current one (factory form). */
  let client = factory ? undefined : (clientOrFactory as Client);
  /** Client form: whose client it is, from the token it was attached with or first given. */
  let clientIdentity = factory
    ? undefined
    : (parseToken(options.token) ?? manager.getState().token)?.identity;
  let state: ClientLinkState = { status: factory ? 'creating' : 'updating' };
  /** The one current generation: the client being made, or the client the link keeps. */
  let generation: ClientGeneration<Client> | undefined;
  /** Client form: the generation before, whose push may still be in flight on the same client. */
  let before: ClientGeneration<Client> | undefined;
  /** The manager's `resets` as last seen: another count is a sign-out. */
  let seenResets = manager.getState().resets;
  /** Creations failed in a row, for the backoff before the next. */
  let failures = 0;
  let retryTimer: unknown;
  let detached = false;

  /** Publishes a change; a state equal to the one before is not published again. */
  const set = (next: Partial<ClientLinkState>) => {
    if (
      detached ||
      (Object.keys(next) as Array<keyof ClientLinkState>).every((k) => next[k] === state[k])
    ) {
      return;
    }
    state = { ...state, ...next };
    states.next(state);
  };
  /** Retires the current generation, if `gen` still is it. */
  const retire = (gen = generation): boolean => {
    if (!gen || gen !== generation) return false;
    if (!factory) {
      clientIdentity = gen.identity ?? clientIdentity;
      before = gen;
    }
    gen.retire();
    generation = undefined;
    if (factory) client = undefined;
    return true;
  };

  /** Client form: a generation for the app's client (again, after a sign-out of the same user). */
  const keep = (jwt?: string) => {
    const gen = clientGeneration(manager, spec, options, clock, set, false);
    gen.identity = clientIdentity;
    gen.bind(client as Client, jwt);
    gen.begin();
    gen.follow(before?.inFlight);
    generation = gen;
    return gen;
  };

  /** A creation failed: that client is ended, and a new one is made after a backoff. */
  const failed = (gen: ClientGeneration<Client>, error: unknown, made?: Client) => {
    if (made !== undefined && !gen.client) gen.shutdown(made);
    if (!retire(gen)) return;
    const code = (error as { code?: unknown } | undefined)?.code;
    retryTimer = clock.setTimeout(create, retryDelay(options, ++failures));
    // Last: a subscriber may detach.
    set({
      status: 'retrying',
      token: undefined,
      lastError:
        error instanceof AccessManagerError
          ? error
          : new ClientStartError(`${spec.name} could not be started.`, {
              cause: error,
              twilioCode: typeof code === 'number' ? code : undefined,
            }),
    });
  };

  /** Factory form: a client for the manager's user now, with a token valid long enough. */
  async function create(): Promise<void> {
    // Asks the manager for a token only for the user it has: never after a sign-out, until a token comes.
    const { token: held, resets } = manager.getState();
    if (detached || generation || !factory || (!held && resets)) return;
    clock.clearTimeout(retryTimer);
    const gen = clientGeneration(manager, spec, options, clock, set, true);
    generation = gen;
    // (getToken takes an undefined minValidityMs as an absent one: its default.)
    const token = manager.getToken({
      minValidityMs: options.minValidityMs,
      signal: gen.abort.signal,
    } as GetTokenOptions);
    // Asked first, then the news: a subscriber may sign out at once, and nothing is asked after.
    set({ status: 'creating', token: undefined });
    let jwt: string;
    try {
      jwt = await token;
    } catch (error) {
      if (gen.retired) return; // detach, sign-out or user switch: the link moved on
      if ((error as AccessManagerError)?.code === 'closed') return detach();
      retire(gen);
      // The token did not come (a fatal fetch error): tried again with the next token.
      return set({ status: 'failed', lastError: error as Error });
    }
    if (gen.stale()) return restart(gen);
    gen.identity = parseToken(jwt)?.identity;
    // A factory or a start that never settles (a network call that hangs) fails the generation
    // after startTimeoutMs; what either answers later finds it retired, below.
    gen.deadline((error) => failed(gen, error));
    let made: Client | undefined;
    try {
      made = await factory(jwt);
      // Timed out, or the manager moved on meanwhile: that client is ended, never listened to
      // nor given a token.
      if (gen.stale()) {
        gen.shutdown(made);
        return restart(gen);
      }
      gen.bind(made, jwt); // from here, its listeners are in place (Voice: `error`)
      await spec.start?.(made);
    } catch (error) {
      return failed(gen, error, made);
    }
    if (gen.stale()) return restart(gen);
    gen.begin();
    failures = 0;
    client = made;
    set({ status: 'synced', token: gen.held, lastError: undefined });
    if (generation === gen) clients.next(made);
    // A subscriber may have detached the link, or the manager moved on, during those deliveries.
    if (generation === gen) gen.offer(manager.getState().token);
  }

  /** The generation outlived its user: retired, and a new one made if the manager has a token. */
  const restart = (gen: ClientGeneration<Client>) => {
    if (retire(gen)) create();
  };

  const onToken = (token: AccessToken) => {
    const managerState = manager.getState();
    if (managerState.resets !== seenResets) return; // a sign-out is on its way through state$
    // The manager's newest, not the value delivered: deliveries are queued, so they agree.
    const newest = managerState.token ?? token;
    const identity = generation ? generation.identity : clientIdentity;
    if (identity !== undefined && newest.identity !== identity) {
      // Twilio clients cannot change identity through updateToken (51215, 51232).
      retire();
      if (!factory) {
        return set({
          status: 'failed',
          lastError: new IdentityMismatchError(
            `The ${spec.name} client is for another identity: create a new one.`,
          ),
        });
      }
    }
    if (generation) generation.offer(newest);
    else if (factory) create();
    else keep().offer(newest);
  };

  const onState = ({ resets }: { resets: number }) => {
    if (resets === seenResets) return;
    seenResets = resets;
    // Sign-out: the client belongs to a user who left. Nothing is asked of the manager (that would
    // fetch with the old session) until the next user's token comes through token$.
    clock.clearTimeout(retryTimer);
    failures = 0;
    retire();
    set({ status: 'creating', token: undefined, lastError: undefined });
  };

  const release = manager.requireGrant(spec.grant);
  let tokens: Subscription | undefined;
  let signOuts: Subscription | undefined;
  try {
    if (!factory) keep(options.token);
    // A closed manager ends the link: no timer of its own outlives it.
    tokens = manager.token$.subscribe({ next: onToken, complete: () => detach() });
    signOuts = manager.state$.subscribe(onState);
  } catch (error) {
    generation?.retire();
    tokens?.unsubscribe();
    release();
    throw error;
  }
  create();

  function detach(): void {
    if (detached) return;
    clock.clearTimeout(retryTimer);
    tokens?.unsubscribe();
    signOuts?.unsubscribe();
    retire();
    detached = true;
    release();
    state = { ...state, status: 'detached' };
    // The detached state as the last value, even from inside a state$ delivery (complete() ends
    // every subscriber at once: a next() queued behind that delivery would be dropped).
    states.complete(state);
    clients.complete();
  }

  return {
    get client() {
      return client;
    },
    // Once detached, a later subscriber gets the last state (no client) and completes at once.
    client$: clients.observe(() => (detached ? null : (client ?? null))),
    state$: states.observe(() => state),
    getState: () => state,
    detach,
    [Symbol.dispose]: detach,
  };
}
