/**
 * The transaction layer on parsed message text: messages from the wire (CRLF text through
 * `parseMessage`), and two layers talking through a lossy serialize -> parse wire in virtual time.
 */
import { describe, expect, it } from 'vitest';
import type { IDisposable, TimerHandle, VirtualClock } from '@sip-endpoint/base';
import { createResponse, H, parseMessage, type SipMessage, type SipRequest } from '../src/message/index';
import {
  InviteClientTransaction,
  InviteServerTransaction,
  TransactionLayer,
  type AnyServerTransaction,
  type Destination,
  type TransactionTransport,
} from '../src/transaction/index';
import { on, request, SRC_UDP, UDP, useHarness } from './transaction-helpers';

const h = useHarness();

const text = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');

const INVITE = text([
  'INVITE sip:bob@192.0.2.1 SIP/2.0',
  'Via: SIP/2.0/UDP 10.1.1.1:5062;branch=z9hG4bKnashds8;received=192.0.2.10;rport=40000',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: Alice <sip:alice@example.org>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.org',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@10.1.1.1:5062>',
  'Content-Length: 0',
]);

const CANCEL = text([
  'CANCEL sip:bob@192.0.2.1 SIP/2.0',
  'v: SIP/2.0/UDP 10.1.1.1:5062;branch=z9hG4bKnashds8;received=192.0.2.10;rport=40000',
  'Max-Forwards: 70',
  't: Bob <sip:bob@example.com>',
  'f: Alice <sip:alice@example.org>;tag=1928301774',
  'i: a84b4c76e66710@pc33.example.org',
  'CSeq: 314159 CANCEL',
  'l: 0',
]);

const ACK = (toTag: string): Buffer =>
  text([
    'ACK sip:bob@192.0.2.1 SIP/2.0',
    'Via: SIP/2.0/UDP 10.1.1.1:5062;branch=z9hG4bKnashds8;received=192.0.2.10;rport=40000',
    'Max-Forwards: 70',
    `To: Bob <sip:bob@example.com>;tag=${toTag}`,
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.org',
    'CSeq: 314159 ACK',
    'Content-Length: 0',
  ]);

describe('parsed messages', () => {
  it('UAS: INVITE, automatic 100, CANCEL -> 200 + 487, ACK, all from message text', () => {
    const { layer, clock, transport } = h();
    const txs: AnyServerTransaction[] = [];
    on(layer.onDidReceiveRequest, (e) => txs.push(e.transaction));
    on(layer.onDidReceiveCancel, (e) => {
      e.inviteTransaction.respond(createResponse(e.inviteTransaction.request, 487, undefined, { toTag: e.inviteTransaction.toTag }));
    });
    layer.receive(parseMessage(INVITE), SRC_UDP);
    expect(txs).toHaveLength(1);
    const ist = txs[0]!;
    clock.advance(200);
    const trying = parseMessage(transport.sent[0]!.message.serialize());
    expect(trying.isRequest).toBe(false);
    expect(transport.sent[0]!.destination).toEqual({ protocol: 'udp', address: '192.0.2.10', port: 40000 });
    expect(trying.get(H.To)!.params.has('tag')).toBe(false);
    expect(trying.topVia.params.get('branch')).toBe('z9hG4bKnashds8');

    layer.receive(parseMessage(CANCEL), SRC_UDP);
    const [ok, terminated] = transport.sent.slice(1).map((s) => parseMessage(s.message.serialize()));
    expect(ok).toMatchObject({ status: 200 });
    expect(ok!.cseq).toEqual({ seq: 314159, method: 'CANCEL' });
    expect(terminated).toMatchObject({ status: 487 });
    const tag = ok!.to.params.get('tag')!;
    expect(terminated!.to.params.get('tag')).toBe(tag);
    expect(ist.state).toBe('Completed');
    layer.receive(parseMessage(ACK(tag)), SRC_UDP);
    expect(ist.state).toBe('Confirmed');
    clock.advance(5000);
    expect(ist.state).toBe('Terminated');
  });

  it('UAC: responses parsed from text drive the INVITE client transaction; the ACK serializes and parses', () => {
    const { layer, transport } = h();
    const req = request({ seq: 5 });
    const tx = layer.sendRequest(req, UDP);
    const branch = req.branch!;
    const resp = (status: string, tag: string): SipMessage =>
      parseMessage(
        text([
          `SIP/2.0 ${status}`,
          `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
          'From: <sip:alice@example.org>;tag=alice-tag',
          `To: <sip:bob@example.com>;tag=${tag}`,
          'Call-ID: call-1@example.org',
          'CSeq: 5 INVITE',
          'Content-Length: 0',
        ]),
      );
    layer.receive(resp('180 Ringing', 'xyz'), UDP);
    expect(tx.state).toBe('Proceeding');
    layer.receive(resp('486 Busy Here', 'xyz'), UDP);
    expect(tx.state).toBe('Completed');
    const ack = parseMessage(transport.requests('ACK')[0]!.serialize()) as SipRequest;
    expect(ack.method).toBe('ACK');
    expect(ack.via).toHaveLength(1);
    expect(ack.branch).toBe(branch);
    expect(ack.to.params.get('tag')).toBe('xyz');
    expect(ack.from.params.get('tag')).toBe('alice-tag');
    expect(ack.callId).toBe('call-1@example.org');
    expect(ack.cseq).toEqual({ seq: 5, method: 'ACK' });
  });
});

/**
 * Two layers joined by a wire that serializes and parses every message, delivers it after
 * `latencyMs` of virtual time, and drops the messages `drop` picks.
 */
class Wire implements IDisposable {
  private readonly pending = new Set<TimerHandle>();
  readonly log: string[] = [];
  drop: (m: SipMessage, n: number) => boolean = () => false;
  private count = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly latencyMs: number,
  ) {}

  /** A transport for the side at `self` that delivers to `peer`. */
  transport(self: Destination, peer: () => TransactionLayer): TransactionTransport {
    return {
      send: (message) => {
        const bytes = message.serialize();
        const n = ++this.count;
        const label = message.isRequest ? message.method : String(message.status);
        if (this.drop(message, n)) {
          this.log.push(`${this.clock.now()} lost ${label}`);
          return Promise.resolve();
        }
        this.log.push(`${this.clock.now()} ${label}`);
        const handle = this.clock.setTimeout(() => {
          this.pending.delete(handle);
          peer().receive(parseMessage(bytes), self);
        }, this.latencyMs);
        this.pending.add(handle);
        return Promise.resolve();
      },
    };
  }

  dispose(): void {
    for (const t of this.pending) t.dispose();
    this.pending.clear();
  }
}

describe('two layers over a lossy wire (virtual time)', () => {
  it('INVITE / 180 / 200 with the first INVITE and the first 200 lost, then BYE', () => {
    const { clock } = h();
    const wire = new Wire(clock, 10);
    const alice: Destination = { protocol: 'udp', address: '192.0.2.10', port: 5060 };
    const bob: Destination = { protocol: 'udp', address: '192.0.2.1', port: 5060 };
    const a: TransactionLayer = new TransactionLayer({ clock, transport: wire.transport(alice, () => b), viaSentBy: () => ({ host: '192.0.2.10', port: 5060 }) });
    const b: TransactionLayer = new TransactionLayer({ clock, transport: wire.transport(bob, () => a), viaSentBy: () => ({ host: '192.0.2.1', port: 5060 }) });
    try {
      let lost200 = false;
      wire.drop = (m, n) => {
        if (n === 1) return true;
        if (!m.isRequest && m.status === 200 && m.cseq.method === 'INVITE' && !lost200) return (lost200 = true);
        return false;
      };
      const bobTx: InviteServerTransaction[] = [];
      on(b.onDidReceiveRequest, (e) => {
        if (e.transaction instanceof InviteServerTransaction) {
          bobTx.push(e.transaction);
          e.transaction.respond(createResponse(e.request, 180, undefined, { toTag: 'bob' }));
        } else {
          e.transaction.respond(createResponse(e.request, 200, undefined, { toTag: 'bob' }));
        }
      });
      const invite = request({ branch: undefined, callId: 'wire-call' });
      invite.setHeader('Via', undefined);
      const tx = a.sendRequest(invite, bob) as InviteClientTransaction;
      const statuses: number[] = [];
      on(tx.onDidReceiveResponse, (e) => statuses.push(e.response.status));
      const strays: number[] = [];
      on(a.onDidReceiveStrayResponse, (e) => strays.push(e.response.status));
      clock.advance(600); // Timer A at 500 retransmits the lost INVITE
      expect(bobTx).toHaveLength(1);
      expect(statuses).toEqual([180]);
      const ok = createResponse(bobTx[0]!.request, 200, undefined, { toTag: 'bob' });
      bobTx[0]!.respond(ok); // lost on the wire
      expect(bobTx[0]!.state).toBe('Accepted');
      clock.advance(500);
      bobTx[0]!.respond(ok); // the UAS core retransmits its 2xx (§13.3.1.4); the transaction sends it
      clock.advance(20);
      expect(statuses).toEqual([180, 200]);
      expect(tx.state).toBe('Accepted');
      // The UA core ACKs the 2xx itself, outside the transaction.
      const acks: unknown[] = [];
      on(b.onDidReceiveAck, (e) => acks.push(e.transaction));
      const ack = request({ method: 'ACK', callId: 'wire-call', toTag: 'bob' });
      void a.sendStateless(ack, bob);
      clock.advance(20);
      expect(acks).toEqual([undefined]);
      const bye = request({ method: 'BYE', callId: 'wire-call', toTag: 'bob', seq: 2 });
      bye.setHeader('Via', undefined);
      const byeTx = a.sendRequest(bye, bob);
      clock.advance(20);
      expect(byeTx.state).toBe('Completed');
      clock.advance(64 * 500);
      expect(tx.state).toBe('Terminated');
      expect(byeTx.state).toBe('Terminated');
      expect(bobTx[0]!.state).toBe('Terminated');
      expect(strays).toEqual([]);
      expect(wire.log.filter((l) => l.includes('INVITE'))).toEqual(['0 lost INVITE', '500 INVITE']);
    } finally {
      a.dispose();
      b.dispose();
      wire.dispose();
    }
  });
});
