// What the adapter declares in its initialize response: only what works end to end, each with why.
import type { DebugProtocol } from '@vscode/debugprotocol';

export function capabilities(): DebugProtocol.Capabilities {
  return {
    // configurationDone releases the launched node's boot, so breakpoints in init/1 apply.
    supportsConfigurationDoneRequest: true,
    // Conditions compile into match specifications inside the VM (or once into an agent-side fun).
    supportsConditionalBreakpoints: true,
    // Hit counts ("3", ">= 3", "% 10") are counted by the agent.
    supportsHitConditionalBreakpoints: true,
    // "Bank.Ledger.handle_cast/2", "Bank.Ledger.handle_cast", ":lists.reverse/1".
    supportsFunctionBreakpoints: true,
    // Log points are interpolated by the agent over the hit's bindings; nothing stops.
    supportsLogPoints: true,
    exceptionBreakpointFilters: [
      { filter: 'raised', label: 'Raised exceptions', description: 'Stop where traced code raises, throws or exits', default: false },
      { filter: 'crashes', label: 'Process crashes', description: 'Stop where a process that ran traced code dies abnormally', default: true },
    ],
    // The Debug pane is a view over the recording: stepBack and reverseContinue move backwards in it.
    supportsStepBack: true,
    // "Break on Value Change" on a value inside a GenServer State: continue (either way) stops at
    // the state version where it changes. Answered from the recording; the node never pauses.
    supportsDataBreakpoints: true,
    // Hovers and watches resolve names and field paths over the captured bindings.
    supportsEvaluateForHovers: true,
    // Copy Value gives the whole term, not the preview.
    supportsClipboardContext: true,
    // terminate ends the launched OS process group (attach: detaches cleanly).
    supportsTerminateRequest: true,
    // Stack pages: deep recursions are not sent whole.
    supportsDelayedStackTraceLoading: true,
  };
}
