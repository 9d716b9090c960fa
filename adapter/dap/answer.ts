// How a request handler outside the session says what to answer, so the session alone sends responses:
// a body; a failure (logged, answered with its numbered error or requestFailed); or an error message as is.
import type { DebugProtocol } from '@vscode/debugprotocol';

export type Answer = { body: unknown } | { failure: unknown; showUser?: boolean } | { error: DebugProtocol.Message };
