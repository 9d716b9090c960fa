// Numbered, user-facing errors and notices: every failure the user can see has a code and says what to do.
// Ranges: 1000 launch/attach configuration, 1100 node process, 1200 agent protocol, 1300 recording store,
// 1400 the debug client's requests and input,
// 1999 a failure with no number of its own; 2000+ notices sent by the agent (erlang/src), never used here.
// test/unit/errors.test.ts keeps the catalog honest: codes unique, each used, none written as a literal.

export interface ScopeError {
  code: number;
  /** Message template; `{name}` placeholders are filled from the variables. */
  format: string;
}

function e(code: number, format: string): ScopeError {
  return { code, format };
}

export const Errors = {
  // 1000–1099: configuration
  invalidLaunchConfig: e(1000, 'Invalid launch configuration: {details}'),
  projectNotFound: e(1001, 'Project directory {dir} does not exist. Set "projectDir" to your Mix project.'),
  notAMixProject: e(1002, '{dir} is not a Mix project (no mix.exs). Set "projectDir" to the folder that holds mix.exs.'),
  elixirNotFound: e(1003, 'Elixir was not found on PATH ({details}). Install Elixir ≥ 1.14 with Erlang/OTP ≥ 25 and restart VS Code.'),
  // 1010–1019: one problem in a launch/attach configuration (adapter/config/validate.ts)
  configNotObject: e(1010, 'The debug configuration must be a JSON object, not {actual}.'),
  configWrongRequest: e(1011, '"request" must be "{expected}" here, not {actual}.'),
  configUnknownAttribute: e(1012, 'Unknown attribute "{attribute}" in this "{request}" configuration{hint}'),
  configMissingAttribute: e(1013, '"{attribute}" is required in this "{request}" configuration: {description}'),
  configWrongType: e(1014, '"{attribute}" must be {expected}, not {actual}.'),
  configBadValue: e(1015, '"{attribute}" is {actual}: {expected}'),
  configDuplicate: e(1016, '"{attribute}" lists {actual} more than once.'),
  // 1020–1029: the configuration against the running node
  traceMatchesNothing: e(1020, 'trace pattern "{pattern}" matches no loaded module: nothing is recorded for it until a module it names loads. Check its spelling in "trace".'),
  // 1100–1199: the debugged node
  compileFailed: e(1100, 'mix compile failed (exit code {code}); see the Debug Console for the compiler output.'),
  nodeExited: e(1101, 'The node exited (code {code}) before the agent connected. See the Debug Console for its output.'),
  agentTimeout: e(1102, 'The agent did not connect within {seconds} s. Is the node able to reach 127.0.0.1? See the Debug Console.'),
  nodeGone: e(1103, 'The debugged node is gone; the recording stays available until you stop the session.'),
  nodeUnreachable: e(1110, 'Cannot attach: {details} Start the node with --sname/--name (e.g. iex --sname app --cookie c -S mix) and check "node".'),
  wrongCookie: e(1111, 'Cannot attach: {details}. Set "cookie" to the node\'s cookie (--cookie or ~/.erlang.cookie).'),
  attachFailed: e(1112, 'Cannot attach: {details}'),
  // 1300–1399: recording store
  notCaptured: e(1301, '{details}'),
  replAfterExit: e(1104, 'The program has exited: the Debug Console cannot evaluate on it any more. Hovers and watches still work from the recording.'),
  historyDropped: e(1300, 'The recording reached its limit: the oldest history is being overwritten. Raise "recording" (maxEvents, maxBytes) to keep more.'),
  // 1410–1419: requests the session cannot answer
  notStarted: e(1410, 'Nothing is being debugged yet: this request needs a launch or attach first.'),
  unknownRequest: e(1411, 'Unknown request "{command}".'),
  viewRequestFailed: e(1412, '{details}'),
  // a failure that carries no number of its own (an agent's error reply, an unexpected exception): its message as is
  requestFailed: e(1999, '{details}'),
  // 1200–1299: agent protocol
  badToken: e(1200, 'A connection presented a wrong session token and was closed.'),
  frameTooLarge: e(1201, 'Frame of {size} bytes exceeds the {cap}-byte cap; connection closed.'),
  malformedFrame: e(1202, 'Malformed frame from the agent: {details}. The frame was dropped.'),
  protocolVersion: e(1203, 'Agent speaks protocol version {theirs}, the adapter {ours}. Rebuild with npm run build.'),
  unexpectedMessage: e(1204, 'Unexpected message from the agent: {details}.'),
  // 1400–1409: malformed input from the debug client (DAP)
  malformedDapMessage: e(1400, 'Malformed message from the debug client: {details}. It was dropped; the session continues.'),
} satisfies Record<string, ScopeError>;

export type ErrorName = keyof typeof Errors;

/** Formats an error's message with its variables; unknown placeholders stay visible. */
export function formatError(err: ScopeError, vars: Record<string, string | number> = {}): string {
  return err.format.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** The one way a notice reads in the Debug Console: "[ElixirScope 1300] text", or "[ElixirScope] text" unnumbered. */
export function noticeLine(text: string, code?: number): string {
  return `[ElixirScope${code === undefined ? '' : ` ${code}`}] ${text}\n`;
}

/** A numbered error as a notice line. */
export function errorNotice(err: ScopeError, vars: Record<string, string | number> = {}): string {
  return noticeLine(formatError(err, vars), err.code);
}

/** An Error that carries a numbered ScopeError. */
export class ScopeFailure extends Error {
  constructor(readonly error: ScopeError, readonly vars: Record<string, string | number> = {}) {
    super(formatError(error, vars));
  }
}
