/**
 * Parsers of header values (RFC 3261 §25 grammar). Each throws `SipParseError` (with the header
 * name and the status a UAS should answer) on malformed input and never anything else.
 *
 * STUB: signatures only; the message-layer work implements them.
 */
import { SipParseError } from './errors';
import type {
  AuthValue,
  ContactValue,
  CSeq,
  EventValue,
  InfoValue,
  MediaType,
  NameAddr,
  ReasonValue,
  ReplacesValue,
  RetryAfterValue,
  SubscriptionStateValue,
  Uri,
  Via,
} from './types';

const todo = (what: string): never => {
  throw new SipParseError(`${what}: parser not implemented yet`);
};

/** The one value of a header that must appear once (RFC 4475 §3.3.8: several is a 400). */
export function singleValue(lines: readonly string[], header: string): string {
  if (lines.length !== 1) throw new SipParseError(`${header} must appear exactly once`, { header, status: 400 });
  return lines[0]!;
}
export function parseUri(_text: string): Uri { return todo('parseUri'); }
export function parseNameAddr(_value: string, _header: string): NameAddr { return todo('parseNameAddr'); }
export function parseNameAddrList(_value: string, _header: string): NameAddr[] { return todo('parseNameAddrList'); }
export function parseViaList(_value: string, _header: string): Via[] { return todo('parseViaList'); }
export function parseCallId(_value: string, _header: string): string { return todo('parseCallId'); }
export function parseCSeq(_value: string, _header: string): CSeq { return todo('parseCSeq'); }
export function parseContact(_lines: readonly string[], _header: string): ContactValue { return todo('parseContact'); }
export function parseMaxForwards(_value: string, _header: string): number { return todo('parseMaxForwards'); }
export function parseContentLength(_value: string, _header: string): number { return todo('parseContentLength'); }
export function parseMediaType(_value: string, _header: string): MediaType { return todo('parseMediaType'); }
export function parseMediaTypeList(_value: string, _header: string): MediaType[] { return todo('parseMediaTypeList'); }
export function parseDeltaSeconds(_value: string, _header: string): number { return todo('parseDeltaSeconds'); }
export function parseAuth(_value: string, _header: string): AuthValue { return todo('parseAuth'); }
export function parseEvent(_value: string, _header: string): EventValue { return todo('parseEvent'); }
export function parseTokenList(_value: string, _header: string): string[] { return todo('parseTokenList'); }
export function parseSubscriptionState(_value: string, _header: string): SubscriptionStateValue { return todo('parseSubscriptionState'); }
export function parseReferSub(_value: string, _header: string): boolean { return todo('parseReferSub'); }
export function parseReplaces(_value: string, _header: string): ReplacesValue { return todo('parseReplaces'); }
export function parseInfoList(_value: string, _header: string): InfoValue[] { return todo('parseInfoList'); }
export function parseReasonList(_value: string, _header: string): ReasonValue[] { return todo('parseReasonList'); }
export function parseRetryAfter(_value: string, _header: string): RetryAfterValue { return todo('parseRetryAfter'); }
