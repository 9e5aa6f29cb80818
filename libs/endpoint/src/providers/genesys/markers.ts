/**
 * Parsing of the auto-answer markers a Genesys-style SIP Server puts on an INVITE
 * (genesys-compat §1, TMakeCall / TInitiateTransfer): `Call-Info: <...>;answer-after=N`,
 * `Alert-Info: <...>;info=alert-autoanswer`, and `Answer-Mode: Auto` (RFC 5373). Pure functions
 * over header values, so every spelling can be unit-tested without a SIP stack.
 */

/** Which header asked for auto-answer. */
export type AutoAnswerMarkerSource = 'call-info' | 'alert-info' | 'answer-mode' | 'priv-answer-mode';

/** One auto-answer request found on an INVITE. */
export interface AutoAnswerMarker {
  /** The header that carried it. */
  readonly source: AutoAnswerMarkerSource;
  /** Delay before answering, in ms (0 = at once). */
  readonly delayMs: number;
}

/** The largest `answer-after` honoured, in seconds (one hour); a larger value is clamped to it. */
export const MAX_ANSWER_AFTER_SECONDS = 3600;

/**
 * Splits a header value into its comma-separated entries, ignoring commas inside `<...>` and
 * quoted strings (RFC 3261 §7.3.1: a comma-separated list is the same as several header lines).
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inAngle = false;
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (inQuote) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) cur += value.charAt(++i);
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') inAngle = true;
    else if (ch === '>') inAngle = false;
    else if (ch === ',' && !inAngle) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/**
 * The header parameters of one list entry (`<uri>;a=b;c`), names lower-cased, values unquoted
 * (a parameter without value maps to the empty string). Parameters inside `<...>` belong to the
 * URI and are not returned; an entry without `<...>` is read as parameters after its first `;`.
 */
export function entryParams(entry: string): Map<string, string> {
  const params = new Map<string, string>();
  let rest: string;
  const close = entry.lastIndexOf('>');
  if (entry.includes('<') && close >= 0) rest = entry.slice(close + 1);
  else {
    const semi = entry.indexOf(';');
    // An entry made only of parameters (`answer-after=0`, `info=alert-autoanswer`), as some servers send.
    rest = semi >= 0 ? entry.slice(semi) : entry.includes('=') ? `;${entry}` : '';
  }
  for (const part of rest.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq >= 0 ? p.slice(0, eq) : p).trim().toLowerCase();
    let val = eq >= 0 ? p.slice(eq + 1).trim() : '';
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1);
    if (name !== '') params.set(name, val);
  }
  return params;
}

/** The URI of a list entry (`<...>` content, trimmed), or `undefined` when there is none. */
function entryUri(entry: string): string | undefined {
  const open = entry.indexOf('<');
  const close = entry.indexOf('>', open + 1);
  return open >= 0 && close > open ? entry.slice(open + 1, close).trim() : undefined;
}

/**
 * Reads `answer-after` from a Call-Info value. Returns the delay in ms of the first entry that
 * carries a valid one (a non-negative number of seconds, decimals allowed), or `undefined`.
 */
export function parseCallInfoAnswerAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  for (const entry of splitHeaderList(value)) {
    const raw = entryParams(entry).get('answer-after');
    if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw)) continue;
    const seconds = Math.min(Number(raw), MAX_ANSWER_AFTER_SECONDS);
    return Math.round(seconds * 1000);
  }
  return undefined;
}

/**
 * Whether an Alert-Info value asks for auto-answer: an entry with `info=alert-autoanswer`
 * (the Genesys / BroadSoft form, any case), or *(convention)* the RFC 7462 alert URN
 * `urn:alert:service:auto-answer`.
 */
export function alertInfoAsksAutoAnswer(value: string | undefined): boolean {
  if (value === undefined) return false;
  for (const entry of splitHeaderList(value)) {
    if (entryParams(entry).get('info')?.toLowerCase() === 'alert-autoanswer') return true;
    if (entryUri(entry)?.toLowerCase() === 'urn:alert:service:auto-answer') return true;
  }
  return false;
}

/**
 * Whether an `Answer-Mode` / `Priv-Answer-Mode` value is `Auto` (RFC 5373: the value is `Manual`, `Auto`
 * or an extension token, optionally followed by `;require`). Tokens compare case-insensitively.
 */
export function answerModeIsAuto(value: string | undefined): boolean {
  if (value === undefined) return false;
  const first = splitHeaderList(value)[0];
  if (first === undefined) return false;
  const token = (first.split(';')[0] ?? '').trim().toLowerCase();
  return token === 'auto';
}

/**
 * Every auto-answer marker of an INVITE, read through a header accessor that takes lower-cased
 * names (as {@link IncomingCallInfo.header} does).
 */
export function findAutoAnswerMarkers(header: (name: string) => string | undefined): AutoAnswerMarker[] {
  const found: AutoAnswerMarker[] = [];
  const callInfo = parseCallInfoAnswerAfter(header('call-info'));
  if (callInfo !== undefined) found.push({ source: 'call-info', delayMs: callInfo });
  if (alertInfoAsksAutoAnswer(header('alert-info'))) found.push({ source: 'alert-info', delayMs: 0 });
  // RFC 5373: Answer-Mode: Auto asks the UAS to accept the request without waiting on user input.
  if (answerModeIsAuto(header('answer-mode'))) found.push({ source: 'answer-mode', delayMs: 0 });
  // RFC 5373: Priv-Answer-Mode asks the same with administrative-level precedence.
  if (answerModeIsAuto(header('priv-answer-mode'))) found.push({ source: 'priv-answer-mode', delayMs: 0 });
  return found;
}
