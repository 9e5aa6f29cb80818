import { describe, expect, it } from 'vitest';
import { TransactionTimeoutError } from '@sip-endpoint/base';
import { H, type SipRequest } from '../src/message/index';
import {
  InviteServerState,
  InviteServerTransaction,
  NonInviteServerState,
  type AnyServerTransaction,
  type IncomingAckEvent,
  type IncomingCancelEvent,
  type Transaction,
} from '../src/transaction/index';
import { branch, on, receiveRequest, request, response, SRC_TCP, SRC_UDP, useHarness } from './transaction-helpers';

const h = useHarness();

/** Delivers `req` and returns the server transaction the layer created for it. */
const incoming = (req: SipRequest, source = SRC_UDP): AnyServerTransaction => receiveRequest(h().layer, req, source);

function asIst(tx: AnyServerTransaction): InviteServerTransaction {
  if (!(tx instanceof InviteServerTransaction)) throw new Error('not an IST');
  return tx;
}

function states(tx: Transaction): string[] {
  const out: string[] = [tx.state];
  on(tx.onDidChangeState, (e) => out.push(e.state));
  return out;
}

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1)', () => {
  it('passes the INVITE up and sends 100 (Trying) without To tag when the TU is silent for 200 ms', () => {
    const { clock, transport } = h();
    const req = request();
    const tx = incoming(req);
    expect(tx.state).toBe(InviteServerState.Proceeding);
    clock.advance(199);
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    const trying = transport.responses(100);
    expect(trying).toHaveLength(1);
    expect(trying[0]!.headers.get('To')).not.toContain('tag=');
    expect(transport.sent[0]!.destination).toEqual({ protocol: 'udp', address: '192.0.2.10', port: 5060 });
  });

  it('sends no 100 when the TU answers within 200 ms; a retransmitted INVITE gets the last provisional', () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = incoming(req);
    clock.advance(50);
    expect(tx.respond(response(req, 180, 'uas'))).toBe(true);
    clock.advance(1000);
    expect(transport.responses(100)).toHaveLength(0);
    layer.receive(request({ branch: req.branch! }), SRC_UDP);
    expect(transport.responses().map((r) => r.status)).toEqual([180, 180]);
    expect(layer.serverTransactionCount).toBe(1);
  });

  it('answers a retransmission before any response with 100 (Trying) at once', () => {
    const { layer, transport } = h();
    const req = request();
    const received: SipRequest[] = [];
    on(layer.onDidReceiveRequest, (e) => received.push(e.request));
    layer.receive(req, SRC_UDP);
    layer.receive(request({ branch: req.branch! }), SRC_UDP);
    expect(received).toHaveLength(1);
    expect(transport.responses(100)).toHaveLength(1);
  });

  it('retransmits a non-2xx final on Timer G (T1, 2T1... capped at T2) and times out on Timer H = 64*T1', () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = incoming(req);
    const seen = states(tx);
    const timeouts: TransactionTimeoutError[] = [];
    on(tx.onDidTimeout, (e) => timeouts.push(e.error));
    const layerTimeouts: unknown[] = [];
    on(layer.onDidTimeout, (e) => layerTimeouts.push(e.error));
    tx.respond(response(req, 486, 'uas'));
    expect(tx.state).toBe(InviteServerState.Completed);
    clock.advance(31_999);
    expect(transport.responseTimes(486)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    // A retransmitted INVITE in Completed gets the final again.
    layer.receive(request({ branch: req.branch! }), SRC_UDP);
    expect(transport.responses(486)).toHaveLength(12);
    clock.advance(1);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!.details.timer).toBe('H');
    expect(layerTimeouts).toEqual(timeouts);
    expect(seen).toEqual(['Proceeding', 'Completed', 'Terminated']);
    expect(clock.pendingCount).toBe(0);
  });

  it('on the ACK moves to Confirmed, stops Timer G, absorbs ACKs, ends on Timer I = T4', () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = incoming(req);
    const seen = states(tx);
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    tx.respond(response(req, 603, 'uas'));
    clock.advance(600);
    const ack = request({ method: 'ACK', branch: req.branch!, toTag: 'uas' });
    layer.receive(ack, SRC_UDP);
    expect(tx.state).toBe(InviteServerState.Confirmed);
    layer.receive(ack, SRC_UDP);
    clock.advance(4999);
    expect(transport.responseTimes(603)).toEqual([0, 500]);
    expect(tx.state).toBe('Confirmed');
    clock.advance(1);
    expect(seen).toEqual(['Proceeding', 'Completed', 'Confirmed', 'Terminated']);
    expect(acks).toHaveLength(0);
  });

  it('over TCP: no Timer G, Timer I = 0, Timer H still 64*T1', () => {
    const { layer, clock, transport } = h();
    const req = request({ transport: 'TCP' });
    const tx = incoming(req, SRC_TCP);
    const seen = states(tx);
    tx.respond(response(req, 404, 'uas'));
    clock.advance(10_000);
    expect(transport.responses(404)).toHaveLength(1);
    expect(transport.sent.at(-1)!.destination).toEqual({ protocol: 'tcp', address: '192.0.2.10', port: 40000, connectionId: 'in-1' });
    layer.receive(request({ method: 'ACK', branch: req.branch!, transport: 'TCP', toTag: 'uas' }), SRC_TCP);
    expect(seen).toEqual(['Proceeding', 'Completed', 'Confirmed', 'Terminated']);

    const req2 = request({ transport: 'TCP' });
    const tx2 = incoming(req2, SRC_TCP);
    tx2.respond(response(req2, 500, 'uas'));
    clock.advance(31_999);
    expect(tx2.state).toBe('Completed');
    clock.advance(1);
    expect(tx2.state).toBe('Terminated');
  });

  it('on 2xx moves to Accepted: INVITE retransmissions absorbed, TU 2xx retransmissions sent, ACKs to the TU, Timer L = 64*T1', () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = asIst(incoming(req));
    const seen = states(tx);
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    const ok = response(req, 200, 'uas');
    tx.respond(ok);
    expect(tx.state).toBe(InviteServerState.Accepted);
    expect(tx.toTag).toBe('uas');
    clock.advance(500);
    layer.receive(request({ branch: req.branch! }), SRC_UDP);
    expect(transport.responses(200)).toHaveLength(1);
    expect(tx.respond(ok)).toBe(true);
    expect(transport.responses(200)).toHaveLength(2);
    expect(tx.respond(response(req, 486, 'uas'))).toBe(false);
    // The ACK for a 2xx has its own branch: no transaction, straight to the TU.
    const ack = request({ method: 'ACK', toTag: 'uas' });
    layer.receive(ack, SRC_UDP);
    // An ACK that does match the transaction in Accepted also goes to the TU (RFC 6026 §7.1).
    layer.receive(request({ method: 'ACK', branch: req.branch!, toTag: 'uas' }), SRC_UDP);
    expect(acks.map((a) => a.transaction)).toEqual([undefined, tx]);
    clock.advance(31_499);
    expect(tx.state).toBe('Accepted');
    clock.advance(1);
    expect(seen).toEqual(['Proceeding', 'Accepted', 'Terminated']);
  });

  it('takes T1, T2, T4 from the options (G, H, I, L)', () => {
    const { makeLayer, clock, transport } = h();
    const layer = makeLayer({ t1Ms: 100, t2Ms: 400, t4Ms: 700 });
    let tx: AnyServerTransaction | undefined;
    on(layer.onDidReceiveRequest, (e) => (tx = e.transaction));
    const req = request();
    layer.receive(req, SRC_UDP);
    tx!.respond(response(req, 480, 'u'));
    clock.advance(6399);
    expect(transport.responseTimes(480).slice(0, 6)).toEqual([0, 100, 300, 700, 1100, 1500]);
    clock.advance(1);
    expect(tx!.state).toBe('Terminated');

    const req2 = request();
    layer.receive(req2, SRC_UDP);
    const tx2 = tx!;
    tx2.respond(response(req2, 480, 'u'));
    layer.receive(request({ method: 'ACK', branch: req2.branch!, toTag: 'u' }), SRC_UDP);
    clock.advance(699);
    expect(tx2.state).toBe('Confirmed');
    clock.advance(1);
    expect(tx2.state).toBe('Terminated');

    const req3 = request();
    layer.receive(req3, SRC_UDP);
    const tx3 = tx!;
    tx3.respond(response(req3, 200, 'u'));
    clock.advance(6399);
    expect(tx3.state).toBe('Accepted');
    clock.advance(1);
    expect(tx3.state).toBe('Terminated');
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('Trying discards retransmissions; Proceeding resends the provisional; Completed resends the final; Timer J = 64*T1', () => {
    const { layer, clock, transport } = h();
    const req = request({ method: 'REGISTER' });
    const tx = incoming(req);
    const seen = states(tx);
    const retransmit = (): void => layer.receive(request({ method: 'REGISTER', branch: req.branch! }), SRC_UDP);
    retransmit();
    expect(transport.sent).toHaveLength(0);
    expect(tx.state).toBe(NonInviteServerState.Trying);
    tx.respond(response(req, 100));
    expect(tx.state).toBe(NonInviteServerState.Proceeding);
    retransmit();
    expect(transport.responses(100)).toHaveLength(2);
    clock.advance(1000);
    tx.respond(response(req, 200, 'r'));
    expect(tx.state).toBe(NonInviteServerState.Completed);
    retransmit();
    retransmit();
    expect(transport.responses(200)).toHaveLength(3);
    expect(tx.respond(response(req, 500, 'r'))).toBe(false);
    clock.advance(31_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(seen).toEqual(['Trying', 'Proceeding', 'Completed', 'Terminated']);
    // After the end a retransmission is a new request again.
    const again: SipRequest[] = [];
    on(layer.onDidReceiveRequest, (e) => again.push(e.request));
    retransmit();
    expect(again).toHaveLength(1);
  });

  it('a final response straight from Trying; Timer J takes T1 from the options', () => {
    const { makeLayer, clock } = h();
    const layer = makeLayer({ t1Ms: 50 });
    let tx: AnyServerTransaction | undefined;
    on(layer.onDidReceiveRequest, (e) => (tx = e.transaction));
    const req = request({ method: 'OPTIONS' });
    layer.receive(req, SRC_UDP);
    const seen = states(tx!);
    tx!.respond(response(req, 200, 'x'));
    clock.advance(3199);
    expect(tx!.state).toBe('Completed');
    clock.advance(1);
    expect(seen).toEqual(['Trying', 'Completed', 'Terminated']);
  });

  it('over TCP Timer J is 0: Terminated once the transport took the final response', async () => {
    const { flush, transport } = h();
    const req = request({ method: 'BYE', transport: 'TCP', toTag: 'x' });
    const tx = incoming(req, SRC_TCP);
    const seen = states(tx);
    tx.respond(response(req, 200, 'x'));
    await flush();
    expect(seen).toEqual(['Trying', 'Completed', 'Terminated']);
    expect(transport.sent[0]!.destination.connectionId).toBe('in-1');
  });
});

describe('transport errors on responses (RFC 3261 §17.2.4)', () => {
  it('falls back from the dead connection to received/sent-by, then reports and terminates', async () => {
    const { layer, transport, flush } = h();
    const req = request({ method: 'OPTIONS', transport: 'TCP', viaHost: 'client.example.com', viaPort: 5080, viaParams: [['received', '192.0.2.10']] });
    const tx = incoming(req, SRC_TCP);
    const errors: unknown[] = [];
    on(tx.onDidTransportError, (e) => errors.push(e.error));
    const layerErrors: unknown[] = [];
    on(layer.onDidTransportError, (e) => layerErrors.push(e.error));
    transport.fail = (_m, d) => d.connectionId !== undefined;
    tx.respond(response(req, 100));
    await flush();
    expect(transport.sent.map((s) => s.destination)).toEqual([
      { protocol: 'tcp', address: '192.0.2.10', port: 40000, connectionId: 'in-1' },
      { protocol: 'tcp', address: '192.0.2.10', port: 5080 },
    ]);
    expect(errors).toHaveLength(0);
    expect(tx.responseDestination).toEqual({ protocol: 'tcp', address: '192.0.2.10', port: 5080 });
    transport.fail = () => true;
    tx.respond(response(req, 200, 't'));
    await flush();
    expect(transport.sent.slice(2).map((s) => `${s.destination.address}:${s.destination.port}`)).toEqual(['192.0.2.10:5080', 'client.example.com:5080']);
    expect(errors).toHaveLength(1);
    expect(layerErrors).toEqual(errors);
    expect(tx.state).toBe('Terminated');
  });
});

describe('transport errors on INVITE responses', () => {
  it('a failed 486 over UDP (every destination) reports and terminates the INVITE server transaction', async () => {
    const { transport, flush } = h();
    const req = request();
    const tx = incoming(req);
    const seen = states(tx);
    const errors: unknown[] = [];
    on(tx.onDidTransportError, (e) => errors.push(e.message));
    transport.fail = () => true;
    const busy = response(req, 486, 'u');
    tx.respond(busy);
    await flush();
    expect(errors).toEqual([busy]);
    expect(seen).toEqual(['Proceeding', 'Completed', 'Terminated']);
  });
});

describe('request matching (RFC 3261 §17.2.3)', () => {
  it('matches by branch, sent-by and method: another sent-by or method is a new transaction', () => {
    const { layer } = h();
    const got: SipRequest[] = [];
    on(layer.onDidReceiveRequest, (e) => got.push(e.request));
    const b = branch();
    layer.receive(request({ method: 'OPTIONS', branch: b }), SRC_UDP);
    layer.receive(request({ method: 'OPTIONS', branch: b }), SRC_UDP);
    layer.receive(request({ method: 'OPTIONS', branch: b, viaHost: '198.51.100.1', callId: 'c2' }), SRC_UDP);
    layer.receive(request({ method: 'INFO', branch: b, callId: 'c3' }), SRC_UDP);
    expect(got.map((r) => `${r.method}/${r.topVia.host}`)).toEqual(['OPTIONS/192.0.2.10', 'OPTIONS/198.51.100.1', 'INFO/192.0.2.10']);
    expect(layer.serverTransactionCount).toBe(3);
  });

  it('RFC 2543 rules for branches without the magic cookie', () => {
    const { layer, transport } = h();
    const txs: AnyServerTransaction[] = [];
    on(layer.onDidReceiveRequest, (e) => txs.push(e.transaction));
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    const old = (spec: Parameters<typeof request>[0] = {}): SipRequest => request({ branch: 'oldbranch1', callId: 'legacy-call', ...spec });
    layer.receive(old(), SRC_UDP);
    expect(txs).toHaveLength(1);
    const tx = asIst(txs[0]!);
    // Same Request-URI, To tag, From tag, Call-ID, CSeq and top Via: a retransmission.
    layer.receive(old(), SRC_UDP);
    expect(transport.responses(100)).toHaveLength(1);
    // Any of them different: a new transaction.
    layer.receive(old({ seq: 2 }), SRC_UDP);
    layer.receive(old({ fromTag: 'other' }), SRC_UDP);
    expect(txs).toHaveLength(3);
    // Another top Via: not a retransmission, so a new transaction, which is a merged request
    // (same From tag, Call-ID and CSeq as a live one): 482.
    layer.receive(old({ viaPort: 5099 }), SRC_UDP);
    expect(txs).toHaveLength(3);
    expect(transport.responses(482)).toHaveLength(1);
    // A request without any branch is matched the same way.
    const nobranch = request({ callId: 'nobranch' });
    nobranch.set(H.Via, [{ ...nobranch.topVia, params: new Map() }]);
    layer.receive(nobranch, SRC_UDP);
    layer.receive(nobranch, SRC_UDP);
    expect(txs).toHaveLength(4);
    tx.respond(response(old(), 486, 'uas-tag'));
    // The ACK matches when its To tag is the one of the response (CSeq number, not method).
    layer.receive(old({ method: 'ACK', toTag: 'not-it' }), SRC_UDP);
    expect(tx.state).toBe('Completed');
    expect(acks).toHaveLength(1);
    layer.receive(old({ method: 'ACK', toTag: 'uas-tag' }), SRC_UDP);
    expect(tx.state).toBe('Confirmed');
    expect(acks).toHaveLength(1);
  });

  it('an ACK that matches no transaction goes to the TU (RFC 3261 §17.2.3)', () => {
    const { layer, transport } = h();
    const acks: IncomingAckEvent[] = [];
    on(layer.onDidReceiveAck, (e) => acks.push(e));
    const requests: unknown[] = [];
    on(layer.onDidReceiveRequest, (e) => requests.push(e));
    const ack = request({ method: 'ACK', toTag: 'x' });
    layer.receive(ack, SRC_UDP);
    expect(acks).toEqual([{ request: ack, source: SRC_UDP }]);
    expect(requests).toHaveLength(0);
    expect(transport.sent).toHaveLength(0);
    expect(layer.serverTransactionCount).toBe(0);
  });
});

describe('CANCEL (RFC 3261 §9.2)', () => {
  it('before the final response: 200 with the To tag of the INVITE responses, onDidReceiveCancel, TU sends 487', () => {
    const { layer, transport } = h();
    const invite = request();
    const tx = asIst(incoming(invite));
    tx.respond(response(invite, 180, 'callee'));
    const cancels: IncomingCancelEvent[] = [];
    on(layer.onDidReceiveCancel, (e) => cancels.push(e));
    const requests: unknown[] = [];
    on(layer.onDidReceiveRequest, (e) => requests.push(e));
    const cancel = request({ method: 'CANCEL', branch: invite.branch! });
    layer.receive(cancel, SRC_UDP);
    const ok = transport.responses(200);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.get(H.To)!.params.get('tag')).toBe('callee');
    expect(ok[0]!.headers.get('CSeq')).toBe('1 CANCEL');
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.inviteTransaction).toBe(tx);
    expect(cancels[0]!.cancel).toBe(cancel);
    expect(requests).toHaveLength(0);
    // A retransmitted CANCEL gets the same 200 from its transaction, no second event.
    layer.receive(request({ method: 'CANCEL', branch: invite.branch! }), SRC_UDP);
    expect(transport.responses(200)).toHaveLength(2);
    expect(cancels).toHaveLength(1);
    expect(tx.respond(response(invite, 487, tx.toTag))).toBe(true);
    expect(tx.state).toBe('Completed');
  });

  it('a CANCEL before any tagged response gets a tag the INVITE transaction then reports', () => {
    const { layer, transport } = h();
    const invite = request();
    const tx = asIst(incoming(invite));
    layer.receive(request({ method: 'CANCEL', branch: invite.branch! }), SRC_UDP);
    const tag = transport.responses(200)[0]!.get(H.To)!.params.get('tag');
    expect(tag).toMatch(/^[0-9a-f]+$/);
    expect(tx.toTag).toBe(tag);
  });

  it('after the final response: 200 but no event; unmatched: 481', () => {
    const { layer, transport } = h();
    const invite = request();
    const tx = asIst(incoming(invite));
    tx.respond(response(invite, 200, 'callee'));
    const cancels: unknown[] = [];
    on(layer.onDidReceiveCancel, (e) => cancels.push(e));
    layer.receive(request({ method: 'CANCEL', branch: invite.branch! }), SRC_UDP);
    expect(transport.responses(200)).toHaveLength(2);
    expect(cancels).toHaveLength(0);
    layer.receive(request({ method: 'CANCEL', callId: 'unknown' }), SRC_UDP);
    expect(transport.responses(481)).toHaveLength(1);
    expect(cancels).toHaveLength(0);
  });

  it('a CANCEL of an RFC 2543 INVITE matches by Request-URI, tags, Call-ID, CSeq number and top Via', () => {
    const { layer, transport } = h();
    const invite = request({ branch: 'legacy-7', callId: 'legacy' });
    const tx = asIst(incoming(invite));
    const cancels: IncomingCancelEvent[] = [];
    on(layer.onDidReceiveCancel, (e) => cancels.push(e));
    layer.receive(request({ method: 'CANCEL', branch: 'legacy-7', callId: 'legacy' }), SRC_UDP);
    expect(cancels.map((c) => c.inviteTransaction)).toEqual([tx]);
    layer.receive(request({ method: 'CANCEL', branch: 'legacy-7', callId: 'legacy', seq: 9 }), SRC_UDP);
    expect(transport.responses(481)).toHaveLength(1);
  });
});

describe('merged requests (RFC 3261 §8.2.2.2)', () => {
  it('answers 482 to a request with the From tag, Call-ID and CSeq of a live transaction but another branch', () => {
    const { layer, clock, transport } = h();
    const got: SipRequest[] = [];
    on(layer.onDidReceiveRequest, (e) => got.push(e.request));
    const first = request({ method: 'INVITE' });
    layer.receive(first, SRC_UDP);
    const forked = request({ method: 'INVITE', viaHost: '198.51.100.2' });
    layer.receive(forked, { protocol: 'udp', address: '198.51.100.2', port: 5060 });
    expect(got).toEqual([first]);
    const loop = transport.responses(482);
    expect(loop).toHaveLength(1);
    expect(transport.sent.find((s) => s.message === loop[0])!.destination.address).toBe('198.51.100.2');
    // The 482 is retransmitted for a retransmission of the merged request.
    layer.receive(request({ method: 'INVITE', viaHost: '198.51.100.2', branch: forked.branch! }), { protocol: 'udp', address: '198.51.100.2', port: 5060 });
    expect(transport.responses(482)).toHaveLength(2);
    // With a To tag (in a dialog) there is no merge check.
    layer.receive(request({ method: 'INFO', toTag: 't', seq: 5 }), SRC_UDP);
    layer.receive(request({ method: 'INFO', toTag: 't', seq: 5, viaHost: '198.51.100.3' }), SRC_UDP);
    expect(got).toHaveLength(3);
    clock.advance(200);
  });
});

describe('the layer', () => {
  it('drops a request it cannot read and reports it', () => {
    const { layer } = h();
    const dropped: string[] = [];
    on(layer.onDidDropMessage, (e) => dropped.push(e.reason));
    const req = request();
    req.setHeader('Via', undefined);
    layer.receive(req, SRC_UDP);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(/Via/);
  });

  it('disposing terminates every server transaction and cancels every timer', () => {
    const { makeLayer, clock } = h();
    const layer = makeLayer();
    const txs: AnyServerTransaction[] = [];
    on(layer.onDidReceiveRequest, (e) => txs.push(e.transaction));
    const invite = request();
    layer.receive(invite, SRC_UDP);
    layer.receive(request({ method: 'OPTIONS' }), SRC_UDP);
    txs[0]!.respond(response(invite, 486, 'x'));
    const ended: string[] = [];
    for (const tx of txs) on(tx.onDidTerminate, (e) => ended.push(e.transaction.method));
    expect(clock.pendingCount).toBeGreaterThan(0);
    layer.dispose();
    expect(ended.sort()).toEqual(['INVITE', 'OPTIONS']);
    expect(clock.pendingCount).toBe(0);
    expect(layer.serverTransactionCount).toBe(0);
    layer.receive(request(), SRC_UDP);
    expect(txs).toHaveLength(2);
  });
});
