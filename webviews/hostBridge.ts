// The only channel between a webview and its host: VS Code's acquireVsCodeApi().postMessage out, window
// 'message' events in, both typed by the shared union. A test page provides a fake acquireVsCodeApi.
import { HostToView, ViewToHost, isHostToView } from '../adapter/protocol/webviewData';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  // VS Code may define it as a global binding that is not a window property: read the bare name.
  var acquireVsCodeApi: (() => VsCodeApi) | undefined;
}

export interface HostBridge {
  post(message: ViewToHost): void;
  onMessage(handler: (message: HostToView) => void): void;
  /** UI state kept by VS Code across the panel being hidden (webview state survives, the DOM does not). */
  getState<T>(): T | undefined;
  setState(state: unknown): void;
}

/** acquireVsCodeApi may be called only once per page, so the bridge is a singleton. */
let bridge: HostBridge | undefined;

export function connectHost(): HostBridge {
  if (bridge) return bridge;
  const api: VsCodeApi = typeof acquireVsCodeApi === 'function'
    ? acquireVsCodeApi()
    // Opened outside VS Code without a fake host: stay inert rather than throw, so the page still renders.
    : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };
  bridge = {
    post: (m) => api.postMessage(m),
    onMessage: (handler) =>
      window.addEventListener('message', (ev: MessageEvent) => {
        if (isHostToView(ev.data)) handler(ev.data);
      }),
    getState: <T>() => (api.getState() ?? undefined) as T | undefined,
    setState: (s) => api.setState(s),
  };
  return bridge;
}
