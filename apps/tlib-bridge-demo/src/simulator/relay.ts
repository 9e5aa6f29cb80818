/**
 * The simulator's RTP relay: one UDP port per call leg on 127.0.0.1, grouped by call. In a
 * two-party call a packet that arrives on a leg's port is sent out of the other port towards that
 * leg's peer, so the SIP Server anchors the media of every call. With three or more legs (a
 * conference) the PCMU audio is mixed instead: each leg gets the sum of the others every 20 ms.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Disposable, Emitter, realClock, type Clock, type Event, type TimerHandle } from '@sip-endpoint/base';
import { MixOutput, mixTick, rtpPayload } from './mixer';

/** One leg's port of the relay. */
export class RelayPort extends Disposable {
  /** Where this leg's endpoint receives RTP (from its SDP, or latched from the packets it sends). */
  remote: { address: string; port: number } | undefined;
  /** Packets received from this leg's endpoint. */
  received = 0;
  /** Packets sent towards this leg's endpoint. */
  sent = 0;
  /** This leg's stream when its call is mixed. */
  readonly mix = new MixOutput();

  constructor(
    private readonly relay: RtpRelay,
    readonly socket: Socket,
    readonly port: number,
    /** The call (ConnID) whose other legs get this leg's packets. */
    public group: string,
  ) {
    super();
    socket.on('message', (msg, rinfo) => {
      this.received++;
      // Symmetric RTP (RFC 4961): the endpoints send from the port they receive on; latch it.
      if (!this.remote || this.remote.port !== rinfo.port || this.remote.address !== rinfo.address) this.remote = { address: rinfo.address, port: rinfo.port };
      this.relay.forward(this, msg);
    });
    socket.on('error', () => undefined);
  }

  /** Sends `packet` towards this leg's endpoint, if its address is known. */
  send(packet: Buffer): boolean {
    if (!this.remote || this.isDisposed || this.remote.port === 0 || this.remote.address === '0.0.0.0') return false;
    this.socket.send(packet, this.remote.port, this.remote.address);
    this.sent++;
    return true;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.relay.release(this);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    super.dispose();
  }
}

/** The relay: creates ports and counts relayed packets per call. */
export class RtpRelay extends Disposable {
  private readonly ports = new Set<RelayPort>();
  private readonly counts = new Map<string, number>();
  private readonly _onDidRelay = this._register(new Emitter<{ group: string; packets: number }>());
  /** Fires at most once per 100 relayed packets of a call (for stats pushes). */
  readonly onDidRelay: Event<{ group: string; packets: number }> = this._onDidRelay.event;

  private readonly mixers = new Map<string, TimerHandle>();

  constructor(
    private readonly host = '127.0.0.1',
    private readonly clock: Clock = realClock,
  ) {
    super();
  }

  /** Binds a new port (ephemeral) for a leg of `group`. Resolves once it listens. */
  async allocate(group: string): Promise<RelayPort> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const port = new RelayPort(this, socket, socket.address().port, group);
    this.ports.add(port);
    return port;
  }

  /** Packets relayed so far for `group` (a ConnID), all directions together. */
  packets(group: string): number {
    return this.counts.get(group) ?? 0;
  }

  /** Moves the packet count of `from` onto `to` (when calls merge). */
  merge(from: string, to: string): void {
    this.counts.set(to, this.packets(to) + this.packets(from));
    this.counts.delete(from);
  }

  /** @internal a port got a packet */
  forward(from: RelayPort, packet: Buffer): void {
    const others = [...this.ports].filter((p) => p !== from && p.group === from.group);
    if (others.length >= 2) {
      const rtp = rtpPayload(packet);
      // PCMU audio goes to the mixer; anything else (RFC 4733 telephone-events) is relayed as is.
      if (rtp && rtp.pt === 0) {
        from.mix.push(rtp.payload);
        this.startMixer(from.group);
        return;
      }
    }
    let n = 0;
    for (const p of others) if (p.send(packet)) n++;
    this.count(from.group, n);
  }

  private startMixer(group: string): void {
    if (this.mixers.has(group)) return;
    this.mixers.set(
      group,
      this.clock.setInterval(() => {
        const legs = [...this.ports].filter((p) => p.group === group);
        if (legs.length < 3) {
          this.mixers.get(group)?.dispose();
          this.mixers.delete(group);
          return;
        }
        const had = legs.map((p) => p.mix.queue.length > 0);
        const mixed = mixTick(legs.map((p) => p.mix));
        let n = 0;
        legs.forEach((p, i) => {
          // Send only when another leg had audio this tick (all others held: nothing to send).
          if (had.some((h, j) => h && j !== i) && p.send(p.mix.packet(mixed[i] ?? new Float64Array(160)))) n++;
        });
        this.count(group, n);
      }, 20),
    );
  }

  private count(group: string, n: number): void {
    if (n === 0) return;
    const total = this.packets(group) + n;
    this.counts.set(group, total);
    if (Math.floor(total / 100) !== Math.floor((total - n) / 100)) this._onDidRelay.fire({ group, packets: total });
  }

  /** @internal a port closed */
  release(port: RelayPort): void {
    this.ports.delete(port);
  }

  override dispose(): void {
    for (const m of this.mixers.values()) m.dispose();
    this.mixers.clear();
    for (const p of [...this.ports]) p.dispose();
    super.dispose();
  }
}
