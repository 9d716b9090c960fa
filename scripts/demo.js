#!/usr/bin/env node
// `npm run demo`: a scripted, headless debug session on examples/bank through dist/adapter.js,
// printing what a user would see in VS Code's Debug pane: a conditional breakpoint hit, the stack,
// named bindings, a hover, a step back through GenServer state versions, continue and reverse
// continue between hits. Installs and builds what it needs first.
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
const accountEx = path.join(project, 'lib', 'bank', 'account.ex');
const CONDITION = 'state.id == :b and amount >= 10';
const LINE = 31;

const say = (title, text = '') => console.log(`\n▶ ${title}${text ? `\n${text}` : ''}`);
const indent = (s) => String(s).split('\n').map((l) => `    ${l}`).join('\n');

async function main() {
  const dc = new DebugClient('node', path.join(root, 'dist', 'adapter.js'), 'elixir-scope');
  dc.defaultTimeout = 30000;
  let programOutput = '';
  dc.on('output', (e) => {
    if (e.body.category === 'stdout' || e.body.category === 'stderr') programOutput += e.body.output;
    else process.stdout.write(indent(e.body.output.trimEnd()) + '\n');
  });
  const exited = new Promise((resolve) => dc.on('output', (e) => /The program exited/.test(e.body.output) && resolve()));
  await dc.start();
  await dc.initializeRequest();

  say(`launch: mix run demo.exs in ${path.relative(root, project)} (the program runs at full speed; nothing pauses it)`);
  const initialized = dc.waitForEvent('initialized', 60000);
  await dc.launchRequest({ projectDir: project, task: 'run', taskArgs: ['demo.exs'] });
  await initialized;

  const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: LINE, condition: CONDITION }] });
  const bp = set.body.breakpoints[0];
  say(`breakpoint account.ex:${LINE} when ${CONDITION}`, indent(bp.verified ? `verified (runs as a match specification inside the VM)` : `NOT verified: ${bp.message}`));

  const firstStop = dc.waitForEvent('stopped', 30000);
  await dc.configurationDoneRequest();
  const hit = await firstStop;
  const threadId = hit.body.threadId;
  const threads = (await dc.threadsRequest()).body.threads;
  say(`stopped: ${hit.body.reason} — ${hit.body.description}`, indent(`thread: ${threads.find((t) => t.id === threadId)?.name}`));

  const show = async (title) => {
    const st = await dc.stackTraceRequest({ threadId });
    const frames = st.body.stackFrames;
    const lines = frames.slice(0, 4).map((f) => `${f.name}  ${f.source ? `${path.relative(root, f.source.path)}:${f.line}` : '(no source)'}`);
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    for (const s of scopes) {
      if (s.name === 'Process') continue;
      const vars = (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
      lines.push(`  ${s.name}:`);
      for (const v of vars) lines.push(`    ${v.name} = ${v.value}`);
    }
    say(title, indent(lines.join('\n')));
    return frames[0];
  };

  const top = await show('stack and variables at the hit');
  const hoverBalance = await dc.evaluateRequest({ expression: 'state.balance', frameId: top.id, context: 'hover' });
  const hoverAmount = await dc.evaluateRequest({ expression: 'amount', frameId: top.id, context: 'hover' });
  say('hover', indent(`state.balance → ${hoverBalance.body.result}\namount → ${hoverAmount.body.result}`));

  const stateAt = async () => {
    const f = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    const scopes = (await dc.scopesRequest({ frameId: f.id })).body.scopes;
    const s = scopes.find((x) => x.name.startsWith('GenServer State'));
    if (!s) return { frame: f, state: '(none)' };
    const v = (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables[0];
    return { frame: f, label: s.name, state: v.value };
  };
  const before = await stateAt();
  const steps = [];
  let now = before;
  for (let i = 0; i < 30 && now.state === before.state; i++) {
    const stop = dc.waitForEvent('stopped');
    await dc.stepBackRequest({ threadId });
    const ev = await stop;
    now = await stateAt();
    steps.push(`← ${ev.body.description}`);
  }
  say(`step back ×${steps.length} until the GenServer state changes`, indent(`${before.label}: ${before.state}\n${steps.join('\n')}\n${now.label}: ${now.state}`));

  const again = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId });
  say(`continue → ${(await again).body.description} (the hit we stepped back from)`);

  const next = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId });
  await next;
  await show('continue → the next hit in the recording');

  const prev = dc.waitForEvent('stopped');
  await dc.send('reverseContinue', { threadId });
  await prev;
  await show('reverse continue → the previous hit');

  await Promise.race([exited, new Promise((r) => setTimeout(r, 20000))]);
  say('program output (Debug Console; the program ran to its end meanwhile — nothing paused it)', indent(programOutput.trimEnd()));
  const late = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const after = await dc.evaluateRequest({ expression: 'state', frameId: late.id, context: 'hover' });
  say('after the exit, the recording still answers', indent(`hover state → ${after.body.result}`));
  await dc.disconnectRequest({ terminateDebuggee: true });
  await dc.stop();
  say('session closed; no node left running');
}

main().catch((err) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
