// The agent port's refusals carry their numbered error: a Hello with our token but another protocol
// version is a protocolVersion (1203) refusal, not a bad token. A raw loopback client plays the agent.
import * as assert from 'assert';
import { once } from 'events';
import * as net from 'net';
import { Errors, ScopeFailure } from '../../../adapter/errors';
import { elixirscope } from '../../../adapter/gen/wire';
import { PROTOCOL_VERSION } from '../../../adapter/gen/version';
import { AgentServer } from '../../../adapter/runtime/agentServer';
import { encodeFrame } from '../../../adapter/runtime/framing';

function hello(token: string, protocolVersion: number): Buffer {
  return encodeFrame(elixirscope.AgentMessage.encode({
    hello: { protocolVersion, token, node: 'raw@test', otpRelease: '27', ertsVersion: '0', elixirVersion: '', osPid: String(process.pid), agentVersion: 'test' },
  }).finish());
}

/** Connects, sends `frame`, and resolves with the server's refusal (its reason and failure) once the socket is closed. */
async function refusal(server: AgentServer, port: number, frame: Buffer): Promise<[string, ScopeFailure | undefined]> {
  const rejected = once(server, 'rejected') as Promise<[string, ScopeFailure | undefined]>;
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  await once(socket, 'connect');
  socket.write(frame);
  const closed = once(socket, 'close');
  const [result] = await Promise.all([rejected, closed]);
  return result;
}

describe('agent server: numbered refusals', function () {
  this.timeout(5_000);
  let server: AgentServer;
  let port: number;

  beforeEach(async () => {
    server = new AgentServer();
    port = await server.listen();
  });

  afterEach(() => server.close());

  it('refuses our token with another protocol version as protocolVersion (1203), saying both versions', async () => {
    const [reason, failure] = await refusal(server, port, hello(server.token, PROTOCOL_VERSION + 1));
    assert.strictEqual(reason, `agent speaks protocol version ${PROTOCOL_VERSION + 1}, the adapter ${PROTOCOL_VERSION}`);
    assert.ok(failure instanceof ScopeFailure, 'the refusal carries its numbered error');
    assert.strictEqual(failure.error, Errors.protocolVersion);
    assert.strictEqual(failure.error.code, 1203);
    assert.match(failure.message, new RegExp(`protocol version ${PROTOCOL_VERSION + 1}, the adapter ${PROTOCOL_VERSION}\\. Rebuild`));
  });

  it('leaves a wrong token without a failure of its own (reported as badToken)', async () => {
    const [reason, failure] = await refusal(server, port, hello('not-the-token', PROTOCOL_VERSION));
    assert.strictEqual(reason, 'wrong session token');
    assert.strictEqual(failure, undefined);
  });
});
