/** Steps of codecs.feature: codec priorities per actor (the call's codec is checked by calls.steps.ts). */
import assert from 'node:assert/strict';
import { Given } from '@cucumber/cucumber';
import type { CallWorld } from '../support/world';

/** "PCMU/8000=100, PCMA/8000=90" -> { 'PCMU/8000': 100, 'PCMA/8000': 90 }. */
export function parsePriorities(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name = '', value = ''] = part.trim().split('=');
    const priority = Number(value);
    assert.ok(name && Number.isInteger(priority), `bad codec priority "${part.trim()}" (want NAME/RATE=PRIORITY)`);
    out[name] = priority;
  }
  return out;
}

Given(/^(Alice|Bob|Carol) ranks (?:her|his) codecs "([^"]*)"$/, function (this: CallWorld, name: string, list: string) {
  // telephone-event stays offered (lowest priority) as on a real desk phone; only the listed voice codecs are.
  this.setup(name).codecs = { ...parsePriorities(list), 'telephone-event': 1 };
});
