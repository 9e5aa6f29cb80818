/**
 * The endpoint tests' real-peer harness, shared with the features (test code, not library code):
 * our endpoints as parties with tone sources and memory sinks, the Genesys host for SIPp's 3pcc
 * flows, SIPp and Kamailio runners, Kamailio sites and dnsmasq for failover. The features never re-implement what those tests already drive.
 */
export { party, reach, nextSession, dominant, goertzel, sleep, until, withTimeout, type Party } from '../../libs/endpoint/test/support/endpoints';
export { GenesysHost, type HostSession } from '../../libs/endpoint/test/genesys-host';
export { freePort, hasProgram, startKamailio, startSipp, type PeerProcess, type SippRun } from '../../libs/signaling/test/support/peers';
export { startDnsmasq, type DnsmasqServer } from '../../libs/signaling/test/support/dnsmasq';
export { startKamailioSite, type KamailioSite } from '../../libs/endpoint/test/support/kamailio';
