/** Props of {@link DtmfPad}. */
export interface DtmfPadProps {
  readonly onDigit: (digit: string) => void;
  readonly disabled?: boolean;
  /** Digits received from the far end, shown under the keys. */
  readonly received?: string;
}

/** The 12 keys of a phone (`1-9 * 0 #`). */
export const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;

/** A DTMF keypad: each key sends one digit on the call. */
export function DtmfPad({ onDigit, disabled, received }: DtmfPadProps) {
  return (
    <div className="dtmf-pad" role="group" aria-label="DTMF">
      <div className="keys">
        {KEYS.map((k) => (
          <button type="button" key={k} disabled={disabled} aria-label={`DTMF ${k}`} onClick={() => onDigit(k)}>
            {k}
          </button>
        ))}
      </div>
      {received ? <div className="muted">Received: <span data-testid="dtmf-received">{received}</span></div> : null}
    </div>
  );
}
