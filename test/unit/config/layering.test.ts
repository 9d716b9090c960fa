// The lint configuration enforces the architecture's layers: these cases lint code placed (virtually)
// in each layer through the ESLint Node API and expect exactly the layering rule to fire or stay quiet.
import * as assert from 'assert';
import * as path from 'path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..', '..');

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const IMPORT_VSCODE = "import * as vscode from 'vscode';\nexport const x = vscode;\n";
const IMPORT_DAP = "import { DebugSession } from '@vscode/debugadapter';\nexport const x = DebugSession;\n";
const importing = (specifier: string): string => `import * as m from '${specifier}';\nexport const x = m;\n`;

/** Lints an import of each specifier from `file`: one layering message matching `expected` each. */
async function assertForbidden(file: string, specifiers: string[], expected: RegExp): Promise<void> {
  for (const specifier of specifiers) {
    const messages = await restrictedImports(file, importing(specifier));
    assert.strictEqual(messages.length, 1, `${file} importing ${specifier}: ${messages.join('; ')}`);
    assert.match(messages[0], expected);
  }
}

async function assertAllowed(file: string, specifiers: string[]): Promise<void> {
  for (const specifier of specifiers) assert.deepStrictEqual(await restrictedImports(file, importing(specifier)), [], `${file} importing ${specifier}`);
}

describe('lint layering rules', function () {
  this.timeout(60_000);

  it('reports vscode imported outside extension/', async () => {
    for (const file of ['adapter/config/__layering_probe.ts', 'adapter/dap/__layering_probe.ts', 'webviews/__layering_probe.ts']) {
      const messages = await restrictedImports(file, IMPORT_VSCODE);
      assert.strictEqual(messages.length, 1, `${file}: ${messages.join('; ')}`);
      assert.match(messages[0], /Only extension\/\*\* may import vscode/);
    }
  });

  it('allows vscode in extension/', async () => {
    assert.deepStrictEqual(await restrictedImports('extension/__layering_probe.ts', IMPORT_VSCODE), []);
  });

  it('reports DAP packages in the runtime model, config, protocol, store, terms, lsp and webview, not in the DAP layer', async () => {
    for (const dir of ['store', 'runtime', 'config', 'protocol', 'terms', 'lsp', 'webview']) {
      const messages = await restrictedImports(`adapter/${dir}/__layering_probe.ts`, IMPORT_DAP);
      assert.strictEqual(messages.length, 1, dir);
      assert.match(messages[0], /DAP-free/);
    }
    assert.deepStrictEqual(await restrictedImports('adapter/dap/__layering_probe.ts', IMPORT_DAP), []);
  });

  it('keeps the DAP layer off the live runtime: it gets a DebugTarget injected', async () => {
    for (const mod of ['debugRuntime', 'nodeProcess', 'agentServer', 'agentConnection', 'attachHelper']) {
      const messages = await restrictedImports('adapter/dap/__layering_probe.ts', `import * as m from '../runtime/${mod}';\nexport const x = m;\n`);
      assert.strictEqual(messages.length, 1, mod);
      assert.match(messages[0], /DebugTarget/);
    }
    const seam = "import type { DebugTarget } from '../runtime/runtime';\nexport type X = DebugTarget;\n";
    assert.deepStrictEqual(await restrictedImports('adapter/dap/__layering_probe.ts', seam), []);
    assert.deepStrictEqual(await restrictedImports('adapter/__layering_probe.ts', "import { liveTargets } from './runtime/debugRuntime';\nexport const x = liveTargets;\n"), []);
  });

  it('lets webviews import adapter/protocol only', async () => {
    const code = "import { Errors } from '../adapter/errors';\nimport { CustomEvents } from '../adapter/protocol/customDap';\nexport const x = [Errors, CustomEvents];\n";
    const messages = await restrictedImports('webviews/__layering_probe.ts', code);
    assert.strictEqual(messages.length, 1, messages.join('; '));
    assert.match(messages[0], /'\.\.\/adapter\/errors'/);
  });

  it('reports the adapter importing the extension (upward)', async () => {
    const code = "import { readSettings } from '../../extension/settings';\nexport const x = readSettings;\n";
    const messages = await restrictedImports('adapter/config/__layering_probe.ts', code);
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /must not import the extension/);
  });

  it('keeps terms/ at the bottom: of the adapter it imports gen/ and protocol/ only', async () => {
    const file = 'adapter/terms/__layering_probe.ts';
    await assertForbidden(file, ['../store', '../store/processes', '../runtime/log', '../dap/variables', '../lsp/hoverTargets', '../webview/requests', '../errors', '../config/validate'], /terms\/ is the bottom layer/);
    await assertAllowed(file, ['../gen/wire', '../protocol/webviewData', './format']);
  });

  it('keeps store/ below runtime/, dap/, lsp/ and webview/', async () => {
    const file = 'adapter/store/__layering_probe.ts';
    await assertForbidden(file, ['../runtime/runtime', '../runtime/log', '../dap/session', '../lsp/features', '../webview/stateVersions'], /must not import runtime\/, dap\/, lsp\/ or webview\//);
    await assertAllowed(file, ['../terms/format', '../gen/wire', './processes']);
  });

  it('keeps lsp/ off the DAP layer and the runtime, but for its neutral helpers', async () => {
    const file = 'adapter/lsp/__layering_probe.ts';
    await assertForbidden(file, ['../dap/session', '../dap/clauses'], /do not import adapter\/dap/);
    await assertForbidden(file, ['../runtime/runtime', '../runtime/debugRuntime', '../runtime/agentConnection', '../runtime/moduleCatalog'], /of runtime\/ it uses only/);
    await assertAllowed(file, ['../store', '../terms/format', '../protocol/customDap', '../gen/wire', '../runtime/log', '../runtime/preAuth', '../runtime/framing', '../runtime/contentLengthFraming', '../runtime/breakpointBook']);
  });

  it('keeps webview/ off the DAP layer, the language server and the live runtime', async () => {
    const file = 'adapter/webview/__layering_probe.ts';
    await assertForbidden(file, ['../dap/session'], /do not import adapter\/dap/);
    await assertForbidden(file, ['../lsp/server'], /do not import adapter\/lsp/);
    await assertForbidden(file, ['../runtime/debugRuntime'], /DebugTarget/);
    await assertAllowed(file, ['../store', '../terms/termView', '../protocol/customDap', '../runtime/runtime']);
  });
});
