// Static test server for the webviews on 127.0.0.1 (random port): builds the view bundles (same esbuild
// options as scripts/build.js) and the fake host in memory, and serves a page per view with a strict
// CSP and a nonce, as the extension's panel HTML does.
import * as esbuild from 'esbuild';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { readFileSync } from 'fs';

const ROOT = path.resolve(__dirname, '../../..');
export const VIEWS = ['stateHistoryView', 'messageSequenceView'] as const;

export interface TestServer {
  origin: string;
  /** URL of the page hosting one view; `query` goes to the fake host (fixture, theme, n, firstPage, cursor…). */
  url(view: 'stateHistory' | 'messageSequence', query?: Record<string, string | number>): string;
  close(): Promise<void>;
}

async function bundles(): Promise<Map<string, string>> {
  const common = { bundle: true, platform: 'browser' as const, target: 'es2022', format: 'iife' as const, write: false, absWorkingDir: ROOT, logLevel: 'warning' as const };
  const [views, host] = await Promise.all([
    esbuild.build({ ...common, entryPoints: VIEWS.map((v) => `webviews/${v}.ts`), outdir: 'dist/webviews' }),
    esbuild.build({ ...common, entryPoints: ['test/webviews/support/fakeHost.ts'], outfile: 'dist/test/fakeHost.js' }),
  ]);
  const files = new Map<string, string>();
  for (const f of [...(views.outputFiles ?? []), ...(host.outputFiles ?? [])]) files.set('/' + path.relative(ROOT, f.path).split(path.sep).join('/'), f.text);
  files.set('/vscodeTheme.css', readFileSync(path.join(__dirname, 'vscodeTheme.css'), 'utf8'));
  return files;
}

/** The page the host must produce, in its test form: CSP, nonce on scripts, styles by URL only. */
function page(origin: string, view: string, nonce: string): string {
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${origin}; img-src ${origin} data:; font-src ${origin}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${origin}/vscodeTheme.css">
<link rel="stylesheet" href="${origin}/dist/webviews/${view}View.css">
<title>${view}</title></head>
<body><div id="root"></div>
<script nonce="${nonce}" src="${origin}/dist/test/fakeHost.js"></script>
<script nonce="${nonce}" src="${origin}/dist/webviews/${view}View.js"></script>
</body></html>`;
}

export async function startServer(): Promise<TestServer> {
  const files = await bundles();
  let origin = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', origin);
    const m = /^\/(stateHistory|messageSequence)\.html$/.exec(u.pathname);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(origin, m[1], Math.random().toString(36).slice(2)));
      return;
    }
    const body = files.get(u.pathname);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': u.pathname.endsWith('.css') ? 'text/css' : u.pathname.endsWith('.map') ? 'application/json' : 'text/javascript' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (view, query = {}) => `${origin}/${view}.html?${new URLSearchParams({ view, ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) })}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
