/**
 * The `application/simple-message-summary` body of the `message-summary` event package
 * (RFC 3842 §5): message waiting indication for a voicemail (or fax, pager, ...) account.
 *
 * ```
 * Messages-Waiting: yes
 * Message-Account: sip:alice@vmail.example.com
 * Voice-Message: 2/8 (0/2)
 *
 * To: <alice@example.com>
 * Subject: call me
 * ```
 */
import { Disposable, Emitter, ErrorCode, SdkError, type Event } from '@sip-endpoint/base';
import { SubscriptionState, type SubscriptionStateInfo } from '../dialog/index';
import type { UaSubscription } from './subscriber';

/** The media type of a message summary (RFC 3842 §5.1). */
export const MESSAGE_SUMMARY_CONTENT_TYPE = 'application/simple-message-summary';

/** The event package name (RFC 3842 §3). */
export const MESSAGE_SUMMARY_EVENT = 'message-summary';

/** Counts of one message class (RFC 3842 §5.2 msg-summary-line): `new/old (newUrgent/oldUrgent)`. */
export interface MessageCounts {
  readonly newMessages: number;
  readonly oldMessages: number;
  /** Urgent new messages; 0 when the line has no parenthesised part. */
  readonly newUrgent: number;
  /** Urgent old messages; 0 when the line has no parenthesised part. */
  readonly oldUrgent: number;
}

/** A parsed message summary (RFC 3842 §5.2). */
export interface MessageSummary {
  /** `Messages-Waiting: yes` (true) or `no` (false). */
  readonly messagesWaiting: boolean;
  /** The `Message-Account` URI, when the body names one. */
  readonly account?: string;
  /** `Voice-Message` counts, when present. */
  readonly voice?: MessageCounts;
  /**
   * Every summary line by lower-cased message-context-class (RFC 3458: `voice-message`,
   * `fax-message`, `pager-message`, `multimedia-message`, `text-message`, `none`, and
   * extension classes), in body order.
   */
  readonly classes: ReadonlyMap<string, MessageCounts>;
  /** The optional message headers after the blank line (RFC 3842 §5.2 opt-msg-headers), in order. */
  readonly messageHeaders: readonly { readonly name: string; readonly value: string }[];
}

/** A message summary body that does not follow RFC 3842 §5.2. Code `SIP_PARSE`. */
export class MessageSummaryParseError extends SdkError {
  /**
   * @param message what is wrong
   * @param line 1-based line number of the offending line, when known
   */
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(ErrorCode.SipParse, line !== undefined ? `message-summary line ${line}: ${message}` : `message-summary: ${message}`);
  }
}

/** Upper bound of the body we look at: summaries are a few lines. */
const MAX_BODY = 64 * 1024;
/** Upper bound of a count (keeps values exact integers). */
const MAX_COUNT = 1_000_000_000;

// RFC 3842 §5.2: msg-summary-line = message-context-class HCOLON newmsgs SLASH oldmsgs
//   [ LPAREN new-urgentmsgs SLASH old-urgentmsgs RPAREN ]
const COUNTS = /^(\d{1,10})\s*\/\s*(\d{1,10})(?:\s*\(\s*(\d{1,10})\s*\/\s*(\d{1,10})\s*\))?$/;
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/**
 * Parses an `application/simple-message-summary` body (RFC 3842 §5.2). Header names are
 * case-insensitive, lines may end in CRLF or LF, and the Messages-Waiting line may come after
 * other lines (lenient about order, strict about values).
 * @throws MessageSummaryParseError (code `SIP_PARSE`) for a missing or invalid
 *   Messages-Waiting, a summary line whose counts are not `n/n` or `n/n (n/n)`, a line that is
 *   not `name: value`, a repeated line, or a body over 64 KiB; never another kind of error
 */
export function parseMessageSummary(body: string | Buffer): MessageSummary {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length > MAX_BODY) throw new MessageSummaryParseError(`body larger than ${MAX_BODY} bytes`);
  const lines = text.split(/\r?\n/);
  let waiting: boolean | undefined;
  let account: string | undefined;
  const classes = new Map<string, MessageCounts>();
  const messageHeaders: { name: string; value: string }[] = [];
  let i = 0;
  // Leading blank lines are tolerated.
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  for (; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') break;
    const lineNo = i + 1;
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new MessageSummaryParseError(`expected "name: value", got ${JSON.stringify(raw.slice(0, 80))}`, lineNo);
    const name = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).trim();
    if (!TOKEN.test(name)) throw new MessageSummaryParseError(`invalid header name ${JSON.stringify(raw.slice(0, colon))}`, lineNo);
    if (name === 'messages-waiting') {
      if (waiting !== undefined) throw new MessageSummaryParseError('Messages-Waiting appears twice', lineNo);
      // RFC 3842 §5.2: msg-status = "yes" / "no"
      const v = value.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw new MessageSummaryParseError(`Messages-Waiting must be yes or no, not ${JSON.stringify(value)}`, lineNo);
      waiting = v === 'yes';
    } else if (name === 'message-account') {
      if (account !== undefined) throw new MessageSummaryParseError('Message-Account appears twice', lineNo);
      // RFC 3842 §5.2: Account-URI = SIP-URI / SIPS-URI / absoluteURI
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) throw new MessageSummaryParseError(`Message-Account is not a URI: ${JSON.stringify(value)}`, lineNo);
      account = value;
    } else {
      const m = COUNTS.exec(value);
      if (!m) throw new MessageSummaryParseError(`${raw.slice(0, colon).trim()} must be "new/old" or "new/old (new/old)", not ${JSON.stringify(value)}`, lineNo);
      if (classes.has(name)) throw new MessageSummaryParseError(`${raw.slice(0, colon).trim()} appears twice`, lineNo);
      const [newMessages, oldMessages, newUrgent, oldUrgent] = [m[1], m[2], m[3], m[4]].map((d) => (d === undefined ? 0 : Number(d))) as [number, number, number, number];
      if (Math.max(newMessages, oldMessages, newUrgent, oldUrgent) > MAX_COUNT) throw new MessageSummaryParseError('message count out of range', lineNo);
      classes.set(name, { newMessages, oldMessages, newUrgent, oldUrgent });
    }
  }
  if (waiting === undefined) throw new MessageSummaryParseError('no Messages-Waiting line (RFC 3842 §5.2 requires it)');
  // RFC 3842 §5.2: opt-msg-headers = CRLF 1*(extension-header CRLF): free-form message headers.
  for (i++; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new MessageSummaryParseError(`expected a message header, got ${JSON.stringify(raw.slice(0, 80))}`, i + 1);
    messageHeaders.push({ name: raw.slice(0, colon).trim(), value: raw.slice(colon + 1).trim() });
  }
  const voice = classes.get('voice-message');
  return { messagesWaiting: waiting, ...(account !== undefined ? { account } : {}), ...(voice ? { voice } : {}), classes, messageHeaders };
}

/** Formats a summary as an RFC 3842 body (CRLF line ends), e.g. for a notifier or a test peer. */
export function formatMessageSummary(summary: Pick<MessageSummary, 'messagesWaiting' | 'account' | 'classes'> & { messageHeaders?: MessageSummary['messageHeaders'] }): string {
  const out = [`Messages-Waiting: ${summary.messagesWaiting ? 'yes' : 'no'}`];
  if (summary.account) out.push(`Message-Account: ${summary.account}`);
  for (const [cls, c] of summary.classes) {
    const name = cls.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => `${dash}${ch.toUpperCase()}`);
    out.push(`${name}: ${c.newMessages}/${c.oldMessages}${c.newUrgent || c.oldUrgent ? ` (${c.newUrgent}/${c.oldUrgent})` : ''}`);
  }
  if (summary.messageHeaders?.length) {
    out.push('');
    for (const h of summary.messageHeaders) out.push(`${h.name}: ${h.value}`);
  }
  return `${out.join('\r\n')}\r\n`;
}

/** Payload of {@link MessageSummarySubscription.onDidChangeMessageSummary}. */
export interface MessageSummaryChange {
  readonly summary: MessageSummary;
  /** The Subscription-State of the NOTIFY that carried it. */
  readonly state: SubscriptionStateInfo;
}

/**
 * A `message-summary` subscription (RFC 3842) from {@link UserAgent.subscribeMessageSummary}:
 * the NOTIFY bodies parsed into {@link MessageSummary} values. Disposing it unsubscribes; it is
 * disposed by itself once the subscription is Terminated.
 */
export class MessageSummarySubscription extends Disposable {
  private _summary: MessageSummary | undefined;

  private readonly _onDidChangeMessageSummary = this._register(new Emitter<MessageSummaryChange>());
  /** Fires for every NOTIFY with a valid summary body (RFC 3842 §5). */
  readonly onDidChangeMessageSummary: Event<MessageSummaryChange> = this._onDidChangeMessageSummary.event;
  private readonly _onDidReceiveInvalidSummary = this._register(new Emitter<{ readonly error: MessageSummaryParseError; readonly body: string }>());
  /** Fires for a NOTIFY whose body is not a valid summary (the NOTIFY is still answered 200). */
  readonly onDidReceiveInvalidSummary: Event<{ readonly error: MessageSummaryParseError; readonly body: string }> = this._onDidReceiveInvalidSummary.event;

  /** @internal created by the user agent */
  constructor(
    /** The underlying subscription (states, termination, `unsubscribe()`). */
    readonly subscription: UaSubscription,
  ) {
    super();
    this._register(subscription);
    // It ends with its subscription (which ends with the user agent).
    this._register(
      subscription.onDidChangeState((e) => {
        if (e.state === SubscriptionState.Terminated) queueMicrotask(() => this.dispose());
      }),
    );
    this._register(
      subscription.onDidReceiveNotify((e) => {
        // RFC 3842 §3.8: a NOTIFY may carry no body (e.g. while pending); there is nothing to report.
        if (!e.body.trim()) return;
        let summary: MessageSummary;
        try {
          summary = parseMessageSummary(e.body);
        } catch (error) {
          if (!(error instanceof MessageSummaryParseError)) throw error;
          this._onDidReceiveInvalidSummary.fire({ error, body: e.body });
          return;
        }
        this._summary = summary;
        this._onDidChangeMessageSummary.fire({ summary, state: e.state });
      }),
    );
  }

  /** The last valid summary received. */
  get summary(): MessageSummary | undefined {
    return this._summary;
  }

  /** Unsubscribes (see {@link UaSubscription.unsubscribe}). */
  unsubscribe(): Promise<void> {
    return this.subscription.unsubscribe();
  }
}
