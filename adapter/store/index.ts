// Public surface of the recording store (runtime model): create a RecordingStore, feed it agent frames,
// drive a Navigator over it. Nothing here knows DAP or vscode; the DAP layer translates.
//
//   const store = new RecordingStore(launchArgs.recording);          // {maxEvents, maxBytes}
//   store.on('historyDropped', (d) => tellUser(d));                 // oldest history overwritten
//   const other = store.ingest(frameBytes);                         // undefined for event batches
//   const nav = new Navigator(store);
//   nav.on('moved', (m) => sendStopped(m.reason, m.pid));           // also when a wait resolves
//   const r = nav.stepOver({ reverse: true, pid });                 // 'moved' | 'boundary' | 'waiting'
//   nav.stack(pid).frames; nav.scopes(pid); nav.state(pid); nav.message(pid);

export { RecordingStore } from './recordingStore';
export type { HistoryDropped, AgentLoss, Committed, StoreEventMap, StoreStats, MemoryReport } from './recordingStore';
export { Navigator } from './navigator';
export type { StepKind, StopReason, MoveOptions, MoveResult, Moved, AtBoundary, Waiting, Cancelled, NavigatorEventMap } from './navigator';
export { RecordingView } from './views';
export { ValueWatches } from './valueWatches';
export type { ValueWatch, WatchHit } from './valueWatches';
export type { FrameInfo, StackInfo, FrameScopes, ArgumentsInfo, PositionScopes, StateInfo, MessageInfo, EventInfo, EventLinks } from './views';
export { resolveLimits, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES } from './config';
export type { RecordingLimits, ResolvedLimits } from './config';
export { Kind, isSteppable, kindName } from './eventKind';
export { ProcState, formatMfa, elixirModule, atomName } from './processes';
export type { Mfa } from './processes';
export { GapBook, describeGaps, GAP_REASON_TEXT } from './gaps';
export type { Gap, GapReason, SamplingWindow, CrossedGaps } from './gaps';
export { StreamIndex, streamIndexOf, existingStreamIndex } from './streamIndex';
export type { VersionStream, StreamIndexEvents } from './streamIndex';
export { StreamList } from './streamList';
export { RegisteredNames, nameOfPid } from './registeredNames';
