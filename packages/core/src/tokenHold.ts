import type { AccessToken } from './accessToken.js';
import type { AdoptionContext } from './adoption.js';
import type { Clock } from './clock.js';
import { type ClockSkew, initialSkew } from './clockSkew.js';
import { computeDeadlines, type Deadlines } from './deadlines.js';
import { TokenRefusedError } from './errors.js';
import type { FetchResult } from './fetchAttempt.js';
import type { GrantRegistry } from './grantRegistry.js';
import type { Logger } from './logger.js';
import { type CheckedToken, checkToken } from './tokenPolicy.js';
import type { AccessManagerEvent, AccessManagerOptions } from './types.js';

/** A deadline event of the manager's own clock. */
type DeadlineEvent = Extract<AccessManagerEvent, { type: 'tokenWillExpire' | 'tokenExpired' }>;

/**
 * Push-only, what SDKs and the manager's own deadline say of one token within this long is the
 * same news, said once; after it, news again (the app's answer may have failed). The links' own
 * default `signalCooldownMs`.
 */
const SAID_AGAIN_MS = 10_000;

/** With nothing due, a token whose deadlines all passed is still re-checked this often (a clock set back). */
const RECHECK_MS = 30_000;

/** A change to a token's deadlines: a token from another tab plans its refresh later. */
export type Plan = (deadlines: Deadlines) => Deadlines;

/**
 * The one owner of the facts about the token held: the token, its deadlines on the local clock,
 * the anchor that fixes identity, account and services, the clock estimate, the adoptions
 * counted, and which deadline events were given. It checks candidates against them (pure reads)
 * and changes them only in `hold`, `passed`, `refuse`, `estimate` and `forget`; the manager
 * decides when.
 */
export class TokenHold {
  token: AccessToken | null = null;
  deadlines: Deadlines | null = null;
  /** The first token adopted (since `reset()`), whose identity, account and services are fixed. */
  anchor: AccessToken | null = null;
  skew: ClockSkew = initialSkew;
  /** Tokens adopted so far: orders fetches and adoptions without trusting the wall clock. */
  adoptions = 0;
  /** Whether the held token's `tokenWillExpire` and `tokenExpired` were given (`passed`, `tell`). */
  #warned = false;
  #expired = false;
  /** When the app was last told each of them about the held token, from any source (`tell`). */
  #toldAt: Record<DeadlineEvent['type'], number> = { tokenWillExpire: -1e15, tokenExpired: -1e15 };
  /**
   * The token an SDK refused (`reportSdkSignal('expired')`), while it is the one held: the state
   * says `expired` whatever its deadlines say. Another token adopted clears it.
   */
  refused: AccessToken | null = null;
  /** Tokens refused in a row, each adopted after the one before was refused. */
  refusals = 0;
  /** Every token an SDK refused since `reset()`, until it expires: never adopted again. */
  #refusedTokens: AccessToken[] = [];
  readonly #clock: Clock;
  readonly #options: Omit<AccessManagerOptions, 'token'>;
  readonly #grants: GrantRegistry;
  readonly #logger: Logger;

  constructor(
    clock: Clock,
    options: Omit<AccessManagerOptions, 'token'>,
    grants: GrantRegistry,
    logger: Logger,
  ) {
    this.#clock = clock;
    this.#options = options;
    this.#grants = grants;
    this.#logger = logger;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Whether the held token needs replacing: none, or past its refresh point. */
  due(): boolean {
    return !this.deadlines || this.now() >= this.deadlines.refreshAt;
  }

  /**
   * Checks a candidate (throws its typed error). `fetched`: it came from `fetchToken` (with
   * `serverTime`, if the server stated one). `shared`: another tab posted it (its server time is
   * the sender's offset on this clock); this tab does not know when it was minted. A token refused as expired that nothing dated leaves
   * its age in the clock estimate, for the next token to confirm (see `ClockSkew.suspect`).
   */
  check(
    jwt: unknown,
    fetched?: FetchResult,
    shared = false,
    anchor = this.#options.identity === 'any' ? null : this.anchor,
  ): CheckedToken {
    const checked = checkToken(jwt, {
      now: this.now(),
      skew: this.skew,
      serverTime: fetched?.serverTime,
      minted: !shared && (fetched ? fetched.serverTime === undefined : !this.#options.fetchToken),
      untimedMinted: !shared && !!fetched,
      anchor,
      requiredGrants: this.#grants.keys(),
      remember: (skew) => {
        this.skew = skew;
      },
      note: (line) => this.#logger.warn(line),
    });
    // A token an SDK refused is never taken back, however it comes: pushed again (a
    // server-rendered token on a remount), fetched again (a caching server), or from another tab.
    // What its answer says of the server's clock still counts (the next second: `Refresher`).
    const refused = this.#refusedTokens.find((t) => t.jwt === jwt);
    if (refused) {
      if (fetched && !shared) this.estimate(checked.skew);
      throw new TokenRefusedError(`Token ${refused.id} was refused by an SDK.`);
    }
    return checked;
  }

  /** Holds a checked token: its deadlines from the clock estimate (`follower`: see `Plan`). */
  hold({ token, skew }: CheckedToken, follower?: Plan): void {
    // A token that lived without being refused ends a run of refusals.
    if (this.refused !== this.token) this.refusals = 0;
    this.token = token;
    this.skew = skew;
    this.anchor ??= token;
    this.#warned = this.#expired = false;
    this.#toldAt = { tokenWillExpire: -1e15, tokenExpired: -1e15 };
    this.#plan(token, follower);
    this.adoptions++;
  }

  /** Whether the held token has expired now (or an SDK refused it): its refresh is an `'expired'` one. */
  expiredNow(now: number): boolean {
    return !!this.deadlines && (now >= this.deadlines.expireAt || this.refusedNow());
  }

  /**
   * The next deadline event of the held token that is due now and was not given, marked given:
   * the warning always first, also for a device that wakes after the expiry. One per call, so
   * that what a subscriber does on the warning comes before the expiry is marked.
   */
  passed(now: number): DeadlineEvent | undefined {
    const { token, deadlines } = this;
    if (!token || !deadlines) return undefined;
    // A push-only manager's refusal was the token's tokenExpired (source 'sdk', see
    // `reportSdkSignal`): no deadline event of its own about that token after it.
    if (this.refusedNow() && !this.#options.fetchToken) this.#warned = this.#expired = true;
    if (!this.#warned && now >= deadlines.warnAt) {
      this.#warned = true;
      // An SDK said it moments ago (push-only): the same news, not said twice.
      if (this.tell('tokenWillExpire')) {
        const expiresInMs = Math.max(0, deadlines.expireAt - now);
        return { type: 'tokenWillExpire', token, expiresInMs, source: 'manager' };
      }
    }
    if (!this.#expired && now >= deadlines.expireAt) {
      this.#told('tokenExpired', now);
      return { type: 'tokenExpired', token, source: 'manager' };
    }
    return undefined;
  }

  /**
   * The app is told `type` about the held token now, unless it was told the same within
   * `SAID_AGAIN_MS` (two SDKs that say it at one moment, or one and the manager's own deadline;
   * either way on the clock, so that a clock set back by minutes silences nothing): true when it is. A
   * `tokenExpired` marks both events given; never a warning after it, or for a refused token.
   */
  tell(type: DeadlineEvent['type']): boolean {
    const now = this.now();
    // Within 10 s either way: a clock set back by seconds (NTP) is the same moment; by minutes,
    // the news is not stale.
    if (Math.abs(now - this.#toldAt[type]) < SAID_AGAIN_MS) return false;
    if (type === 'tokenWillExpire' && (this.#expired || this.refusedNow())) return false;
    this.#told(type, now);
    return true;
  }

  /** Marks `type` told at `now` (`tokenExpired`: both events given). */
  #told(type: DeadlineEvent['type'], now: number): void {
    this.#toldAt[type] = now;
    if (type === 'tokenExpired') this.#warned = this.#expired = true;
  }

  /**
   * When to look at the held token again: at its events' deadlines (whose time changes the state
   * to publish, given or not: a re-planned token's come again), and its refresh point's when
   * `plans`; a token whose events were given and passed is re-checked every `RECHECK_MS` (a device
   * clock set back makes it valid again); one an SDK refused, whose events were given, never (its
   * state is `expired` until another token comes).
   */
  next(now: number, plans: boolean): number {
    const { deadlines } = this;
    if (!deadlines) return Infinity;
    const refused = this.refusedNow();
    const due = (at: number, given: boolean) =>
      !given ? at : refused ? Infinity : at > now ? at : now + RECHECK_MS;
    return Math.min(
      due(deadlines.warnAt, this.#warned),
      due(deadlines.expireAt, this.#expired),
      plans ? deadlines.refreshAt : Infinity,
    );
  }

  /**
   * The token held, when it expires on the local clock, and whether an SDK refused it; null when
   * none is held.
   */
  held(): { token: AccessToken; expireAt: number; refused: boolean } | null {
    return this.token && this.deadlines
      ? { token: this.token, expireAt: this.deadlines.expireAt, refused: this.refusedNow() }
      : null;
  }

  /** What `decideAdoption` weighs a candidate against; `refused`: a forced refresh is under way. */
  context(refused: boolean): AdoptionContext {
    return { held: this.token, due: this.due(), refused, refusedBySdk: this.refusedNow() };
  }

  /** Whether an SDK refused the token held (`refuse`). */
  refusedNow(): boolean {
    return !!this.token && this.refused === this.token;
  }

  /** An SDK refused the token held: true when it had not been refused yet. */
  refuse(): boolean {
    if (!this.token || this.refused === this.token) return false;
    this.refused = this.token;
    // Kept while valid on the server's clock (a device clock ahead must not drop them early).
    const serverNow = this.now() + this.skew.offsetMs;
    this.#refusedTokens = this.#refusedTokens.filter((t) => t.expiresAt.getTime() > serverNow);
    this.#refusedTokens.push(this.token);
    this.refusals++;
    return true;
  }

  /**
   * A token not adopted still says what it says of the server's clock: the held one is planned
   * anew (`follower`: the estimate came from another tab). True when the estimate changed.
   */
  estimate(skew: ClockSkew, follower?: Plan): boolean {
    if (!this.token || skew.offsetMs === this.skew.offsetMs) return false;
    this.skew = skew;
    this.#plan(this.token, follower);
    return true;
  }

  /** Forgets the token and the anchor (`reset()`, `close()`); the clock estimate stays. */
  forget(): void {
    this.token = this.deadlines = this.anchor = this.refused = null;
    this.refusals = 0;
    this.#refusedTokens = [];
  }

  #plan(token: AccessToken, follower?: Plan): void {
    const options = this.#options;
    const now = this.now();
    const deadlines = computeDeadlines(token, {
      now,
      clockOffsetMs: this.skew.offsetMs,
      warnBeforeMs: options.warnBeforeMs ?? 180_000,
      refreshBeforeMs: options.refreshBeforeMs,
      random: options.random ?? Math.random,
    });
    // An event already given for the token stands when its deadlines move (a new estimate of the
    // server's clock): never a second warning, nor a warning after its tokenExpired.
    this.deadlines = follower ? follower(deadlines) : deadlines;
  }
}
