// Where the memory of an idle line goes (a profile aid for run.mjs's "per idle line" figure):
// in a fresh process (--expose-gc), K of one building block, measured after GC:
//   socket  a bare node:dgram UDP socket bound on 127.0.0.1:0
//   stack   a SipStack from @sip-endpoint/signaling listening on UDP 127.0.0.1:0
//   ua      a UserAgent (its own stack), no registration
//   shared  a UserAgent on one stack shared by all (incoming: 'external', as the endpoint's lines)
// Prints one JSON line; compare with K = 1 of the same kind.
// Usage: node --expose-gc --conditions=@sip-endpoint/source --import tsx bench/endpoint/line-breakdown.ts stack 400
import { createSocket, type Socket } from 'node:dgram';
import { SipStack, UserAgent } from '@sip-endpoint/signaling';

const [kind, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const keep: { dispose?: () => void; close?: () => void }[] = [];
let sharedStack: SipStack | undefined;
for (let i = 0; i < count; i++) {
  if (kind === 'socket') {
    const s: Socket = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.on('message', () => undefined);
    keep.push(s);
  } else if (kind === 'stack') {
    keep.push(await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] }));
  } else if (kind === 'ua') {
    keep.push(
      await UserAgent.create({
        aor: `sip:agent${i}@127.0.0.1`,
        stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] },
        createSessionDescriptionHandler: () => {
          throw new Error('no calls here');
        },
      }),
    );
  } else if (kind === 'shared') {
    sharedStack ??= await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
    keep.push(
      await UserAgent.create({
        aor: `sip:agent${i}@127.0.0.1`,
        stack: sharedStack,
        incoming: 'external',
        createSessionDescriptionHandler: () => {
          throw new Error('no calls here');
        },
      }),
    );
  } else throw new Error(`unknown kind ${kind}`);
}
for (let i = 0; i < 3; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 100));
}
const m = process.memoryUsage();
console.log(JSON.stringify({ kind, count, rssKb: m.rss / 1024, heapKb: m.heapUsed / 1024, externalKb: (m.external + m.arrayBuffers) / 1024 }));
for (const k of keep) (k.dispose ?? k.close)?.call(k);
sharedStack?.dispose();
process.exit(0);
