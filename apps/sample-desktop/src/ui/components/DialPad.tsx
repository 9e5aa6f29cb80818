import { useState } from 'react';
import type { LineView } from '../../protocol';
import { KEYS } from './DtmfPad';

/** Props of {@link DialPad}. */
export interface DialPadProps {
  /** Dials `target` on `lineId` (undefined: the first Ready line). */
  readonly onDial: (target: string, lineId?: string) => void;
  /** Lines to choose from when there are several. */
  readonly lines?: readonly LineView[];
  readonly disabled?: boolean;
  readonly initial?: string;
}

/** A number field with keys and a Call button; Enter dials too. */
export function DialPad({ onDial, lines = [], disabled, initial = '' }: DialPadProps) {
  const [target, setTarget] = useState(initial);
  const [lineId, setLineId] = useState<string>('');
  const dial = (): void => {
    const t = target.trim();
    if (!t) return;
    onDial(t, lineId || undefined);
  };
  return (
    <section className="panel dial-pad" aria-label="Dial pad">
      <h2>Dial</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          dial();
        }}
      >
        <input aria-label="Number" placeholder="Number or SIP URI" value={target} onChange={(e) => setTarget(e.target.value)} />
        {lines.length > 1 && (
          <select aria-label="Line" value={lineId} onChange={(e) => setLineId(e.target.value)}>
            <option value="">First ready line</option>
            {lines.map((l) => (
              <option key={l.id} value={l.id} disabled={l.state !== 'Ready'}>
                {l.user} @ {l.server}
              </option>
            ))}
          </select>
        )}
        <div className="keys">
          {KEYS.map((k) => (
            <button type="button" key={k} aria-label={`Key ${k}`} onClick={() => setTarget((t) => t + k)}>
              {k}
            </button>
          ))}
        </div>
        <div className="row">
          <button type="submit" className="primary" disabled={disabled || target.trim() === ''}>
            Call
          </button>
          <button type="button" onClick={() => setTarget((t) => t.slice(0, -1))} aria-label="Delete digit">
            ⌫
          </button>
        </div>
      </form>
    </section>
  );
}
