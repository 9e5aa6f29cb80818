/**
 * The real-peer helpers of the other libraries' tests, re-exported in one place for the endpoint
 * tests: SIPp, Kamailio and port helpers (signaling), the dnsmasq harness (signaling), WAV
 * reading (media-native). Test code only: the module-boundary rule is meant for library code.
 */
export { PEERS_DIR, connectBaresipControl, freePort, hasProgram, startSipp, toneWav, type BaresipControl, waitForTcpPort, waitForUdpPort, type SippOptions, type SippRun } from '../../../signaling/test/support/peers';
export { startDnsmasq, type DnsmasqServer } from '../../../signaling/test/support/dnsmasq';
export { after, readWav } from '../../../media-native/test/support/audio';
