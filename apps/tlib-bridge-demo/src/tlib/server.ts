/**
 * The T-Lib WebSocket API: JSON requests in, JSON events out, on top of the simulated SIP
 * Server's 3pcc driver. A client sees the events of the DNs it registered (TRegisterAddress).
 */
import { Disposable, isSdkError, type Logger, nullLogger } from '@sip-endpoint/base';
import type { WebSocket } from 'ws';
import { TLIB_REQUESTS, type CallEvent, type SimulatedSipServer, type TlibRequestName } from '../simulator/index';
import type { ErrorEvent, TlibMessage, TlibRequest } from './protocol';

interface Client {
  readonly ws: WebSocket;
  readonly dns: Set<string>;
}

const NEEDS: Record<TlibRequestName, readonly ('otherDN' | 'connId' | 'dtmfDigits')[]> = {
  TRegisterAddress: [],
  TMakeCall: ['otherDN'],
  TAnswerCall: ['connId'],
  THoldCall: ['connId'],
  TRetrieveCall: ['connId'],
  TReleaseCall: ['connId'],
  TInitiateTransfer: ['connId', 'otherDN'],
  TInitiateConference: ['connId', 'otherDN'],
  TCompleteTransfer: [],
  TCompleteConference: [],
  TSingleStepTransfer: ['connId', 'otherDN'],
  TSendDTMF: ['connId', 'dtmfDigits'],
};

/** Options of {@link TlibApi}. */
export interface TlibApiOptions {
  /** Interval of the EventRtpStats pushes in ms (default 500). */
  statsIntervalMs?: number;
  logger?: Logger;
}

/** Serves the T-Lib protocol to WebSocket clients. Dispose it to stop the stats pushes. */
export class TlibApi extends Disposable {
  private readonly clients = new Set<Client>();
  private readonly lastStats = new Map<string, number>();
  private readonly logger: Logger;

  constructor(
    private readonly simulator: SimulatedSipServer,
    options: TlibApiOptions = {},
  ) {
    super();
    this.logger = (options.logger ?? nullLogger).child({ component: 'tlib' });
    this._register(simulator.onDidEmitCallEvent((e) => this.route(e)));
    const timer = setInterval(() => this.pushStats(), options.statsIntervalMs ?? 500);
    this._register({ dispose: () => clearInterval(timer) });
  }

  /** Serves one connected WebSocket until it closes. */
  accept(ws: WebSocket): void {
    const client: Client = { ws, dns: new Set() };
    this.clients.add(client);
    ws.on('message', (data) => void this.onMessage(client, String(data)));
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
  }

  private send(client: Client, m: TlibMessage): void {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(m));
  }

  private route(e: CallEvent): void {
    for (const c of this.clients) if (c.dns.has(e.thisDN)) this.send(c, e as TlibMessage);
  }

  private pushStats(): void {
    for (const call of this.simulator.calls()) {
      if (this.lastStats.get(call.connId) === call.relayedPackets) continue;
      this.lastStats.set(call.connId, call.relayedPackets);
      const parties = call.parties.map((p) => p.dn);
      for (const c of this.clients)
        for (const dn of parties) if (c.dns.has(dn)) this.send(c, { event: 'EventRtpStats', connId: call.connId, thisDN: dn, relayedPackets: call.relayedPackets, parties });
    }
    const live = new Set(this.simulator.calls().map((c) => c.connId));
    for (const id of this.lastStats.keys()) if (!live.has(id)) this.lastStats.delete(id);
  }

  private error(client: Client, e: Omit<ErrorEvent, 'event'>): void {
    this.logger.info('EventError', { ...e });
    this.send(client, { event: 'EventError', ...e });
  }

  private async onMessage(client: Client, text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.error(client, { errorCode: 'BAD_REQUEST', errorMessage: 'the message is not JSON' });
      return;
    }
    const r = raw as Partial<Record<keyof TlibRequest, unknown>>;
    const referenceId = typeof r.referenceId === 'number' && Number.isInteger(r.referenceId) ? r.referenceId : undefined;
    const base = { referenceId, request: typeof r.request === 'string' ? r.request : undefined, thisDN: typeof r.thisDN === 'string' ? r.thisDN : undefined, connId: typeof r.connId === 'string' ? r.connId : undefined };
    if (typeof raw !== 'object' || raw === null || typeof r.request !== 'string' || !(TLIB_REQUESTS as readonly string[]).includes(r.request)) {
      this.error(client, { ...base, errorCode: 'BAD_REQUEST', errorMessage: `unknown request ${JSON.stringify(r.request ?? null)}; expected one of ${TLIB_REQUESTS.join(', ')}` });
      return;
    }
    const name = r.request as TlibRequestName;
    if (typeof r.thisDN !== 'string' || !/^[0-9A-Za-z_.+-]{1,32}$/.test(r.thisDN)) {
      this.error(client, { ...base, errorCode: 'BAD_REQUEST', errorMessage: `${name} needs thisDN (a DN such as "1001")` });
      return;
    }
    for (const field of NEEDS[name]) {
      if (typeof r[field] !== 'string' || r[field] === '') {
        this.error(client, { ...base, errorCode: 'BAD_REQUEST', errorMessage: `${name} needs ${field}` });
        return;
      }
    }
    const req = r as TlibRequest;
    if (name !== 'TRegisterAddress' && !client.dns.has(req.thisDN)) {
      this.error(client, { ...base, errorCode: 'INVALID_STATE', errorMessage: `DN ${req.thisDN} is not registered by this client: send TRegisterAddress first` });
      return;
    }
    this.logger.info('request', { request: name, thisDN: req.thisDN, referenceId });
    const o = referenceId !== undefined ? { referenceId } : {};
    const sim = this.simulator;
    try {
      switch (name) {
        case 'TRegisterAddress':
          client.dns.add(req.thisDN);
          this.send(client, {
            event: 'EventRegistered',
            referenceId,
            thisDN: req.thisDN,
            sipRegistered: sim.contactOf(req.thisDN) !== undefined,
            calls: sim.calls().filter((c) => c.parties.some((p) => p.dn === req.thisDN)),
          });
          return;
        case 'TMakeCall':
          await sim.makeCall(req.thisDN, req.otherDN as string, o);
          return;
        case 'TAnswerCall':
          await sim.answerCall(req.thisDN, req.connId as string, o);
          return;
        case 'THoldCall':
          await sim.holdCall(req.thisDN, req.connId as string, o);
          return;
        case 'TRetrieveCall':
          await sim.retrieveCall(req.thisDN, req.connId as string, o);
          return;
        case 'TReleaseCall':
          await sim.releaseCall(req.thisDN, req.connId as string, o);
          return;
        case 'TInitiateTransfer':
        case 'TInitiateConference':
          await sim.initiateConsult(req.thisDN, req.connId as string, req.otherDN as string, o);
          return;
        case 'TCompleteTransfer':
          await sim.completeTransfer(req.thisDN, req.connId, req.transferConnId, o);
          return;
        case 'TCompleteConference':
          await sim.completeConference(req.thisDN, req.connId, req.transferConnId, o);
          return;
        case 'TSingleStepTransfer':
          await sim.singleStepTransfer(req.thisDN, req.connId as string, req.otherDN as string, o);
          return;
        case 'TSendDTMF':
          await sim.sendDtmf(req.thisDN, req.connId as string, req.dtmfDigits as string, o);
          return;
      }
    } catch (e) {
      this.error(client, { ...base, errorCode: isSdkError(e) ? e.code : 'INTERNAL', errorMessage: e instanceof Error ? e.message : String(e) });
    }
  }

  override dispose(): void {
    for (const c of this.clients) c.ws.close();
    this.clients.clear();
    super.dispose();
  }
}
