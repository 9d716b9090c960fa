// Standalone debug adapter: DAP on stdio, or with --server=PORT on TCP (PORT 0 picks a free port and
// prints it), one session per connection. Usable from any DAP client.
import * as net from 'net';
import { ElixirScopeSession } from './dap/session';
import { liveTargets } from './runtime/debugRuntime';

function serverPort(argv: string[]): number | undefined {
  for (const a of argv) {
    const m = /^--server=(\d+)$/.exec(a);
    if (m) return parseInt(m[1], 10);
  }
  return undefined;
}

const port = serverPort(process.argv.slice(2));
if (port !== undefined) {
  const server = net.createServer((socket) => {
    const session = new ElixirScopeSession(liveTargets);
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('close', () => void session.shutdown());
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`ElixirScope debug adapter listening on 127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
} else {
  const session = new ElixirScopeSession(liveTargets);
  const end = () => void session.shutdown();
  process.on('SIGTERM', end);
  process.stdin.on('end', end);
  session.start(process.stdin, process.stdout);
}
