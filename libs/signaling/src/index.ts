/**
 * @packageDocumentation
 * `@sip-endpoint/signaling`: a SIP stack in TypeScript for Node.js. Layers, lowest first:
 * message (RFC 3261 §7, §20, §25), transport (§18), dns (RFC 3263), auth (RFC 2617/7616),
 * sdp (RFC 3264), transaction (§17), dialog (§12-§14, RFC 6665), ua.
 */
export * from './message/index';
export * from './transport/index';
export * from './dns/index';
export * from './auth/index';
export * from './sdp/index';
export * from './transaction/index';
export * from './dialog/index';
export * from './ua/index';
