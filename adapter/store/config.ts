// Recording limits: the launch attribute `recording` ({maxEvents, maxBytes}) resolved into the sizes
// the ring buffer, body arena and reorder window actually use.
import { RING_BYTES_PER_EVENT } from './eventColumns';

/**
 * The recording's limits. Every field is optional. maxEvents and maxBytes are the launch attribute
 * `recording` (config/launchSchema.ts takes them and their defaults from here).
 */
export interface RecordingLimits {
  /** Most events kept; older ones are overwritten. Default 1,000,000. */
  maxEvents?: number;
  /** Most bytes for the whole recording: typed-array columns at full capacity plus body arena. Default 256 MiB. */
  maxBytes?: number;
  /**
   * Reorder window in agent nanoseconds. Batches from several agent encoder processes interleave
   * slightly out of order, so an event is committed only once an event at least this much later
   * (by `mono`) has arrived, or when the store is flushed. Events older than what was already
   * committed are appended at the end and counted as `late` (never dropped). Default 20 ms; 0 commits at once.
   */
  reorderWindowNs?: number;
  /**
   * Wall-clock quiet time after which pending events are committed even though the window has not
   * passed (so the live end is never stuck when the program goes idle). Default 25 ms; 0 = no timer
   * (call `flush()` yourself; tests do).
   */
  flushDelayMs?: number;
}

export interface ResolvedLimits {
  maxEvents: number;
  maxBytes: number;
  /** Bytes for event bodies (maxBytes minus the columns at full capacity). */
  arenaBytes: number;
  chunkBytes: number;
  maxChunks: number;
  reorderWindowNs: number;
  flushDelayMs: number;
}

export const DEFAULT_MAX_EVENTS = 1_000_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_REORDER_WINDOW_NS = 20_000_000;
export const DEFAULT_FLUSH_DELAY_MS = 25;

/** Per-process step index per event: 8-byte index + 4-byte depth + min levels, with at most 2× capacity slack. */
const STEP_INDEX_BYTES_PER_EVENT = 26;

/** Bytes of typed-array storage per retained event: the ring's columns (eventColumns.ts) plus the step index. */
export const COLUMN_BYTES_PER_EVENT = RING_BYTES_PER_EVENT + STEP_INDEX_BYTES_PER_EVENT;

const MAX_CHUNK = 4 * 1024 * 1024;
const MIN_CHUNK = 4 * 1024;

function positiveInt(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 1 || Math.floor(v) !== v) throw new RangeError(`recording.${what} must be a positive integer (got ${v})`);
  return v;
}

/**
 * Resolves limits. When the columns for maxEvents would take more than half of maxBytes, the event
 * capacity is lowered so that bodies keep at least half: a byte budget is a promise about memory.
 */
export function resolveLimits(l: RecordingLimits = {}): ResolvedLimits {
  const maxBytes = positiveInt(l.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes');
  let maxEvents = positiveInt(l.maxEvents, DEFAULT_MAX_EVENTS, 'maxEvents');
  const columnCap = Math.floor(maxBytes / 2 / COLUMN_BYTES_PER_EVENT);
  if (maxEvents > columnCap) maxEvents = Math.max(16, columnCap);
  const arenaBytes = Math.max(MIN_CHUNK * 4, maxBytes - maxEvents * COLUMN_BYTES_PER_EVENT);
  // At least 8 chunks so that eviction frees memory in steps of at most 1/8 of the arena.
  let chunkBytes = MAX_CHUNK;
  while (chunkBytes > MIN_CHUNK && arenaBytes / chunkBytes < 8) chunkBytes >>= 1;
  const maxChunks = Math.max(2, Math.floor(arenaBytes / chunkBytes));
  const reorderWindowNs = l.reorderWindowNs ?? DEFAULT_REORDER_WINDOW_NS;
  const flushDelayMs = l.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
  if (!(reorderWindowNs >= 0)) throw new RangeError('recording.reorderWindowNs must be >= 0');
  if (!(flushDelayMs >= 0)) throw new RangeError('recording.flushDelayMs must be >= 0');
  return { maxEvents, maxBytes, arenaBytes, chunkBytes, maxChunks, reorderWindowNs, flushDelayMs };
}
