import type { CallView } from '../../protocol';
import { displayParty } from '../format';

/** Props of {@link ConferenceControls}. */
export interface ConferenceControlsProps {
  /** The call these controls belong to. */
  readonly call: CallView;
  /** The other calls (candidates to join, or the consultation call). */
  readonly others: readonly CallView[];
  readonly onConference: (otherSessionId: string) => void;
  readonly onCompleteTransfer: () => void;
}

/**
 * Joins this call with another connected call in a local three-way conference, or completes an
 * attended transfer when a consultation call for this call is connected.
 */
export function ConferenceControls({ call, others, onConference, onCompleteTransfer }: ConferenceControlsProps) {
  if (call.state !== 'Connected') return null;
  const joinable = others.filter((o) => o.state === 'Connected' && o.id !== call.id && !o.conferencedWith);
  const consultation = others.find((o) => o.consultationFor === call.id && o.state === 'Connected');
  if (call.conferencedWith) {
    const partner = others.find((o) => o.id === call.conferencedWith);
    return <div className="conference-on" data-testid="conference">Conference with {partner ? displayParty(partner.remote) : 'another call'}</div>;
  }
  if (joinable.length === 0 && !consultation) return null;
  return (
    <div className="row conference-controls">
      {consultation && (
        <button type="button" onClick={onCompleteTransfer}>
          Complete transfer to {displayParty(consultation.remote)}
        </button>
      )}
      {joinable.map((o) => (
        <button type="button" key={o.id} onClick={() => onConference(o.id)}>
          Conference with {displayParty(o.remote)}
        </button>
      ))}
    </div>
  );
}
