/**
 * The scripted demo, through the T-Lib WebSocket API: 1001 calls 1002, 1002 answers with
 * TAnswerCall, holds and retrieves, consults 1003 and completes the transfer (1001 <-> 1003),
 * 1003 then conferences 1002 in, sends DTMF, and every party releases. Each step waits for the
 * events genesys-compat §5 says it causes.
 */
import type { TlibMessage, TlibRequest } from './tlib/protocol';
import type { TlibClient } from './tlib/client';

/** One step's outcome, for printing and the tests. */
export interface ScriptStep {
  readonly title: string;
  readonly request: Omit<TlibRequest, 'referenceId'>;
  readonly referenceId: number;
  /** The events the step waited for, in arrival order. */
  readonly events: TlibMessage[];
}

/** Options of {@link runScriptedDemo}. */
export interface ScriptOptions {
  /** Called (and awaited) before each step: print the title, or check the state the previous step left. */
  onStep?(title: string): void | Promise<void>;
  /** Pause between steps so audio flows through the relay (default 700 ms). */
  talkMs?: number;
  /** Bound on each wait (default 15 s). */
  timeoutMs?: number;
}

type Match = { event: TlibMessage['event']; thisDN: string };

/**
 * Runs the demo with `client` (registered for 1001, 1002, 1003 by this function). Resolves with
 * the steps and ConnIDs; rejects with the missing event when a step does not complete in time.
 */
export async function runScriptedDemo(client: TlibClient, options: ScriptOptions = {}): Promise<{ steps: ScriptStep[]; connIds: { main: string; consult: string; conference: string } }> {
  const timeout = options.timeoutMs ?? 15_000;
  const talk = (): Promise<void> => new Promise((r) => setTimeout(r, options.talkMs ?? 700));
  const steps: ScriptStep[] = [];
  const step = async (title: string, request: Omit<TlibRequest, 'referenceId'>, expect: Match[], connOf?: (m: TlibMessage) => boolean): Promise<TlibMessage[]> => {
    await options.onStep?.(title);
    const start = client.events.length;
    const referenceId = client.send(request);
    const got: TlibMessage[] = [];
    for (const x of expect) {
      const m = await client.waitFor(
        (e) => client.events.indexOf(e) >= start && e.event === x.event && 'thisDN' in e && e.thisDN === x.thisDN && (!connOf || connOf(e)) && !got.includes(e),
        timeout,
        `${x.event} for ${x.thisDN} after ${request.request}`,
      );
      got.push(m);
    }
    const err = client.events.slice(start).find((e) => e.event === 'EventError');
    if (err) throw new Error(`${request.request} failed: ${JSON.stringify(err)}`);
    steps.push({ title, request, referenceId, events: got.sort((a, b) => client.events.indexOf(a) - client.events.indexOf(b)) });
    return got;
  };
  const conn = (m: TlibMessage | undefined): string => (m && 'connId' in m && m.connId) || '';

  for (const dn of ['1001', '1002', '1003']) await step(`register ${dn}`, { request: 'TRegisterAddress', thisDN: dn }, [{ event: 'EventRegistered', thisDN: dn }]);

  const [dialing] = await step('1001 calls 1002 (TMakeCall)', { request: 'TMakeCall', thisDN: '1001', otherDN: '1002' }, [
    { event: 'EventDialing', thisDN: '1001' },
    { event: 'EventRinging', thisDN: '1002' },
  ]);
  const main = conn(dialing);
  await step('1002 answers (TAnswerCall)', { request: 'TAnswerCall', thisDN: '1002', connId: main }, [
    { event: 'EventEstablished', thisDN: '1002' },
    { event: 'EventEstablished', thisDN: '1001' },
  ]);
  await talk();
  await step('1002 holds (THoldCall)', { request: 'THoldCall', thisDN: '1002', connId: main }, [{ event: 'EventHeld', thisDN: '1002' }]);
  await step('1002 retrieves (TRetrieveCall)', { request: 'TRetrieveCall', thisDN: '1002', connId: main }, [{ event: 'EventRetrieved', thisDN: '1002' }]);
  await talk();

  const init = await step('1002 consults 1003 (TInitiateTransfer)', { request: 'TInitiateTransfer', thisDN: '1002', connId: main, otherDN: '1003' }, [
    { event: 'EventHeld', thisDN: '1002' },
    { event: 'EventDialing', thisDN: '1002' },
    { event: 'EventRinging', thisDN: '1003' },
  ]);
  const consult = conn(init[2]);
  await step('1003 answers the consultation (TAnswerCall)', { request: 'TAnswerCall', thisDN: '1003', connId: consult }, [
    { event: 'EventEstablished', thisDN: '1003' },
    { event: 'EventEstablished', thisDN: '1002' },
  ]);
  await talk();
  await step('1002 completes the transfer (TCompleteTransfer)', { request: 'TCompleteTransfer', thisDN: '1002', connId: main, transferConnId: consult }, [
    { event: 'EventReleased', thisDN: '1002' },
    { event: 'EventReleased', thisDN: '1002' },
    { event: 'EventPartyChanged', thisDN: '1001' },
    { event: 'EventPartyChanged', thisDN: '1003' },
  ]);
  await talk();

  const conf = await step('1003 consults 1002 for a conference (TInitiateConference)', { request: 'TInitiateConference', thisDN: '1003', connId: main, otherDN: '1002' }, [
    { event: 'EventHeld', thisDN: '1003' },
    { event: 'EventDialing', thisDN: '1003' },
    { event: 'EventRinging', thisDN: '1002' },
  ]);
  const conference = conn(conf[2]);
  await step('1002 answers (TAnswerCall)', { request: 'TAnswerCall', thisDN: '1002', connId: conference }, [
    { event: 'EventEstablished', thisDN: '1002' },
    { event: 'EventEstablished', thisDN: '1003' },
  ]);
  await step('1003 completes the conference (TCompleteConference)', { request: 'TCompleteConference', thisDN: '1003', connId: main, transferConnId: conference }, [
    { event: 'EventReleased', thisDN: '1003' },
    { event: 'EventRetrieved', thisDN: '1003' },
    { event: 'EventPartyChanged', thisDN: '1002' },
    { event: 'EventPartyAdded', thisDN: '1001' },
    { event: 'EventPartyAdded', thisDN: '1002' },
    { event: 'EventPartyAdded', thisDN: '1003' },
  ]);
  await talk();
  await step('1001 sends DTMF 42 to the conference (TSendDTMF)', { request: 'TSendDTMF', thisDN: '1001', connId: main, dtmfDigits: '42' }, [{ event: 'EventDTMFSent', thisDN: '1001' }]);
  await step('1001 leaves (TReleaseCall)', { request: 'TReleaseCall', thisDN: '1001', connId: main }, [
    { event: 'EventReleased', thisDN: '1001' },
    { event: 'EventPartyDeleted', thisDN: '1002' },
    { event: 'EventPartyDeleted', thisDN: '1003' },
  ]);
  await step('1003 releases; 1002 is released with it (TReleaseCall)', { request: 'TReleaseCall', thisDN: '1003', connId: main }, [
    { event: 'EventReleased', thisDN: '1003' },
    { event: 'EventReleased', thisDN: '1002' },
  ], (m) => conn(m) === main);
  return { steps, connIds: { main, consult, conference } };
}
