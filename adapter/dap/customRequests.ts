// The custom DAP requests: the webviews' data (adapter/webview/requests.ts answers them from the
// recording) and the emergency stop; any other command is an unknown request (1411).
import { Errors, formatError, ScopeFailure } from '../errors';
import { CustomRequests } from '../protocol/customDap';
import type { DebugTarget } from '../runtime/runtime';
import { handleWebviewRequest, isWebviewRequest } from '../webview/requests';
import type { Answer } from './answer';

/** `target` is undefined before launch/attach: the requests that need one then fail with notStarted. */
export async function customRequest(command: string, args: unknown, target: DebugTarget | undefined): Promise<Answer> {
  if (!target && isWebviewRequest(command)) return { failure: new ScopeFailure(Errors.notStarted), showUser: false };
  const wv = handleWebviewRequest(command, args, target!); // answers only its own commands, which need a target
  if (wv.handled) {
    if (wv.error !== undefined) return { error: { id: Errors.viewRequestFailed.code, format: wv.error, showUser: false } };
    return { body: wv.body };
  }
  if (command === CustomRequests.emergencyStop) {
    try {
      if (!target) throw new ScopeFailure(Errors.notStarted);
      await target.emergencyStop();
      return { body: { stopped: true, removed: 0 } };
    } catch (err) {
      return { failure: err };
    }
  }
  return { error: { id: Errors.unknownRequest.code, format: formatError(Errors.unknownRequest, { command }) } };
}
