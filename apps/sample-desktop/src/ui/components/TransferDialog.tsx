import { useState } from 'react';

/** Props of {@link TransferDialog}. */
export interface TransferDialogProps {
  /** Blind transfer (REFER) of the call to `target`. */
  readonly onTransfer: (target: string) => void;
  /** Attended transfer, step 1: hold the call and consult `target`. */
  readonly onConsult: (target: string) => void;
  readonly onCancel: () => void;
  readonly initial?: string;
}

/** Asks for a transfer target; blind transfer at once, or consult first (attended). */
export function TransferDialog({ onTransfer, onConsult, onCancel, initial = '' }: TransferDialogProps) {
  const [target, setTarget] = useState(initial);
  const t = target.trim();
  return (
    <div className="dialog" role="dialog" aria-label="Transfer">
      <input aria-label="Transfer target" placeholder="Transfer to" value={target} autoFocus onChange={(e) => setTarget(e.target.value)} />
      <div className="row">
        <button type="button" disabled={!t} onClick={() => onTransfer(t)}>
          Blind transfer
        </button>
        <button type="button" disabled={!t} onClick={() => onConsult(t)}>
          Consult
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
