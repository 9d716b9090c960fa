// Public surface of the recording store (runtime model): create a RecordingStore, feed it agent frames,
// drive a Navigator over it. Nothing here knows DAP or vscode; the DAP layer translates.

export { RecordingStore } from './recording-store';
export type { HistoryDropped, AgentLoss, Committed, StoreEventMap, StoreStats, MemoryReport } from './recording-store';
export { Navigator } from './navigator';
export type { StepKind, StopReason, MoveOptions, MoveResult, Moved, AtBoundary, Waiting, Cancelled, NavigatorEventMap } from './navigator';
export { RecordingView } from './views';
export type { FrameInfo, StackInfo, FrameScopes, ArgumentsInfo, PositionScopes, StateInfo, MessageInfo, EventInfo, EventLinks } from './views';
export { resolveLimits, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES } from './config';
export type { RecordingLimits, ResolvedLimits } from './config';
export { Kind, isSteppable, kindName } from './event-kind';
export { ProcState, formatMfa, elixirModule, atomName } from './processes';
export type { Mfa } from './processes';
