// package.json stays generated from the TypeScript definitions (scripts/sync-manifest.ts), and its
// hand-written contributions point at things that exist.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEBUG_TYPE } from '../../../adapter/config/launchSchema';
import { CommandIds } from '../../../extension/commandIds';
import { configurationContribution } from '../../../extension/settingsSchema';
import { PACKAGE_JSON, staleParts, syncManifest } from '../../../scripts/sync-manifest';

const root = path.resolve(__dirname, '..', '..', '..');

interface Manifest {
  main: string;
  activationEvents: string[];
  contributes: {
    debuggers: { type: string; label: string; languages: string[]; configurationAttributes: { launch: { properties: Record<string, { default?: unknown }> } } }[];
    breakpoints: { language: string }[];
    languages: { id: string; extensions?: string[]; configuration?: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    commands: { command: string; title: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON manipulated as plain data
type Json = any;

function readManifest(): Manifest {
  return JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as Manifest;
}

function readRaw(): Json {
  return JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as Json;
}

describe('package.json manifest', function () {
  this.timeout(60_000);

  it('is in sync with the definitions (sync-manifest --check passes)', () => {
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const out = execFileSync(tsx, ['scripts/sync-manifest.ts', '--check'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    assert.match(out, /in sync/);
  });

  it('--check reports a stale launch schema, and syncing repairs it', () => {
    const pkg = readRaw();
    pkg.contributes.debuggers[0].configurationAttributes.launch.properties.task.default = 'compile';
    delete pkg.contributes.configuration.properties['elixirScope.recording.maxBytes'];
    assert.deepStrictEqual(staleParts(pkg), ['contributes.debuggers.0.configurationAttributes', 'contributes.configuration']);
    const repaired = syncManifest(pkg);
    assert.deepStrictEqual(staleParts(repaired), []);
    assert.deepStrictEqual(Object.keys(repaired), Object.keys(pkg), 'key order of package.json is kept');
  });

  it('contributes the elixir-scope debugger for Elixir and Erlang', () => {
    const { contributes, main, activationEvents } = readManifest();
    const [dbg] = contributes.debuggers;
    assert.strictEqual(dbg.type, DEBUG_TYPE);
    assert.strictEqual(dbg.label, 'ElixirScope (time-travel)');
    assert.deepStrictEqual(dbg.languages, ['elixir', 'erlang']);
    assert.deepStrictEqual(contributes.breakpoints.map((b) => b.language), ['elixir', 'erlang']);
    assert.strictEqual(main, './dist/extension.js');
    assert.ok(activationEvents.includes(`onDebugResolve:${DEBUG_TYPE}`));
  });

  it('contributes exactly the commands the extension registers', () => {
    const contributed = readManifest().contributes.commands.map((c) => c.command).sort();
    assert.deepStrictEqual(contributed, Object.values(CommandIds).sort());
  });

  it('settings defaults follow the launch schema defaults', () => {
    const settings = readRaw().contributes.configuration.properties;
    const launch = readRaw().contributes.debuggers[0].configurationAttributes.launch.properties;
    assert.deepStrictEqual(settings['elixirScope.trace.default'].default, launch.trace.default);
    assert.strictEqual(settings['elixirScope.recording.maxEvents'].default, launch.recording.properties.maxEvents.default);
    assert.strictEqual(settings['elixirScope.recording.maxBytes'].default, launch.recording.properties.maxBytes.default);
    assert.deepStrictEqual(Object.keys(settings).sort(), Object.keys(configurationContribution.properties).sort());
  });

  it('the elixir language has .ex/.exs, a language configuration and a grammar that exist', () => {
    const { contributes } = readManifest();
    const elixir = contributes.languages.find((l) => l.id === 'elixir');
    assert.ok(elixir);
    assert.deepStrictEqual(elixir.extensions, ['.ex', '.exs']);
    assert.ok(elixir.configuration && fs.existsSync(path.join(root, elixir.configuration)));
    const grammar = contributes.grammars.find((g) => g.language === 'elixir');
    assert.ok(grammar && fs.existsSync(path.join(root, grammar.path)));
    const raw = JSON.parse(fs.readFileSync(path.join(root, grammar.path), 'utf8')) as { scopeName: string };
    assert.strictEqual(raw.scopeName, grammar.scopeName);
    // A scope name of our own: another Elixir extension's source.elixir (and grammars embedding it) stays untouched.
    assert.notStrictEqual(grammar.scopeName, 'source.elixir');
    const langConfig = JSON.parse(fs.readFileSync(path.join(root, elixir.configuration), 'utf8')) as { comments: { lineComment: string } };
    assert.strictEqual(langConfig.comments.lineComment, '#');
  });
});
