#!/usr/bin/env node
// `npm run demo`: a scripted, headless debug session on examples/bank through dist/adapter.js,
// printing what a user would see in VS Code's Debug pane. Installs and builds what it needs first.
const { execSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
process.chdir(root);
execSync('node scripts/check-prereqs.js', { stdio: 'inherit' });
require('./ensure-deps')(root);
console.log('Building (npm run build)…');
execSync('npm run --silent build', { stdio: 'inherit' });

const { DebugClient } = require('@vscode/debugadapter-testsupport');

const project = path.join(root, 'examples', 'bank');
const say = (title, text = '') => console.log(`\n▶ ${title}${text ? `\n${text}` : ''}`);
const indent = (s) => s.split('\n').map((l) => `    ${l}`).join('\n');

async function main() {
  const dc = new DebugClient('node', path.join(root, 'dist', 'adapter.js'), 'elixir-scope');
  let programOutput = '';
  dc.on('output', (e) => {
    if (e.body.category === 'stdout' || e.body.category === 'stderr') programOutput += e.body.output;
    else process.stdout.write(indent(e.body.output.trimEnd()) + '\n');
  });
  await dc.start();
  const init = await dc.initializeRequest();
  say('initialize: capabilities', indent(JSON.stringify(init.body, null, 1)));

  say(`launch: mix run demo.exs in ${path.relative(root, project)}`);
  const exited = new Promise((resolve) => dc.on('output', (e) => /The program exited/.test(e.body.output) && resolve()));
  const launched = dc.launchRequest({ projectDir: project, task: 'run', taskArgs: ['demo.exs'] });
  await dc.configurationDoneRequest();
  await launched;
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20000))]);

  say('program output (Debug Console)', indent(programOutput.trimEnd()));
  const threads = (await dc.threadsRequest()).body.threads;
  say(`threads: ${threads.length} processes ran project code`, indent(threads.map((t) => `#${t.id} ${t.name}`).join('\n')));

  await dc.disconnectRequest({ terminateDebuggee: true });
  await dc.stop();
  say('session closed; no node left running');
}

main().catch((err) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
