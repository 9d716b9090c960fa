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

  it('reports DAP packages in the runtime model, config, protocol and store, not in the DAP layer', async () => {
    for (const dir of ['store', 'runtime', 'config', 'protocol']) {
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
});
