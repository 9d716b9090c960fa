// Throttled `elixirScope.streamGrew` notifications while the recording grows, so the webviews fetch what is
// new. DAP-agnostic: the session sends what watchStreams hands it as DAP events.
import { CustomEvents, type StreamGrewEventBody } from '../protocol/customDap';
import type { DebugTarget } from '../runtime/runtime';
import { streamIndexOf, type StreamIndex } from '../store';
import type { WebviewRuntime } from './requests';

/** Most notifications per second per stream: the views fetch what is new after each. */
export const STREAM_GREW_MAX_PER_SECOND = 4;

/** The runtime events watchStreams follows (a DebugTarget). */
export type WatchedRuntime = WebviewRuntime & Pick<DebugTarget, 'on' | 'off'>;

/**
 * Sends `elixirScope.streamGrew` (StreamGrewEventBody) through `send` while the recording grows: at most
 * STREAM_GREW_MAX_PER_SECOND times a second, one event per stream that grew (messages, and each GenServer's
 * versions) with its new total; and once more for the messages stream with `live: false` when the program
 * exits. The target's store is created once with it, so one index is followed. Returns a function that stops it.
 */
export function watchStreams(runtime: WatchedRuntime, send: (event: typeof CustomEvents.streamGrew, body: StreamGrewEventBody) => void): () => void {
  const interval = 1000 / STREAM_GREW_MAX_PER_SECOND;
  let ix: StreamIndex | undefined;
  let messagesDirty = false;
  const dirtyKeys = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastFlush = 0;
  let stopped = false;

  const flush = (live = runtime.programRunning): void => {
    timer = undefined;
    lastFlush = Date.now();
    if (!ix) return;
    if (messagesDirty) send(CustomEvents.streamGrew, { stream: 'messages', total: ix.messages.total, live });
    for (const key of dirtyKeys) {
      const vs = ix.versions.get(key);
      if (vs) send(CustomEvents.streamGrew, { stream: 'versions', key, total: vs.list.total, live });
    }
    messagesDirty = false;
    dirtyKeys.clear();
  };
  const onGrew = (g: { messages: boolean; versionKeys: Set<string> }): void => {
    if (g.messages) messagesDirty = true;
    for (const k of g.versionKeys) dirtyKeys.add(k);
    if (timer === undefined && !stopped) {
      timer = setTimeout(flush, Math.max(0, lastFlush + interval - Date.now()));
      timer.unref?.();
    }
  };
  const follow = (): void => {
    const next = streamIndexOf(runtime.store);
    if (next === ix) return;
    ix?.off('grew', onGrew);
    ix = next;
    ix.on('grew', onGrew);
  };
  const onExited = (): void => {
    if (stopped) return;
    follow();
    if (timer !== undefined) clearTimeout(timer);
    messagesDirty = true;
    flush(false);
  };
  follow();
  runtime.on('programExited', onExited);
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    ix?.off('grew', onGrew);
    runtime.off('programExited', onExited);
  };
}
