// Runs the @vscode/test-electron suite (test/electron/suite) in a downloaded desktop VS Code with
// the extension loaded from this repository (built dist/ and erlang/ebin) and a copy of
// examples/bank as the workspace.
//
// Where VS Code cannot be downloaded (offline machines) or cannot run (no display and no xvfb-run),
// it prints "SKIPPED: <why>" and "0 passed, 0 failed, N skipped" and exits 0: the suite is then
// reported as skipped, never as passed. Otherwise it ends with "N passed, N failed, N skipped" and
// exits 1 when a test failed.
//
//   npx tsx test/electron/runTests.ts        (VSCODE_TEST_VERSION=1.100.3 pins the VS Code version)
import { spawnSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { download, runTests } from '@vscode/test-electron';
import { prepareWorkspace, repoRoot } from '../e2e/support/codeServer';

const suiteDir = path.join(__dirname, 'suite');
const outDir = path.join(repoRoot, '.vscode-test', 'electron-suite');
const version = process.env.VSCODE_TEST_VERSION ?? 'stable';

/** Number of tests the suite declares (reported as skipped when it cannot run). */
function declaredTests(): number {
  return fs
    .readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.ts'))
    .reduce((n, f) => n + (fs.readFileSync(path.join(suiteDir, f), 'utf8').match(/^\s*it\(/gm)?.length ?? 0), 0);
}

function summary(passed: number, failed: number, skipped: number): void {
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
}

function skip(reason: string): never {
  console.log(`SKIPPED: @vscode/test-electron suite: ${reason}`);
  summary(0, 0, declaredTests());
  process.exit(0);
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js')) || !fs.existsSync(path.join(repoRoot, 'dist', 'adapter.js'))) {
    console.error('dist/ is not built: run npm run build first.');
    summary(0, 1, 0);
    process.exit(1);
  }

  // 1. VS Code itself: cached in .vscode-test/ after the first download.
  let vscodeExecutablePath: string;
  try {
    console.log(`Getting VS Code ${version} (cache: .vscode-test/)…`);
    vscodeExecutablePath = await download({ version, timeout: 20_000, cachePath: path.join(repoRoot, '.vscode-test') });
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    skip(`VS Code ${version} could not be downloaded (${why}). Run it on a machine with internet access; here the offline end-to-end test (code-server, test/e2e) covers the extension in a real VS Code.`);
  }

  // 2. A display: desktop VS Code needs one (xvfb-run provides a virtual one on headless Linux).
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    if (process.env.ELIXIR_SCOPE_UNDER_XVFB) skip('xvfb-run started but no DISPLAY is set.');
    if (!hasCommand('xvfb-run')) skip('no display (DISPLAY is unset) and xvfb-run is not installed (apt-get install xvfb).');
    const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, ELIXIR_SCOPE_UNDER_XVFB: '1' },
    });
    process.exit(r.status ?? 1);
  }

  // 3. The suite, bundled for the extension host (vscode and mocha stay external).
  fs.rmSync(outDir, { recursive: true, force: true });
  const entryPoints = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(suiteDir, f));
  await esbuild.build({ entryPoints, outdir: outDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'mocha'], sourcemap: true, logLevel: 'warning' });
  // The bundle lives under .vscode-test/: let it resolve mocha from the repository's node_modules.
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');

  // 4. Run: a fresh user-data-dir, no other extensions, a copy of examples/bank with its launch.json.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elixir-scope-electron-'));
  const workspace = prepareWorkspace(path.join(tmp, 'bank'));
  const results = path.join(tmp, 'results.json');
  let exitFailed = false;
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(outDir, 'index.js'),
      extensionTestsEnv: { ELIXIR_SCOPE_ELECTRON_RESULTS: results },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu', '--no-sandbox', `--user-data-dir=${path.join(tmp, 'user-data')}`],
    });
  } catch (err) {
    exitFailed = true;
    console.error(`VS Code ended with a failure: ${err instanceof Error ? err.message : String(err)}`);
  }
  const counts = fs.existsSync(results) ? (JSON.parse(fs.readFileSync(results, 'utf8')) as { passed: number; failed: number; skipped: number }) : undefined;
  fs.rmSync(tmp, { recursive: true, force: true });
  if (!counts) {
    console.error('The suite wrote no results (VS Code did not start, or the extension host crashed).');
    summary(0, 1, 0);
    process.exit(1);
  }
  summary(counts.passed, counts.failed + (exitFailed && counts.failed === 0 ? 1 : 0), counts.skipped);
  process.exit(counts.failed > 0 || exitFailed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  summary(0, 1, 0);
  process.exit(1);
});
