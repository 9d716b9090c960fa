// The attach helper's node name: one of a few fixed names, the first this host's epmd does not list.
// The target makes an atom of every node name that connects to it and never frees it, so a fresh
// random name per attach would grow its atom table for as long as it runs; fixed names do not.
import * as net from 'net';

const NAME_SLOTS = 8;
const EPMD_TIMEOUT_MS = 2_000;
/** epmd's NAMES_REQ: a 2-byte length (1), then the request code 110. */
const NAMES_REQ = Buffer.from([0, 1, 110]);

/** `esc_attach_<n>` for the first slot free on this host (the first slot if epmd cannot be asked). */
export async function attachHelperName(): Promise<string> {
  const taken = await epmdNames();
  for (let slot = 1; slot <= NAME_SLOTS; slot++) {
    const name = `esc_attach_${slot}`;
    if (!taken.has(name)) return name;
  }
  // Every slot is held (as many attach sessions at once): one more atom is the lesser evil.
  return `esc_attach_${Date.now().toString(36)}`;
}

/** Node names registered with the local epmd; empty when it does not run (erl starts it then). */
function epmdNames(): Promise<Set<string>> {
  const port = Number(process.env.ERL_EPMD_PORT) || 4369;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      socket.destroy();
      // The answer is epmd's own port (4 bytes), then one "name <name> at port <port>" line per node.
      const text = Buffer.concat(chunks).subarray(4).toString('latin1');
      resolve(new Set([...text.matchAll(/^name (\S+) at port \d+$/gm)].map((m) => m[1])));
    };
    const socket = net.createConnection(port, '127.0.0.1', () => socket.write(NAMES_REQ));
    socket.setTimeout(EPMD_TIMEOUT_MS, done);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', () => undefined); // 'close' follows
  });
}
