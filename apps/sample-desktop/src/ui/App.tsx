import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { Command } from '../protocol';
import { HostClient, type ClientState } from './client';
import { DeviceSelector } from './components/DeviceSelector';
import { DialPad } from './components/DialPad';
import { ErrorBanner } from './components/ErrorBanner';
import { LineList } from './components/LineList';
import type { CallActions } from './components/SessionCard';
import { SessionList } from './components/SessionList';

/** Props of {@link AppView}. */
export interface AppViewProps {
  readonly state: ClientState;
  readonly send: (command: Command) => void;
  readonly dismissError: (id: number) => void;
  readonly now: number;
}

/** The whole softphone for a given client state (the wired {@link App} and the stories use it). */
export function AppView({ state, send, dismissError, now }: AppViewProps) {
  const actions: CallActions = useMemo(
    () => ({
      answer: (sessionId) => send({ name: 'answer', sessionId }),
      reject: (sessionId) => send({ name: 'reject', sessionId }),
      hangup: (sessionId) => send({ name: 'hangup', sessionId }),
      hold: (sessionId) => send({ name: 'hold', sessionId }),
      retrieve: (sessionId) => send({ name: 'retrieve', sessionId }),
      mute: (sessionId, muted) => send({ name: 'mute', sessionId, muted }),
      sendDtmf: (sessionId, digits) => send({ name: 'sendDtmf', sessionId, digits }),
      transfer: (sessionId, target) => send({ name: 'transfer', sessionId, target }),
      consult: (sessionId, target) => send({ name: 'consult', sessionId, target }),
      completeTransfer: (sessionId) => send({ name: 'completeTransfer', sessionId }),
      conference: (sessionId, otherSessionId) => send({ name: 'conference', sessionId, otherSessionId }),
    }),
    [send],
  );
  const snap = state.snapshot;
  return (
    <div className="app">
      <header className="app-header">
        <h1>Softphone {snap ? <span data-testid="agent">{snap.agent}</span> : null}</h1>
        <span className={`badge ${snap?.status === 'Active' ? 'ok' : 'bad'}`} data-testid="endpoint-status">
          {snap?.status ?? '…'}
        </span>
        <span className={`badge ${state.connection === 'open' ? 'ok' : 'busy'}`} data-testid="host-connection">
          host {state.connection}
        </span>
      </header>
      <ErrorBanner errors={state.errors} onDismiss={dismissError} />
      {snap ? (
        <main className="columns">
          <div className="column">
            <LineList lines={snap.lines} />
            <DialPad lines={snap.lines} disabled={snap.status !== 'Active'} onDial={(target, lineId) => send({ name: 'dial', target, ...(lineId ? { lineId } : {}) })} />
            <DeviceSelector
              devices={snap.devices}
              onSelect={(kind, deviceId) => send({ name: 'selectDevice', kind, deviceId })}
              onVolume={(kind, volume) => send({ name: 'setVolume', kind, volume })}
              onMuteAll={(muted) => send({ name: 'mute', muted })}
            />
          </div>
          <div className="column wide">
            <SessionList calls={snap.calls} samples={state.samples} dtmf={state.dtmf} now={now} actions={actions} />
            {snap.recordings.length > 0 && (
              <section className="panel recordings" aria-label="Recordings">
                <h2>Recordings</h2>
                <ul>
                  {snap.recordings.map((r) => (
                    <Recording key={r.file} file={r.file} live={r.sessionId !== undefined && snap.calls.some((c) => c.id === r.sessionId && c.state !== 'Disconnected')} />
                  ))}
                </ul>
              </section>
            )}
          </div>
        </main>
      ) : (
        <p className="muted">Connecting to the host…</p>
      )}
    </div>
  );
}

/** One recorded WAV: its path, and a player once the call ended (the file is complete then). */
function Recording({ file, live }: { file: string; live: boolean }) {
  const name = file.split(/[\\/]/).pop() ?? file;
  return (
    <li data-testid="recording">
      <code>{file}</code>
      {live ? <span className="muted"> (recording…)</span> : <audio controls preload="none" src={`api/recordings/${encodeURIComponent(name)}`} aria-label={`Recording ${name}`} />}
    </li>
  );
}

/** The softphone wired to its host over the WebSocket. */
export function App({ client }: { client: HostClient }) {
  const state = useSyncExternalStore(
    (fn) => client.subscribe(fn),
    () => client.current,
  );
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const send = useMemo(() => (c: Command) => void client.send(c), [client]);
  return <AppView state={state} send={send} dismissError={(id) => client.dismissError(id)} now={now} />;
}
