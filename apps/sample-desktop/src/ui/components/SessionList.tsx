import type { CallView, QualitySample } from '../../protocol';
import { SessionCard, type CallActions } from './SessionCard';

/** Props of {@link SessionList}. */
export interface SessionListProps {
  readonly calls: readonly CallView[];
  /** Quality samples by call id. */
  readonly samples?: Readonly<Record<string, readonly QualitySample[]>>;
  /** Received DTMF digits by call id. */
  readonly dtmf?: Readonly<Record<string, string>>;
  readonly now: number;
  readonly actions: CallActions;
}

/** The calls: live ones first (each a {@link SessionCard}), then the recently ended ones. */
export function SessionList({ calls, samples = {}, dtmf = {}, now, actions }: SessionListProps) {
  const live = calls.filter((c) => c.state !== 'Disconnected');
  const ended = calls.filter((c) => c.state === 'Disconnected');
  return (
    <section className="panel session-list" aria-label="Calls">
      <h2>Calls</h2>
      {live.length === 0 && <p className="muted">No call.</p>}
      {live.map((c) => (
        <SessionCard key={c.id} call={c} others={live} samples={samples[c.id] ?? []} {...(dtmf[c.id] ? { dtmfReceived: dtmf[c.id] } : {})} now={now} actions={actions} />
      ))}
      {ended.length > 0 && (
        <details className="ended">
          <summary>Recent calls ({ended.length})</summary>
          {ended.map((c) => (
            <SessionCard key={c.id} call={c} now={now} actions={actions} />
          ))}
        </details>
      )}
    </section>
  );
}
