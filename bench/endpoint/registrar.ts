// The registrar of the idle-line memory runs, in its own process (so its bindings do not count
// in the endpoint's memory): `Registrar` from @sip-endpoint/signaling on 127.0.0.1 (UDP, ephemeral
// port), domain 127.0.0.1, digest authentication (every user's password is `pw`). Prints
// `{"port":N}` once bound; prints `{"bindings":N}` for each `count` line on stdin; exits when
// stdin closes.
// Usage: node --conditions=@sip-endpoint/source --import tsx bench/endpoint/registrar.ts
import { createInterface } from 'node:readline';
import { Registrar, SipStack } from '@sip-endpoint/signaling';

const stack = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
const registrar = new Registrar(stack, { domain: '127.0.0.1', credentials: (user) => ({ username: user, password: 'pw' }) });
const aors = new Set<string>();
registrar.onDidChangeBindings((e) => {
  if (e.bindings.length > 0) aors.add(e.aor);
  else aors.delete(e.aor);
});
console.log(JSON.stringify({ port: stack.listeningPoints[0]!.port }));
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'count') console.log(JSON.stringify({ bindings: aors.size }));
});
rl.on('close', () => {
  registrar.dispose();
  stack.dispose();
  process.exit(0);
});
