/**
 * Finished server transactions hold little: once the final response is sent, a server
 * transaction keeps the request's matching headers and the response's bytes only, and still
 * answers retransmissions with the very same bytes (RFC 3261 §17.2.1, §17.2.2, RFC 6026 §7.1).
 */
import { describe, expect, it } from 'vitest';
import { H, type SipRequest } from '../src/message/index';
import {
  InviteServerState,
  NonInviteServerState,
  type AnyServerTransaction,
  type Destination,
  type IncomingAckEvent,
} from '../src/transaction/index';
import { on, receiveRequest, request, response, SRC_UDP, useHarness } from './transaction-helpers';

const h = useHarness();

const incoming = (req: SipRequest, source = SRC_UDP): AnyServerTransaction => receiveRequest(h().layer, req, source);

/** Bytes of every response sent so far, as text. */
function sentResponses(): string[] {
  return h()
    .transport.sent.filter((s) => !s.message.isRequest)
    .map((s) => s.message.serialize().toString('utf8'));
}

describe('compacted server transactions (RFC 3261 §17.2.1, §17.2.2)', () => {
  it('a BYE transaction in Completed keeps only the matching headers and the 200 bytes; a retransmitted BYE gets the same bytes', async () => {
    const { layer, clock, flush } = h();
    const bye = request({ method: 'BYE', toTag: 'uas-tag', callId: 'bye-call@example.org', seq: 2 });
    bye.setHeader('User-Agent', 'big-client/1.0');
    bye.body = Buffer.from('x'.repeat(2000));
    const tx = incoming(bye);
    const ok = response(bye, 200, 'uas-tag');
    ok.setHeader('Server', 'us');
    ok.body = Buffer.from('v=0\r\n');
    ok.setHeader('Content-Type', 'application/sdp');
    expect(tx.respond(ok)).toBe(true);
    expect(tx.state).toBe(NonInviteServerState.Completed);
    await flush();
    expect(tx.isCompacted).toBe(true);
    expect(tx.lastStatus).toBe(200);
    // The request keeps what matching needs and nothing else.
    expect(tx.request.body.length).toBe(0);
    expect(tx.request.headers.has('User-Agent')).toBe(false);
    expect(tx.request.callId).toBe('bye-call@example.org');
    expect(tx.request.branch).toBe(bye.branch);
    const first = sentResponses();
    expect(first).toHaveLength(1);

    clock.advance(3000);
    layer.receive(request({ method: 'BYE', branch: bye.branch!, toTag: 'uas-tag', callId: 'bye-call@example.org', seq: 2 }), SRC_UDP);
    const all = sentResponses();
    expect(all).toHaveLength(2);
    expect(all[1]).toBe(first[0]);
    expect(layer.serverTransactionCount).toBe(1);
    // lastResponse is still readable (parsed back from the bytes).
    expect(tx.lastResponse?.get(H.CSeq)?.seq).toBe(2);
    // Timer J still ends it at 64*T1.
    clock.advance(64 * 500);
    expect(tx.isTerminated).toBe(true);
    expect(layer.serverTransactionCount).toBe(0);
  });

  it('sends the stored bytes through the transport sendBytes when it has one', async () => {
    const { layer, transport, flush } = h();
    const raw: { data: Buffer; destination: Destination }[] = [];
    (transport as unknown as { sendBytes(d: Buffer, dest: Destination): Promise<void> }).sendBytes = (data, destination) => {
      raw.push({ data, destination });
      return Promise.resolve();
    };
    const opt = request({ method: 'OPTIONS' });
    const tx = incoming(opt);
    const res = response(opt, 200, 'o');
    tx.respond(res);
    await flush();
    expect(tx.isCompacted).toBe(true);
    layer.receive(request({ method: 'OPTIONS', branch: opt.branch! }), SRC_UDP);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.data.toString('utf8')).toBe(res.serialize().toString('utf8'));
    expect(raw[0]!.destination).toEqual({ protocol: 'udp', address: '192.0.2.10', port: 5060 });
  });

  it('an INVITE rejected 486 answers Timer G and a retransmitted INVITE with the same bytes, then absorbs the ACK', async () => {
    const { layer, clock, flush } = h();
    const inv = request({ callId: 'rej@example.org' });
    inv.body = Buffer.from('v=0\r\n'.repeat(100));
    const tx = incoming(inv);
    tx.respond(response(inv, 180, 'rej-tag'));
    const busy = response(inv, 486, 'rej-tag');
    tx.respond(busy);
    expect(tx.state).toBe(InviteServerState.Completed);
    await flush();
    expect(tx.isCompacted).toBe(true);
    expect(tx.request.body.length).toBe(0);
    const wire = busy.serialize().toString('utf8');
    clock.advance(500); // Timer G
    layer.receive(request({ branch: inv.branch!, callId: 'rej@example.org' }), SRC_UDP);
    const sent = sentResponses();
    expect(sent.slice(-3)).toEqual([wire, wire, wire]);
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    layer.receive(request({ method: 'ACK', cseqMethod: 'ACK', branch: inv.branch!, toTag: 'rej-tag', callId: 'rej@example.org' }), SRC_UDP);
    expect(tx.state).toBe(InviteServerState.Confirmed);
    expect(acks).toHaveLength(0);
    clock.advance(5000); // Timer I
    expect(tx.isTerminated).toBe(true);
  });

  it('an INVITE answered 2xx (Accepted) is compacted: retransmissions absorbed, ACKs still reach the TU', async () => {
    const { layer, flush } = h();
    const inv = request({ callId: 'ok@example.org' });
    const tx = incoming(inv);
    tx.respond(response(inv, 200, 'ok-tag'));
    await flush();
    expect(tx.state).toBe(InviteServerState.Accepted);
    expect(tx.isCompacted).toBe(true);
    const before = sentResponses().length;
    layer.receive(request({ branch: inv.branch!, callId: 'ok@example.org' }), SRC_UDP);
    expect(sentResponses()).toHaveLength(before);
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    layer.receive(request({ method: 'ACK', cseqMethod: 'ACK', branch: inv.branch!, toTag: 'ok-tag', callId: 'ok@example.org' }), SRC_UDP);
    expect(acks).toHaveLength(1);
    expect(acks[0]!.transaction).toBe(tx);
  });

  it('a legacy (RFC 2543 branch) BYE still matches its compacted transaction', async () => {
    const { layer, flush } = h();
    const bye = request({ method: 'BYE', branch: 'legacy-1', toTag: 't1', callId: 'legacy@example.org', seq: 7 });
    const tx = incoming(bye);
    tx.respond(response(bye, 200, 't1'));
    await flush();
    expect(tx.isCompacted).toBe(true);
    const received: SipRequest[] = [];
    on(layer.onDidReceiveRequest, (e) => received.push(e.request));
    layer.receive(request({ method: 'BYE', branch: 'legacy-1', toTag: 't1', callId: 'legacy@example.org', seq: 7 }), SRC_UDP);
    expect(received).toHaveLength(0);
    const sent = sentResponses();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
  });

  it('a transaction whose final response is still being sent is not compacted yet', () => {
    const { transport } = h();
    let settle: (() => void) | undefined;
    transport.send = (message, destination) => {
      transport.sent.push({ message, destination, at: 0 });
      return new Promise<void>((r) => (settle = r));
    };
    const bye = request({ method: 'BYE', toTag: 'x' });
    const tx = incoming(bye);
    tx.respond(response(bye, 200, 'x'));
    expect(tx.isCompacted).toBe(false);
    expect(tx.request).toBe(bye);
    settle?.();
  });
});
