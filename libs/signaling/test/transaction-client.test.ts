import { describe, expect, it } from 'vitest';
import { InvalidStateError, SdkError, TransactionTimeoutError, TransportError } from '@sip-endpoint/base';
import { H, SipRequest } from '../src/message/index';
import {
  InviteClientState,
  InviteClientTransaction,
  NonInviteClientState,
  type ClientTransaction,
} from '../src/transaction/index';
import { nameAddr, on, request, response, sipUri, SRC_UDP, TCP, UDP, useHarness } from './transaction-helpers';

const h = useHarness();

function states(tx: ClientTransaction): string[] {
  const out: string[] = [tx.state];
  on(tx.onDidChangeState, (e) => out.push(e.state));
  return out;
}

function asInvite(tx: ClientTransaction): InviteClientTransaction {
  if (!(tx instanceof InviteClientTransaction)) throw new Error('not an INVITE client transaction');
  return tx;
}

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2)', () => {
  it('retransmits on Timer A at T1, 2T1, 4T1... over UDP and times out on Timer B = 64*T1', async () => {
    const { layer, clock, transport } = h();
    const tx = layer.sendRequest(request(), UDP);
    const seen = states(tx);
    const timeouts: TransactionTimeoutError[] = [];
    on(tx.onDidTimeout, (e) => timeouts.push(e.error));
    const final = tx.finalResponse;
    clock.advance(31_999);
    expect(transport.timesOf('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(tx.state).toBe(InviteClientState.Calling);
    clock.advance(1);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!.details.timer).toBe('B');
    expect(seen).toEqual(['Calling', 'Terminated']);
    await expect(final).rejects.toBeInstanceOf(TransactionTimeoutError);
    expect(layer.clientTransactionCount).toBe(0);
    expect(clock.pendingCount).toBe(0);
  });

  it('sends once over a reliable transport and still times out on Timer B', () => {
    const { layer, clock, transport } = h();
    const tx = layer.sendRequest(request(), TCP);
    let timedOut = 0;
    on(tx.onDidTimeout, () => timedOut++);
    clock.advance(31_999);
    expect(transport.timesOf('INVITE')).toEqual([0]);
    expect(transport.sent[0]!.destination).toEqual(TCP);
    clock.advance(1);
    expect(timedOut).toBe(1);
    expect(tx.state).toBe('Terminated');
  });

  it('takes T1 from the options (T1 = 100 ms: A at 100, 300, 700..., B at 6.4 s)', () => {
    const { makeLayer, clock, transport } = h();
    const layer = makeLayer({ t1Ms: 100 });
    const tx = layer.sendRequest(request(), UDP);
    clock.advance(6399);
    expect(transport.timesOf('INVITE')).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(tx.state).toBe('Calling');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
  });

  it('moves to Proceeding on 1xx: stops retransmitting, passes every 1xx up, no Timer B timeout', () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = layer.sendRequest(req, UDP);
    const got: number[] = [];
    on(tx.onDidReceiveResponse, (e) => got.push(e.response.status));
    clock.advance(600);
    layer.receive(response(req, 100), UDP);
    layer.receive(response(req, 180, 'b1'), UDP);
    layer.receive(response(req, 180, 'b1'), UDP);
    clock.advance(100_000);
    expect(transport.timesOf('INVITE')).toEqual([0, 500]);
    expect(tx.state).toBe(InviteClientState.Proceeding);
    expect(got).toEqual([100, 180, 180]);
  });

  it('on 300-699 builds the ACK per §17.1.1.3, moves to Completed, and Timer D (32 s) ends it', () => {
    const { layer, clock, transport } = h();
    const route = [nameAddr(sipUri(undefined, 'proxy.example.com')), nameAddr(sipUri(undefined, 'p2.example.com'))];
    const first = route[0]!.uri;
    if (first.kind === 'sip') first.params.set('lr', null);
    const req = request({ routes: route, seq: 42 });
    const tx = asInvite(layer.sendRequest(req, UDP));
    const seen = states(tx);
    const got: number[] = [];
    on(tx.onDidReceiveResponse, (e) => got.push(e.response.status));
    clock.advance(100);
    layer.receive(response(req, 486, 'callee-tag'), UDP);
    expect(tx.state).toBe(InviteClientState.Completed);
    const acks = transport.requests('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!;
    expect(transport.sent.at(-1)!.destination).toEqual(UDP);
    expect(ack.uri).toEqual(req.uri);
    expect(ack.via).toHaveLength(1);
    expect(ack.via[0]).toEqual(req.topVia);
    expect(ack.branch).toBe(req.branch);
    expect(ack.headers.get('Call-ID')).toBe(req.headers.get('Call-ID'));
    expect(ack.headers.get('From')).toBe(req.headers.get('From'));
    expect(ack.headers.get('To')).toContain('tag=callee-tag');
    expect(ack.get(H.CSeq)).toEqual({ seq: 42, method: 'ACK' });
    expect(ack.headers.getAll('Route')).toEqual(req.headers.getAll('Route'));
    expect(tx.ackRequest).toBe(ack);
    // A retransmitted final: ACK again, not passed up.
    layer.receive(response(req, 486, 'callee-tag'), UDP);
    expect(transport.requests('ACK')).toHaveLength(2);
    expect(got).toEqual([486]);
    clock.advance(31_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(seen).toEqual(['Calling', 'Completed', 'Terminated']);
    expect(transport.timesOf('INVITE')).toEqual([0]);
  });

  it('Timer D comes from the options and is 0 over a reliable transport', () => {
    const { makeLayer, clock } = h();
    const layer = makeLayer({ timerDMs: 40_000 });
    const req = request();
    const tx = layer.sendRequest(req, UDP);
    layer.receive(response(req, 404, 't'), UDP);
    clock.advance(39_999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');

    const req2 = request();
    const tcp = layer.sendRequest(req2, TCP);
    const seen = states(tcp);
    layer.receive(response(req2, 603, 't'), TCP);
    expect(seen).toEqual(['Calling', 'Completed', 'Terminated']);
  });

  it('on 2xx moves to Accepted, passes retransmitted 2xx and 2xx of other forks up, ends on Timer M = 64*T1', async () => {
    const { layer, clock, transport } = h();
    const req = request();
    const tx = layer.sendRequest(req, UDP);
    const seen = states(tx);
    const got: string[] = [];
    on(tx.onDidReceiveResponse, (e) => got.push(`${e.response.status}/${e.response.to.params.get('tag')}`));
    const stray: number[] = [];
    on(layer.onDidReceiveStrayResponse, (e) => stray.push(e.response.status));
    clock.advance(1000);
    layer.receive(response(req, 200, 'fork1'), UDP);
    expect(tx.state).toBe(InviteClientState.Accepted);
    await expect(tx.finalResponse).resolves.toMatchObject({ status: 200 });
    layer.receive(response(req, 200, 'fork1'), UDP);
    layer.receive(response(req, 200, 'fork2'), UDP);
    layer.receive(response(req, 180, 'fork3'), UDP);
    expect(got).toEqual(['200/fork1', '200/fork1', '200/fork2']);
    expect(transport.requests('ACK')).toHaveLength(0); // the ACK for a 2xx is the TU's job
    clock.advance(31_999);
    expect(tx.state).toBe('Accepted');
    clock.advance(1);
    expect(seen).toEqual(['Calling', 'Accepted', 'Terminated']);
    expect(clock.now()).toBe(33_000);
    layer.receive(response(req, 200, 'fork1'), UDP);
    expect(stray).toEqual([200]);
    expect(transport.timesOf('INVITE')).toEqual([0, 500]);
  });

  it('over TCP: Proceeding -> Accepted on 2xx, Timer M is still 64*T1', () => {
    const { layer, clock } = h();
    const req = request();
    const tx = layer.sendRequest(req, TCP);
    const seen = states(tx);
    layer.receive(response(req, 180, 'b'), TCP);
    layer.receive(response(req, 200, 'b'), TCP);
    clock.advance(31_999);
    expect(tx.state).toBe('Accepted');
    clock.advance(1);
    expect(seen).toEqual(['Calling', 'Proceeding', 'Accepted', 'Terminated']);
  });

  it('reports a transport error (treat as 503) and terminates; finalResponse rejects with TransportError', async () => {
    const { layer, transport, flush } = h();
    transport.fail = () => true;
    const tx = layer.sendRequest(request(), UDP);
    const errors: TransportError[] = [];
    const layerErrors: unknown[] = [];
    on(tx.onDidTransportError, (e) => errors.push(e.error));
    on(layer.onDidTransportError, (e) => layerErrors.push(e.error));
    await flush();
    expect(errors).toHaveLength(1);
    expect(layerErrors).toEqual(errors);
    expect(tx.state).toBe('Terminated');
    await expect(tx.finalResponse).rejects.toBeInstanceOf(TransportError);
  });

  it('an unawaited finalResponse that rejects is never an unhandled rejection', async () => {
    const { layer, clock, flush } = h();
    const tx = layer.sendRequest(request(), UDP);
    void tx.finalResponse;
    clock.advance(32_000);
    await flush();
    expect(tx.state).toBe('Terminated');
  });
});

describe('CANCEL (RFC 3261 §9.1)', () => {
  it('waits for a provisional response before sending the CANCEL, built per §9.1', () => {
    const { layer, clock, transport } = h();
    const route = [nameAddr(sipUri(undefined, 'proxy.example.com'))];
    const req = request({ routes: route, seq: 7 });
    const tx = asInvite(layer.sendRequest(req, UDP));
    const sentCancel: ClientTransaction[] = [];
    on(tx.onDidSendCancel, (e) => sentCancel.push(e.cancelTransaction));
    tx.cancel();
    clock.advance(1000);
    expect(transport.requests('CANCEL')).toHaveLength(0);
    layer.receive(response(req, 180, 'b'), UDP);
    const cancels = transport.requests('CANCEL');
    expect(cancels).toHaveLength(1);
    const c = cancels[0]!;
    expect(c.uri).toEqual(req.uri);
    expect(c.via).toEqual([req.topVia]);
    expect(c.headers.get('To')).toBe(req.headers.get('To'));
    expect(c.headers.get('From')).toBe(req.headers.get('From'));
    expect(c.headers.get('Call-ID')).toBe(req.headers.get('Call-ID'));
    expect(c.get(H.CSeq)).toEqual({ seq: 7, method: 'CANCEL' });
    expect(c.headers.getAll('Route')).toEqual(req.headers.getAll('Route'));
    expect(sentCancel).toHaveLength(1);
    const ctx = tx.cancelTransaction!;
    expect(ctx.isInvite).toBe(false);
    expect(ctx.state).toBe(NonInviteClientState.Trying);
    // The 200 to the CANCEL goes to the CANCEL transaction, the 487 to the INVITE.
    layer.receive(response(c, 200, 'b'), UDP);
    expect(ctx.state).toBe('Completed');
    expect(tx.state).toBe('Proceeding');
    layer.receive(response(req, 487, 'b'), UDP);
    expect(tx.state).toBe('Completed');
    expect(transport.requests('ACK')).toHaveLength(1);
  });

  it('sends the CANCEL at once after a provisional, and only once', () => {
    const { layer, transport } = h();
    const req = request();
    const tx = asInvite(layer.sendRequest(req, TCP));
    layer.receive(response(req, 183, 'b'), TCP);
    tx.cancel();
    tx.cancel();
    expect(transport.requests('CANCEL')).toHaveLength(1);
    expect(transport.sent.at(-1)!.destination).toEqual(TCP);
  });

  it('sends no CANCEL when a final response comes before any provisional', () => {
    const { layer, transport } = h();
    const req = request();
    const tx = asInvite(layer.sendRequest(req, UDP));
    tx.cancel();
    layer.receive(response(req, 200, 'b'), UDP);
    layer.receive(response(req, 180, 'b'), UDP);
    expect(transport.requests('CANCEL')).toHaveLength(0);
    tx.cancel();
    expect(transport.requests('CANCEL')).toHaveLength(0);
  });

  it('gives the INVITE up 64*T1 after the CANCEL when no final response comes', () => {
    const { layer, clock } = h();
    const req = request();
    const tx = asInvite(layer.sendRequest(req, TCP));
    layer.receive(response(req, 180, 'b'), TCP);
    clock.advance(10_000);
    tx.cancel();
    const timers: (string | undefined)[] = [];
    on(tx.onDidTimeout, (e) => timers.push(e.error.details.timer));
    clock.advance(31_999);
    expect(tx.state).toBe('Proceeding');
    clock.advance(1);
    expect(timers).toEqual(['CANCEL']);
    expect(tx.state).toBe('Terminated');
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits on Timer E doubling from T1 capped at T2, times out on Timer F = 64*T1', async () => {
    const { layer, clock, transport } = h();
    const tx = layer.sendRequest(request({ method: 'OPTIONS' }), UDP);
    const seen = states(tx);
    const timers: (string | undefined)[] = [];
    on(tx.onDidTimeout, (e) => timers.push(e.error.details.timer));
    clock.advance(31_999);
    expect(transport.timesOf('OPTIONS')).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    clock.advance(1);
    expect(timers).toEqual(['F']);
    expect(seen).toEqual(['Trying', 'Terminated']);
    await expect(tx.finalResponse).rejects.toBeInstanceOf(TransactionTimeoutError);
  });

  it('retransmits every T2 in Proceeding and times out on F there too', () => {
    const { layer, clock, transport } = h();
    const req = request({ method: 'REGISTER' });
    const tx = layer.sendRequest(req, UDP);
    const got: number[] = [];
    on(tx.onDidReceiveResponse, (e) => got.push(e.response.status));
    clock.advance(100);
    layer.receive(response(req, 100), UDP);
    expect(tx.state).toBe(NonInviteClientState.Proceeding);
    clock.advance(31_899);
    expect(transport.timesOf('REGISTER')).toEqual([0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500]);
    expect(got).toEqual([100]);
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
  });

  it('uses T1 and T2 from the options (T1 = 200, T2 = 1000)', () => {
    const { makeLayer, clock, transport } = h();
    const layer = makeLayer({ t1Ms: 200, t2Ms: 1000 });
    const tx = layer.sendRequest(request({ method: 'MESSAGE' }), UDP);
    clock.advance(12_799);
    expect(transport.timesOf('MESSAGE').slice(0, 6)).toEqual([0, 200, 600, 1400, 2400, 3400]);
    expect(tx.state).toBe('Trying');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
  });

  it('on a final response moves to Completed, absorbs retransmissions, ends on Timer K = T4', async () => {
    const { layer, clock, transport } = h();
    const req = request({ method: 'BYE', toTag: 'x' });
    const tx = layer.sendRequest(req, UDP);
    const seen = states(tx);
    const got: number[] = [];
    on(tx.onDidReceiveResponse, (e) => got.push(e.response.status));
    clock.advance(700);
    layer.receive(response(req, 200, 'x'), UDP);
    expect(tx.state).toBe(NonInviteClientState.Completed);
    await expect(tx.finalResponse).resolves.toMatchObject({ status: 200 });
    layer.receive(response(req, 200, 'x'), UDP);
    expect(got).toEqual([200]);
    clock.advance(4999);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(seen).toEqual(['Trying', 'Completed', 'Terminated']);
    expect(transport.timesOf('BYE')).toEqual([0, 500]);
  });

  it('over TCP: no Timer E, Timer K = 0 (Terminated at once on the final response)', () => {
    const { layer, clock, transport } = h();
    const req = request({ method: 'SUBSCRIBE' });
    const tx = layer.sendRequest(req, TCP);
    const seen = states(tx);
    clock.advance(10_000);
    expect(transport.timesOf('SUBSCRIBE')).toEqual([0]);
    layer.receive(response(req, 202, 't'), TCP);
    expect(seen).toEqual(['Trying', 'Completed', 'Terminated']);
  });

  it('over TCP: Trying -> Proceeding -> Completed -> Terminated', () => {
    const { layer } = h();
    const req = request({ method: 'REFER', toTag: 'x' });
    const tx = layer.sendRequest(req, TCP);
    const seen = states(tx);
    layer.receive(response(req, 100), TCP);
    layer.receive(response(req, 202, 'x'), TCP);
    expect(seen).toEqual(['Trying', 'Proceeding', 'Completed', 'Terminated']);
  });

  it('a transport error in Proceeding (a retransmission failing) terminates too', async () => {
    const { layer, clock, transport, flush } = h();
    const req = request({ method: 'OPTIONS' });
    const tx = layer.sendRequest(req, UDP);
    layer.receive(response(req, 100), UDP);
    transport.fail = () => true;
    clock.advance(500);
    await flush();
    expect(tx.state).toBe('Terminated');
    await expect(tx.finalResponse).rejects.toBeInstanceOf(TransportError);
  });

  it('Timer K takes T4 from the options', () => {
    const { makeLayer, clock } = h();
    const layer = makeLayer({ t4Ms: 1234 });
    const req = request({ method: 'INFO' });
    const tx = layer.sendRequest(req, UDP);
    layer.receive(response(req, 500, 't'), UDP);
    clock.advance(1233);
    expect(tx.state).toBe('Completed');
    clock.advance(1);
    expect(tx.state).toBe('Terminated');
  });
});

describe('response matching (RFC 3261 §17.1.3) and the layer', () => {
  it('matches by branch and CSeq method, checks sent-by; others are stray', () => {
    const { layer, transport } = h();
    const req = request({ method: 'OPTIONS' });
    const tx = layer.sendRequest(req, UDP);
    const stray: number[] = [];
    on(layer.onDidReceiveStrayResponse, (e) => stray.push(e.response.status));
    const otherMethod = response(req, 200, 't');
    otherMethod.set(H.CSeq, { seq: 1, method: 'INFO' });
    layer.receive(otherMethod, UDP);
    const otherSentBy = response(req, 201, 't');
    otherSentBy.set(H.Via, [{ ...req.topVia, host: '198.51.100.7' }]);
    layer.receive(otherSentBy, UDP);
    expect(stray).toEqual([200, 201]);
    expect(tx.state).toBe('Trying');
    layer.receive(response(req, 202, 't'), UDP);
    expect(tx.state).toBe('Completed');
    expect(transport.sent).toHaveLength(1);
  });

  it('adds a Via with a magic-cookie branch and rport when the request has none', () => {
    const { layer, transport } = h();
    const req = new SipRequest('OPTIONS', sipUri('bob', 'example.com'));
    req.set(H.CSeq, { seq: 1, method: 'OPTIONS' });
    const tx = layer.sendRequest(req, TCP);
    const v = transport.requests('OPTIONS')[0]!.topVia;
    expect(v.transport).toBe('TCP');
    expect(v.host).toBe('192.0.2.99');
    expect(v.port).toBe(5070);
    expect(v.params.get('branch')).toMatch(/^z9hG4bK/);
    expect(v.params.has('rport')).toBe(true);
    expect(tx.branch).toBe(v.params.get('branch'));
  });

  it('refuses ACK and a second transaction with the same branch and method', () => {
    const { layer } = h();
    expect(() => layer.sendRequest(request({ method: 'ACK' }), UDP)).toThrow(SdkError);
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-dup' });
    layer.sendRequest(req, UDP);
    expect(() => layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-dup' }), UDP)).toThrow(InvalidStateError);
  });

  it('disposing the layer terminates every client transaction and cancels every timer', async () => {
    const { makeLayer, clock } = h();
    const layer = makeLayer();
    const a = layer.sendRequest(request(), UDP);
    const b = layer.sendRequest(request({ method: 'OPTIONS' }), SRC_UDP);
    const ended: string[] = [];
    on(a.onDidTerminate, () => ended.push('a'));
    on(b.onDidTerminate, () => ended.push('b'));
    expect(clock.pendingCount).toBeGreaterThan(0);
    layer.dispose();
    expect(ended.sort()).toEqual(['a', 'b']);
    expect(clock.pendingCount).toBe(0);
    await expect(a.finalResponse).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => layer.sendRequest(request(), UDP)).toThrow(InvalidStateError);
  });
});
