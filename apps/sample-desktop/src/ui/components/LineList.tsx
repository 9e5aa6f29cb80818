import type { LineView } from '../../protocol';

/** Props of {@link LineList}. */
export interface LineListProps {
  readonly lines: readonly LineView[];
}

const STATE_CLASS: Record<string, string> = { Ready: 'ok', Failed: 'bad', Registering: 'busy', PerformingNetworkDiscovery: 'busy' };

/** The lines (one per SIP Server site) with their registration state; a Failed line shows why. */
export function LineList({ lines }: LineListProps) {
  return (
    <section className="panel line-list" aria-label="Lines">
      <h2>Lines</h2>
      {lines.length === 0 && <p className="muted">No line configured.</p>}
      <ul>
        {lines.map((l) => (
          <li key={l.id} data-testid="line" data-line-state={l.state}>
            <span className={`dot ${STATE_CLASS[l.state] ?? 'idle'}`} aria-hidden="true" />
            <span className="line-user">{l.user}</span>
            <span className="line-server">@ {l.server}</span>
            <span className={`badge ${STATE_CLASS[l.state] ?? 'idle'}`}>{l.registers ? l.state : `${l.state} (standalone)`}</span>
            {l.state === 'Failed' && l.lastError && <div className="line-error" role="status">{l.lastError}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
