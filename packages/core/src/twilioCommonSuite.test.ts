/**
 * twilio-common 0.1.7's own test suite (`test/accessmanager.js`, mocha), run from node_modules
 * against our AccessManager. The file is not copied: it is read from the installed package and
 * evaluated with a `require` of ours that points its two imports elsewhere:
 * - `../lib/accessmanager` → our `AccessManager` (with `identity: 'any'`, since the suite moves one
 *   manager to tokens of other identities and accounts, and without browser wake signals);
 * - `twilio` → a stand-in for twilio-node 2.x's `AccessToken` (below), which signs tokens the way
 *   that version did (HS256, `cty: twilio-fpa;v=1`, `jti`, `iss`, `sub`, `iat`, `exp`, `grants`).
 * The mocha globals (`describe`, `context`, `it`, `it.skip`, `done` callbacks, the 2 s timeout,
 * "done() called multiple times") are mapped onto vitest.
 *
 * The tests that assert what we refuse on purpose run as `it.fails`: each must keep failing, and
 * the migration guide (packages/core/MIGRATING.md) gives each reason.
 */

import * as assert from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';
import { signJwt } from '@access-manager/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessManager } from './accessManager.js';

/** Every test of the suite that asserts a behaviour we refuse on purpose, with the reason. */
export const DELIBERATE: Record<string, string> = {};
const refuseExpired = 'an already expired token is an error (seeds): it is never adopted';
const refuseMalformed = 'a malformed token is never held: `.token` keeps the last good one (none)';
const privatePayload =
  '`_tokenPayload` is twilio-common private state; use `manager.getState().token`';
for (const name of [
  'constructor when passed an invalid Access Token should have set .token to the Access Token',
  'constructor when passed an invalid Access Token after emitting the "error" event .token should still be the invalid Access Token',
]) {
  DELIBERATE[`AccessManager ${name}`] = refuseMalformed;
}
for (const name of [
  'constructor when passed a valid, unexpired Access Token after emitting the "tokenUpdated" event should have set ._tokenPayload to an Object',
  '#updateToken when passed a valid, unexpired Access Token once resolved should have set ._tokenPayload to a new Object',
]) {
  DELIBERATE[`AccessManager ${name}`] = privatePayload;
}
const expiredConstructor = 'constructor when passed a valid, expired Access Token';
for (const name of [
  'should have set .token to the Access Token',
  'should emit a "tokenUpdated" event with the AccessManager',
  'after emitting the "tokenUpdated" event should have set ._tokenPayload to an Object',
  'after emitting the "tokenUpdated" event should have set .identity to the identity string',
  'after emitting the "tokenUpdated" event should have set .isExpired to true',
  'after emitting the "tokenUpdated" event should have set .expires to a Date',
  'after emitting the "tokenUpdated" event should emit a "tokenExpired" event with the AccessManager',
  'after emitting the "tokenUpdated" event should emit a "tokenWillExpire" event with the AccessManager',
]) {
  DELIBERATE[`AccessManager ${expiredConstructor} ${name}`] = refuseExpired;
}
const expiredUpdate = '#updateToken when passed a valid, expired Access Token';
for (const name of [
  'should return a Promise that resolves with the AccessManager',
  'once resolved should have set ._tokenPayload to a new Object',
  'once resolved should have set .expires to a new Date',
  'once resolved should have set .identity to the new identity string',
  'once resolved should have set .isExpired to true',
  'once resolved should have set .token to the new Access Token',
  'once resolved should emit a "tokenUpdated" event with the AccessManager',
  'once resolved after emitting the "tokenUpdated" event should emit a "tokenExpired" event with the AccessManager',
  'once resolved after emitting the "tokenUpdated" event should emit a "tokenWillExpire" event with the AccessManager',
]) {
  DELIBERATE[`AccessManager ${expiredUpdate} ${name}`] = refuseExpired;
}

/** twilio-node 2.x's `AccessToken`, as the suite uses it: a stand-in that signs like it did. */
class TwilioNode2AccessToken {
  static ConversationsGrant = class {
    constructor(readonly options: { configurationProfileSid: string }) {}
    toPayload() {
      return { configuration_profile_sid: this.options.configurationProfileSid };
    }
  };
  identity: string | undefined;
  readonly #grants: Array<InstanceType<typeof TwilioNode2AccessToken.ConversationsGrant>> = [];
  constructor(
    readonly accountSid: string,
    readonly keySid: string,
    readonly secret: string,
    readonly options: { ttl?: number | undefined } = {},
  ) {}
  addGrant(grant: InstanceType<typeof TwilioNode2AccessToken.ConversationsGrant>) {
    this.#grants.push(grant);
  }
  toJwt() {
    const now = Math.floor(Date.now() / 1000);
    const grants: Record<string, unknown> = {};
    if (this.identity) grants['identity'] = this.identity;
    for (const grant of this.#grants) grants['rtc'] = grant.toPayload();
    return signJwt(
      { typ: 'JWT', alg: 'HS256', cty: 'twilio-fpa;v=1' },
      {
        jti: `${this.keySid}-${now}`,
        grants,
        iss: this.keySid,
        sub: this.accountSid,
        exp: now + (this.options.ttl ?? 3600),
        iat: now,
      },
      this.secret,
    );
  }
}

/** `require('../lib/accessmanager')` of the suite: our manager, as a twilio-common user would make it. */
class SuiteAccessManager extends AccessManager {
  constructor(token: string) {
    super({ token, identity: 'any', wakeSignals: false });
    opened.push(this);
  }
}
const opened: AccessManager[] = [];
afterAll(() => {
  for (const manager of opened) manager.close();
});

const modules: Record<string, unknown> = {
  '../lib/accessmanager': SuiteAccessManager,
  assert: assert.default ?? assert,
  twilio: { AccessToken: TwilioNode2AccessToken },
};
const suiteRequire = (id: string): unknown => {
  if (!(id in modules)) throw new Error(`The suite asked for an unexpected module: ${id}`);
  return modules[id];
};

type Done = (error?: unknown) => void;
type MochaTest = (this: unknown, done: Done) => unknown;

const path: string[] = [];
const ran = { active: 0, skipped: 0, deliberate: 0 };
const seen = new Set<string>();
const MOCHA_TIMEOUT_MS = 2_000;

/** Runs one mocha test body as a promise: `done` callbacks, returned promises, double `done`. */
const run = (body: MochaTest): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (body.length === 0) {
      Promise.resolve(body.call({}, () => {})).then(() => resolve(), reject);
      return;
    }
    let calls = 0;
    const done: Done = (error) => {
      calls++;
      if (calls > 1) return;
      if (error) {
        reject(error);
        return;
      }
      // mocha fails a test whose `done` is called twice: wait a moment to see it.
      setTimeout(() => {
        if (calls > 1) reject(new Error('done() called multiple times'));
        else resolve();
      }, 20);
    };
    try {
      body.call({}, done);
    } catch (error) {
      reject(error);
    }
  });

const mochaIt = (name: string, body: MochaTest) => {
  const full = [...path, name].join(' ');
  seen.add(full);
  ran.active++;
  if (full in DELIBERATE) {
    ran.deliberate++;
    // A deliberate refusal often means an event that never comes: no need to wait 2 s for it.
    it.fails(`${name} (refused on purpose: ${DELIBERATE[full]})`, () => run(body), 300);
  } else {
    it(name, () => run(body), MOCHA_TIMEOUT_MS);
  }
};
mochaIt.skip = (name: string) => {
  ran.skipped++;
  it.skip(name, () => {});
};
/** vitest may run a describe body after its parent's returns: each body restores its own path. */
const mochaDescribe = (name: string, body: () => void) => {
  const own = [...path, name];
  describe(name, () => {
    const outer = path.splice(0, path.length, ...own);
    try {
      body();
    } finally {
      path.splice(0, path.length, ...outer);
    }
  });
};

const suiteFile = createRequire(import.meta.url).resolve('twilio-common/test/accessmanager.js');
const suite = compileFunction(
  readFileSync(suiteFile, 'utf8'),
  ['require', 'describe', 'context', 'it'],
  { filename: suiteFile },
);

describe('twilio-common 0.1.7 test/accessmanager.js', () => {
  suite(suiteRequire, mochaDescribe, mochaDescribe, mochaIt);

  it('runs every test of the file: 57 in all, 49 active, 8 skipped by the file itself', () => {
    expect(ran.active + ran.skipped).toBe(57);
    expect(ran.active).toBe(49);
    // Every deliberate exception names a test that exists.
    for (const name of Object.keys(DELIBERATE)) expect(seen).toContain(name);
    expect(ran.deliberate).toBe(Object.keys(DELIBERATE).length);
  });
});
