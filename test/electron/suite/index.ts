// Entry point VS Code calls inside its extension host (--extensionTestsPath): runs the suite's
// bundled test files with Mocha and writes the counts for test/electron/runTests.ts.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname)) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.ELIXIR_SCOPE_ELECTRON_RESULTS;
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      if (file) fs.writeFileSync(file, JSON.stringify({ passed: stats.passes, failed: stats.failures, skipped: stats.pending }));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
