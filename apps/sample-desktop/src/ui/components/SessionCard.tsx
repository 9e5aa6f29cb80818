import { useState } from 'react';
import type { CallView, QualitySample } from '../../protocol';
import { displayParty, formatDuration } from '../format';
import { ConferenceControls } from './ConferenceControls';
import { DtmfPad } from './DtmfPad';
import { MuteButton } from './MuteButton';
import { QualityGraph } from './QualityGraph';
import { TransferDialog } from './TransferDialog';

/** What a call's buttons do (each one command of the protocol). */
export interface CallActions {
  answer(sessionId: string): void;
  reject(sessionId: string): void;
  hangup(sessionId: string): void;
  hold(sessionId: string): void;
  retrieve(sessionId: string): void;
  mute(sessionId: string, muted: boolean): void;
  sendDtmf(sessionId: string, digits: string): void;
  transfer(sessionId: string, target: string): void;
  consult(sessionId: string, target: string): void;
  completeTransfer(sessionId: string): void;
  conference(sessionId: string, otherSessionId: string): void;
}

/** Props of {@link SessionCard}. */
export interface SessionCardProps {
  readonly call: CallView;
  /** The other calls of the agent (for conference and attended transfer). */
  readonly others?: readonly CallView[];
  /** Quality samples of this call. */
  readonly samples?: readonly QualitySample[];
  /** Digits received on this call. */
  readonly dtmfReceived?: string;
  /** The current time (ms), for the call timer. */
  readonly now: number;
  readonly actions: CallActions;
}

const STATE_LABEL: Record<CallView['state'], string> = { InProgress: 'Dialling', Alerting: 'Ringing', Connected: 'Connected', Disconnected: 'Ended' };

/** One call: remote party, state, held, timer, the buttons of its state, DTMF, transfer, and its quality graph. */
export function SessionCard({ call, others = [], samples = [], dtmfReceived, now, actions }: SessionCardProps) {
  const [panel, setPanel] = useState<'none' | 'transfer' | 'dtmf'>('none');
  const connected = call.state === 'Connected';
  const since = call.connectedAt ?? call.startedAt;
  const stateLabel = connected && call.held ? 'Held' : STATE_LABEL[call.state];
  return (
    <article
      className={`session-card state-${call.state.toLowerCase()}${call.held ? ' held' : ''}`}
      data-testid="call"
      data-call-id={call.id}
      data-state={call.state}
      data-held={call.held ? 'true' : 'false'}
      data-remote={displayParty(call.remote)}
      aria-label={`Call with ${displayParty(call.remote)}`}
    >
      <header>
        <span className="direction" aria-label={call.direction}>{call.direction === 'incoming' ? '↙' : '↗'}</span>
        <span className="remote">{displayParty(call.remote)}</span>
        <span className={`badge state ${stateLabel.toLowerCase()}`} data-testid="call-state">{stateLabel}</span>
        {call.state !== 'Disconnected' && <span className="timer">{formatDuration(now - since)}</span>}
      </header>
      {call.consultationFor && <div className="muted">Consultation call</div>}
      {call.state === 'Disconnected' && call.endCause && (
        <div className="end-cause">
          Ended by {call.endCause.by}: {call.endCause.code} {call.endCause.reason}
        </div>
      )}
      {(connected || call.packetsSent > 0) && (
        <div className="rtp muted" data-testid="rtp">
          {call.codec || 'no codec'} · sent <span data-testid="packets-sent">{call.packetsSent}</span> · received <span data-testid="packets-received">{call.packetsReceived}</span> packets
        </div>
      )}
      <div className="row actions">
        {call.state === 'Alerting' && (
          <>
            <button type="button" className="primary" onClick={() => actions.answer(call.id)}>
              Answer
            </button>
            <button type="button" className="danger" onClick={() => actions.reject(call.id)}>
              Reject
            </button>
          </>
        )}
        {call.state === 'InProgress' && (
          <button type="button" className="danger" onClick={() => actions.hangup(call.id)}>
            Cancel
          </button>
        )}
        {connected && (
          <>
            {call.held ? (
              <button type="button" onClick={() => actions.retrieve(call.id)}>
                Retrieve
              </button>
            ) : (
              <button type="button" onClick={() => actions.hold(call.id)}>
                Hold
              </button>
            )}
            <MuteButton muted={call.muted} onToggle={(m) => actions.mute(call.id, m)} />
            <button type="button" aria-pressed={panel === 'dtmf'} onClick={() => setPanel(panel === 'dtmf' ? 'none' : 'dtmf')}>
              Keypad
            </button>
            <button type="button" aria-pressed={panel === 'transfer'} onClick={() => setPanel(panel === 'transfer' ? 'none' : 'transfer')}>
              Transfer
            </button>
            <button type="button" className="danger" onClick={() => actions.hangup(call.id)}>
              Hang up
            </button>
          </>
        )}
      </div>
      {connected && (
        <ConferenceControls call={call} others={others} onConference={(o) => actions.conference(call.id, o)} onCompleteTransfer={() => actions.completeTransfer(call.id)} />
      )}
      {connected && panel === 'dtmf' && <DtmfPad onDigit={(d) => actions.sendDtmf(call.id, d)} {...(dtmfReceived ? { received: dtmfReceived } : {})} />}
      {connected && panel === 'transfer' && (
        <TransferDialog
          onTransfer={(t) => {
            setPanel('none');
            actions.transfer(call.id, t);
          }}
          onConsult={(t) => {
            setPanel('none');
            actions.consult(call.id, t);
          }}
          onCancel={() => setPanel('none')}
        />
      )}
      {connected && <QualityGraph samples={samples} />}
    </article>
  );
}
