/** Steps of message-waiting.feature: MWI subscription of a line's mailbox, SIPp as the voicemail server. */
import assert from 'node:assert/strict';
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import type { MessageSummary } from '@sip-endpoint/signaling';
import { freePort, hasProgram, startSipp, until, withTimeout, type SippRun } from '../support/peers';
import { slice, waitForUdpPort } from '../support/slice-b';
import type { CallWorld } from '../support/world';

const voicemail = new WeakMap<CallWorld, { run: SippRun; port: number }>();

function server(world: CallWorld): { run: SippRun; port: number } {
  const v = voicemail.get(world);
  if (!v) throw new Error('the voicemail server is not running (add its Given step)');
  return v;
}

Given('the voicemail server has messages for Alice, password {string}', async function (this: CallWorld, password: string) {
  if (!hasProgram('/usr/bin/sipp')) throw new Error('SIPp is missing: apt-get install -y sip-tester');
  // The scenario's digest check expects alice / secret.
  assert.equal(password, 'secret', 'the voicemail scenario checks the password "secret"');
  const port = await freePort();
  const run = startSipp({ scenario: 'uas-mwi-notify.xml', port, timeoutSec: 15 });
  this.cleanups.push(() => run.stop());
  voicemail.set(this, { run, port });
  await waitForUdpPort(port);
});

When('Agent Alice signs in with her mailbox on the voicemail server, password {string}', async function (this: CallWorld, password: string) {
  const { port } = server(this);
  const seen: MessageSummary[] = [];
  slice(this).summaries.set('Alice', seen);
  const p = await this.start('Alice', {
    config: {
      // A standalone line (no REGISTER) whose mailbox is on the line's server.
      connectivity: [{ user: 'alice', server: `127.0.0.1:${port}`, protocol: 'UDP' }],
      proxies: [{ reg_timeout: 0, password, mailbox: { user: 'alice', timeout: 120 } }],
      sip: { timers: { t1Ms: 100, t2Ms: 400 } },
    },
    options: { domain: 'vmail.example.com' },
  });
  const line = p.endpoint.connections[0];
  assert.ok(line, 'Alice has no line');
  const sub = line.onDidChangeMessageSummary((e) => seen.push(e.summary));
  this.cleanups.push(() => sub.dispose());
});

Then("Alice's message waiting indicator shows, in order:", async function (this: CallWorld, table: DataTable) {
  const want = table.hashes();
  const seen = slice(this).summaries.get('Alice') ?? [];
  await until(() => seen.length >= want.length, 10_000, `${want.length} message summaries (got ${seen.length})`);
  const shown = seen.map((s) => ({
    'messages waiting': s.messagesWaiting ? 'yes' : 'no',
    'new voice': String(s.voice?.newMessages ?? 0),
    'old voice': String(s.voice?.oldMessages ?? 0),
    'new urgent': String(s.voice?.newUrgent ?? 0),
  }));
  assert.deepEqual(shown, want);
  assert.equal(seen[0]?.account, 'sip:alice@vmail.example.com');
});

Then("the voicemail server accepted Alice's password and sent everything", async function (this: CallWorld) {
  const r = await withTimeout(server(this).run.result, 15_000, 'the voicemail server');
  assert.ok(r.ok, `the voicemail server's flow failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-3000)}`);
});
