/**
 * Helpers of the scenarios for inbound calls from real phones, multi-line, message waiting, codec
 * priorities, runtime configuration and bad input. They keep their own per-scenario state next to
 * the {@link CallWorld} (a WeakMap, so world.ts stays untouched) and push what they start onto the
 * world's cleanups, so the world's After hook stops it even when the scenario fails.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '@sip-endpoint/endpoint';
import type { MessageSummary } from '@sip-endpoint/signaling';
import type { MemorySink } from '@sip-endpoint/media-native';
import { requireBaresip, soxFrequency, startPhone, toneWav } from '../../libs/endpoint/test/support/baresip';
import { requireLinphone, startLinphone } from '../../libs/endpoint/test/support/linphone';
import { freePort, sleep, until } from './peers';
import { TONE_OF, type CallWorld } from './world';

/** A customer's real desk phone (baresip or linphonec) on 127.0.0.1, playing its owner's tone. */
export interface CustomerPhone {
  readonly kind: 'baresip' | 'linphone';
  /** `sip:<user>@127.0.0.1:<port>`. */
  readonly uri: string;
  /** Places a call to `target`. */
  call(target: string): Promise<void>;
  /** Resolves once the phone reports the call as connected (rejects after `ms`). */
  connected(ms?: number): Promise<void>;
  /** Hangs up its call. */
  hangup(): Promise<void>;
  /** Resolves once the phone reports its call ended (rejects after `ms`). */
  ended(ms?: number): Promise<void>;
  /** After the call: the frequency (Hz, sox) of what the phone decoded from the far side. */
  heardFrequency(): Promise<number>;
}

/** Per-scenario state of these helpers. */
export interface SliceState {
  /** The customers' real phones by actor name. */
  readonly phones: Map<string, CustomerPhone>;
  /** The audio sink of each of our sessions, by session id (multi-line: one sink per call). */
  readonly sinkOf: Map<string, MemorySink>;
  /** Message summaries each actor's line reported, in order. */
  readonly summaries: Map<string, MessageSummary[]>;
  /** Responses a raw sender got (first lines), by what it sent. */
  readonly rawReplies: string[];
  /** The last error a configuration change threw, if any. */
  configError: Error | undefined;
}

const states = new WeakMap<CallWorld, SliceState>();

/** This scenario's state (created on first use). */
export function slice(world: CallWorld): SliceState {
  let s = states.get(world);
  if (!s) {
    s = { phones: new Map(), sinkOf: new Map(), summaries: new Map(), rawReplies: [], configError: undefined };
    states.set(world, s);
  }
  return s;
}

/** The customer's phone of `name` (throws when the scenario started none). */
export function phoneOf(world: CallWorld, name: string): CustomerPhone {
  const p = slice(world).phones.get(name);
  if (!p) throw new Error(`${name} has no desk phone (add a Given step for it)`);
  return p;
}

/** Starts a baresip phone for `name` (user = the name in lower case), stopped after the scenario. */
export async function startBaresipPhone(world: CallWorld, name: string): Promise<CustomerPhone> {
  requireBaresip();
  const ph = await startPhone({ sipPort: await freePort(), ctrlPort: await freePort(), toneHz: TONE_OF[name] ?? 2000, autoAnswer: false, user: name.toLowerCase() });
  world.cleanups.push(() => ph.stop());
  const phone: CustomerPhone = {
    kind: 'baresip',
    uri: ph.uri,
    async call(target) {
      const r = await ph.command('dial', target);
      if (!r.ok) throw new Error(`baresip could not dial: ${r.data}`);
    },
    connected: async (ms = 5000) => void (await ph.event('CALL_ESTABLISHED', ms)),
    async hangup() {
      const r = await ph.command('hangup');
      if (!r.ok) throw new Error(`baresip could not hang up: ${r.data}`);
    },
    ended: async (ms = 5000) => void (await ph.event('CALL_CLOSED', ms)),
    async heardFrequency() {
      // sndfile closes its dump of the decoded audio when the call ends.
      await until(() => ph.decodedDumps().length > 0, 3000, `a sndfile dump in ${ph.dir}`);
      await sleep(200);
      return soxFrequency(ph.decodedDumps()[0] ?? '');
    },
  };
  slice(world).phones.set(name, phone);
  return phone;
}

/** Starts a linphonec phone for `name` (plays its tone, records what it decodes), stopped after the scenario. */
export async function startLinphonePhone(world: CallWorld, name: string): Promise<CustomerPhone> {
  requireLinphone();
  const dir = mkdtempSync(join(tmpdir(), 'features-linphone-'));
  world.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const tone = join(dir, 'tone.wav');
  toneWav(tone, 8000, TONE_OF[name] ?? 2000, 30);
  const ph = await startLinphone({ sipPort: await freePort(), rtpPort: await freePort(), playWav: tone, user: name.toLowerCase() });
  world.cleanups.push(() => ph.stop());
  const recording = join(dir, 'heard.wav');
  // In file mode `record` names the file the next call records into.
  ph.send(`record ${recording}`);
  let mark = 0;
  const phone: CustomerPhone = {
    kind: 'linphone',
    uri: ph.uri,
    async call(target) {
      mark = ph.output().length;
      ph.send(`call ${target}`);
      await Promise.resolve();
    },
    connected: async (ms = 5000) => void (await ph.waitFor(/Call \d+ with sip:\S+ connected/, ms, mark)),
    async hangup() {
      mark = ph.output().length;
      ph.send('terminate');
      await Promise.resolve();
    },
    ended: async (ms = 5000) => void (await ph.waitFor(/Call \d+ with sip:\S+ ended/, ms, mark)),
    async heardFrequency() {
      await until(() => existsSync(recording), 3000, `linphonec's recording ${recording}`);
      await sleep(300);
      return soxFrequency(recording, 0.5);
    },
  };
  slice(world).phones.set(name, phone);
  return phone;
}

/**
 * Answers `session` and remembers the audio sink its media got (each call of an endpoint gets its
 * own sink, created when the answer is written), so a multi-line scenario can listen per call.
 */
export async function answerAndTrack(world: CallWorld, name: string, session: Session): Promise<void> {
  const p = world.actor(name);
  const before = p.sinks.length;
  await session.answer();
  const sink = p.sinks[before];
  if (!sink) throw new Error(`${name}'s answered call got no audio sink`);
  slice(world).sinkOf.set(session.id, sink);
}

/** `name`'s session with `other` (the one sharing the Call-ID of `other`'s current call). */
export function sessionWith(world: CallWorld, name: string, other: string): Session {
  const id = world.call(other).id;
  const s = (world.history.get(name) ?? []).find((x) => x.id === id);
  if (!s) throw new Error(`${name} has no call with ${other}`);
  return s;
}

/** What arrives on a throwaway UDP socket on 127.0.0.1 (closed after the scenario). */
export async function rawSender(world: CallWorld): Promise<{ socket: Socket; port: number; replies: string[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  world.cleanups.push(() => void socket.close());
  const replies = slice(world).rawReplies;
  socket.on('message', (m) => replies.push(m.toString('utf8')));
  return { socket, port: socket.address().port, replies };
}

export { waitForUdpPort } from '../../libs/signaling/test/support/peers';
