// One webview panel (state history of a GenServer, or the message sequence) of one debug session: its HTML
// (webviews/HOSTING.md: strict CSP with a fresh nonce, bundles from dist/webviews), wired to a ViewHost that
// exchanges messages with the view and the adapter's custom DAP requests (adapter/protocol/customDap.ts).
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import type { StreamGrewEventBody } from '../adapter/protocol/customDap';
import { isViewToHost, type ExportMessage, type ViewName } from '../adapter/protocol/webviewData';
import { ViewHost } from './viewHost';

export interface PanelSpec {
  view: ViewName;
  session: vscode.DebugSession;
  title: string;
  /** stateHistory: the adapter's versions stream key. */
  key?: string;
  /** messageSequence opened for some processes: only their lifelines at first. */
  onlyPids?: string[];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page of a view, per webviews/HOSTING.md. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewName, title: string): string {
  const nonce = randomBytes(16).toString('hex');
  const asset = (ext: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', `${view}View.${ext}`)).toString();
  const src = webview.cspSource;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src ${src}; img-src ${src} data:; font-src ${src}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${asset('css')}">
<title>${escapeHtml(title)}</title></head>
<body><div id="root"></div>
<script nonce="${nonce}" src="${asset('js')}"></script>
</body></html>`;
}

/** A panel bound to one debug session; the session's tracker forwards stops and stream growth. */
export class StreamPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private readonly host: ViewHost;

  constructor(extensionUri: vscode.Uri, readonly spec: PanelSpec, onDispose: () => void) {
    const heading = spec.view === 'stateHistory' ? `State: ${spec.title}` : spec.title;
    this.panel = vscode.window.createWebviewPanel(`elixirScope.${spec.view}`, heading, vscode.ViewColumn.Beside, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')],
    });
    const webview = this.panel.webview;
    this.host = new ViewHost({
      view: spec.view,
      title: spec.title,
      key: spec.key,
      onlyPids: spec.onlyPids,
      request: async (command, args) => spec.session.customRequest(command, args),
      post: (m) => void webview.postMessage(m),
      exportDiagram,
      warn: (message) => void vscode.window.showWarningMessage(`ElixirScope: ${message}`),
    });
    webview.html = webviewHtml(webview, extensionUri, spec.view, heading);
    const received = webview.onDidReceiveMessage((m: unknown) => {
      if (isViewToHost(m)) void this.host.onMessage(m);
    });
    this.panel.onDidDispose(() => {
      this.host.close();
      received.dispose();
      onDispose();
    });
  }

  get sessionId(): string {
    return this.spec.session.id;
  }

  dispose(): void {
    this.panel.dispose();
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  cursorMoved(): void {
    void this.host.cursorMoved();
  }

  grew(body: StreamGrewEventBody): void {
    void this.host.grew(body);
  }

  setLive(live: boolean): void {
    this.host.setLive(live);
  }
}

/** `export` from a view: offer a save dialog and write the file. */
async function exportDiagram(m: ExportMessage): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, m.suggestedName) : undefined,
    filters: m.format === 'svg' ? { SVG: ['svg'] } : { Mermaid: ['mmd', 'md'] },
    saveLabel: m.format === 'svg' ? 'Export SVG' : 'Export Mermaid',
  });
  if (!uri) return;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(m.content, 'utf8'));
  void vscode.window.showInformationMessage(`ElixirScope: diagram saved to ${vscode.workspace.asRelativePath(uri)}.`);
}
