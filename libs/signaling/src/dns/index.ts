/** The dns layer: RFC 3263 (NAPTR -> SRV -> A/AAAA), RFC 2782 SRV ordering, target failover. */
export { type TargetTransport, type SipTarget, type ResolvedTarget, TARGET_TRANSPORTS, defaultPortFor, targetKey } from './types';
export { type SrvRecord, type RandomSource, orderSrvRecords } from './srv';
export { type TargetFailure, type TargetBlacklistOptions, TargetBlacklist, TargetList } from './target-list';
export { type SipResolverOptions, SipResolver } from './resolver';
export { DnsResolutionError } from './errors';
