/**
 * The endpoint tests' real-peer harness, shared with the features (test code, not library code):
 * our endpoints as parties with tone sources and memory sinks, the Genesys host for SIPp's 3pcc
 * flows, SIPp and Kamailio runners. The features never re-implement what those tests already drive.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries -- shared test harness, not library code
export { party, reach, nextSession, dominant, sleep, until, withTimeout, type Party } from '../../libs/endpoint/test/support/endpoints';
// eslint-disable-next-line @nx/enforce-module-boundaries -- shared test harness, not library code
export { GenesysHost, type HostSession } from '../../libs/endpoint/test/genesys-host';
// eslint-disable-next-line @nx/enforce-module-boundaries -- shared test harness, not library code
export { freePort, hasProgram, startKamailio, startSipp, type PeerProcess, type SippRun } from '../../libs/signaling/test/support/peers';
