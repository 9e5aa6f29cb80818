/**
 * Message waiting (RFC 3842) through the endpoint: a line with `proxies[N].mailbox` subscribes to
 * `message-summary` at SIPp playing the voicemail server (`uas-mwi-notify.xml`: 401 challenge,
 * three NOTIFYs, the last one terminating), and the connection's `onDidChangeMessageSummary`
 * reports every parsed summary.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import type { MessageSummary } from '@sip-endpoint/signaling';
import { freePort, startSipp, waitForUdpPort, type SippRun } from './support/peers';
import { ConnectionState, type Connection } from '../src/index';
import { party, until, type Party } from './support/endpoints';
import { expectSippPassed, requireSipp } from './support/sipp';

requireSipp();

describe('endpoint: MWI subscription of proxies[N].mailbox (SIPp voicemail server)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const runs: SippRun[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.stop();
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });

  const voicemail = async (): Promise<{ run: SippRun; port: number }> => {
    const port = await freePort();
    const run = startSipp({ scenario: 'uas-mwi-notify.xml', port, timeoutSec: 15 });
    runs.push(run);
    await waitForUdpPort(port);
    return { run, port };
  };

  const expectSummaries = (summaries: { connection: Connection; summary: MessageSummary }[], line: Connection): void => {
    expect(summaries).toHaveLength(3);
    expect(summaries.every((s) => s.connection === line)).toBe(true);
    expect(summaries[0]!.summary).toMatchObject({ messagesWaiting: true, account: 'sip:alice@vmail.example.com', voice: { newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 } });
    expect(summaries[1]!.summary.voice).toEqual({ newMessages: 3, oldMessages: 8, newUrgent: 1, oldUrgent: 2 });
    expect(summaries[1]!.summary.classes.get('fax-message')).toMatchObject({ newMessages: 1, oldMessages: 0 });
    expect(summaries[1]!.summary.messageHeaders.find((h) => h.name === 'Subject')?.value).toBe('call me back');
    expect(summaries[2]!.summary).toMatchObject({ messagesWaiting: false, voice: { newMessages: 0, oldMessages: 11 } });
  };

  it('mailbox on the line\'s server (mailbox.server empty): digest-challenged SUBSCRIBE, three summaries reported in order', async () => {
    const { run, port } = await voicemail();
    // Standalone line (no REGISTER goes to SIPp); the credentials of the line answer the 401.
    const p = await party(
      'alice',
      1000,
      {
        connectivity: [{ user: 'alice', server: `127.0.0.1:${port}`, protocol: 'UDP' }],
        proxies: [{ reg_timeout: 0, password: 'secret', mailbox: { user: 'alice', timeout: 120 } }],
        sip: { timers: { t1Ms: 100, t2Ms: 400 } },
      },
      { domain: 'vmail.example.com' },
    );
    parties.push(p);
    const line = p.endpoint.connections[0]!;
    expect(line.state).toBe(ConnectionState.Ready);
    const summaries: { connection: Connection; summary: MessageSummary }[] = [];
    line.onDidChangeMessageSummary((e) => summaries.push(e));
    await expectSippPassed(run, 15_000);
    await until(() => summaries.length >= 3, 3000, 'three summaries');
    expectSummaries(summaries, line);
  }, 25_000);

  it('mailbox on its own server (mailbox.server set, second line): reported on that connection only', async () => {
    const { run, port } = await voicemail();
    const p = await party('alice', 1000, {
      connectivity: [
        { user: 'bob', server: '127.0.0.1:9', protocol: 'UDP' },
        { user: 'alice', server: '127.0.0.1:9', protocol: 'UDP' },
      ],
      proxies: [{ reg_timeout: 0 }, { reg_timeout: 0, password: 'secret', mailbox: { user: 'alice', server: `127.0.0.1:${port}`, timeout: 120 } }],
      sip: { timers: { t1Ms: 100, t2Ms: 400 } },
    });
    parties.push(p);
    const [first, second] = p.endpoint.connections;
    const onFirst: unknown[] = [];
    first!.onDidChangeMessageSummary((e) => onFirst.push(e));
    const summaries: { connection: Connection; summary: MessageSummary }[] = [];
    second!.onDidChangeMessageSummary((e) => summaries.push(e));
    await expectSippPassed(run, 15_000);
    await until(() => summaries.length >= 3, 3000, 'three summaries');
    expectSummaries(summaries, second!);
    expect(onFirst).toEqual([]);
  }, 25_000);
});
