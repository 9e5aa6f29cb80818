import { describe, expect, it } from 'vitest';
import { responseDestination, responseDestinations, type Destination } from '../src/transaction/index';
import { via } from './transaction-helpers';

const udpSource: Destination = { protocol: 'udp', address: '203.0.113.5', port: 40123 };
const tcpSource: Destination = { protocol: 'tcp', address: '203.0.113.5', port: 50000, connectionId: 'c7' };

describe('responseDestination (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('UDP: received and rport from the top Via', () => {
    const v = via('z9hG4bK1', { host: '10.0.0.2', port: 5062, params: [['received', '203.0.113.5'], ['rport', '40123']] });
    expect(responseDestination(v, udpSource)).toEqual({ protocol: 'udp', address: '203.0.113.5', port: 40123 });
    expect(responseDestinations(v, udpSource)[1]).toEqual({ protocol: 'udp', address: '10.0.0.2', port: 5062 });
  });

  it('UDP: received without rport uses the sent-by port; an empty rport uses the source port', () => {
    expect(responseDestination(via('z9hG4bK1', { host: '10.0.0.2', port: 5062, params: [['received', '203.0.113.5']] }), udpSource)).toEqual({
      protocol: 'udp',
      address: '203.0.113.5',
      port: 5062,
    });
    expect(responseDestination(via('z9hG4bK1', { host: '203.0.113.5', port: 5062, params: [['rport', null]] }), udpSource)).toEqual({
      protocol: 'udp',
      address: '203.0.113.5',
      port: 40123,
    });
  });

  it('UDP: maddr wins, with the sent-by port or 5060', () => {
    const v = via('z9hG4bK1', { host: 'a.example.com', params: [['maddr', '239.255.255.1']] });
    v.port = undefined;
    expect(responseDestination(v, udpSource)).toEqual({ protocol: 'udp', address: '239.255.255.1', port: 5060 });
  });

  it('UDP: sent-by itself when nothing is stamped; IPv6 loses its brackets', () => {
    const v = via('z9hG4bK1', { host: '[2001:db8::1]', port: 5070 });
    expect(responseDestination(v, { protocol: 'udp', address: '2001:db8::1', port: 5070 })).toEqual({ protocol: 'udp', address: '2001:db8::1', port: 5070 });
  });

  it('TCP: the connection the request came on first, then received with the sent-by port, then sent-by', () => {
    const v = via('z9hG4bK1', { transport: 'TCP', host: 'pc.example.com', port: 5090, params: [['received', '203.0.113.5']] });
    expect(responseDestinations(v, tcpSource)).toEqual([
      { protocol: 'tcp', address: '203.0.113.5', port: 50000, connectionId: 'c7' },
      { protocol: 'tcp', address: '203.0.113.5', port: 5090 },
      { protocol: 'tcp', address: 'pc.example.com', port: 5090 },
    ]);
  });

  it('TLS: default port 5061 when sent-by has none', () => {
    const v = via('z9hG4bK1', { transport: 'TLS', host: '198.51.100.4' });
    v.port = undefined;
    expect(responseDestinations(v, { protocol: 'tls', address: '198.51.100.4', port: 61000 })).toEqual([{ protocol: 'tls', address: '198.51.100.4', port: 5061 }]);
  });
});
