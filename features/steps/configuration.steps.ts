/** Steps of configuration.feature: getConfigSetting / setConfigSetting at run time (genesys-compat §2, §3). */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { slice } from '../support/slice-b';
import { CallWorld, settle } from '../support/world';

Given("{actor}'s endpoint has started", async function (this: CallWorld, name: string) {
  await this.ensure(name);
});

When("{actor}'s desktop sets {string} to {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  p.endpoint.setConfigSetting(key, value);
});

When("{actor}'s desktop tries to set {string} to {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  slice(this).configError = undefined;
  try {
    p.endpoint.setConfigSetting(key, value);
  } catch (e) {
    slice(this).configError = e instanceof Error ? e : new Error(String(e));
  }
});

Then('the change is refused with an error naming {string}', function (this: CallWorld, key: string) {
  const e = slice(this).configError;
  assert.ok(e, 'the change was accepted');
  // ConfigError (CONFIG_INVALID) carries the key it refused and a message a desktop can show.
  assert.equal(e.name, 'ConfigError', `${e.name}: ${e.message}`);
  assert.equal((e as Error & { keyPath?: string }).keyPath, key, e.message);
  assert.ok(e.message.length > 10, `an unhelpful message: "${e.message}"`);
});

Then("{actor}'s setting {string} reads {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  assert.equal(p.endpoint.getConfigSetting(key), value);
});

Then("{actor}'s phone answers by itself", async function (this: CallWorld, name: string) {
  const call = await this.awaitCall(name);
  assert.equal(call.direction, 'incoming');
  // Nobody calls answer(): the auto_answer policy does.
  await settle(call, SessionState.Connected, 5000);
});
