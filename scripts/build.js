#!/usr/bin/env node
// Bundles the extension, the standalone adapter and the webviews into dist/ with esbuild.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root };

async function main() {
  const builds = [
    esbuild.build({ ...common, platform: 'node', target: 'node20', format: 'cjs',
      entryPoints: ['adapter/main.ts'], outfile: 'dist/adapter.js' }),
  ];
  if (fs.existsSync(path.join(root, 'extension', 'extension.ts'))) {
    builds.push(esbuild.build({ ...common, platform: 'node', target: 'node20', format: 'cjs',
      entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }));
  }
  const webviewEntries = fs.existsSync(path.join(root, 'webviews'))
    ? fs.readdirSync(path.join(root, 'webviews')).filter((f) => /^[a-zA-Z]+View\.ts$/.test(f)).map((f) => `webviews/${f}`)
    : [];
  if (webviewEntries.length > 0) {
    builds.push(esbuild.build({ ...common, platform: 'browser', target: 'es2022', format: 'iife',
      entryPoints: webviewEntries, outdir: 'dist/webviews' }));
  }
  await Promise.all(builds);
}

main().catch((err) => { console.error(err.message ?? err); process.exit(1); });
