// mixProject: reading Mix's answer about the project's own applications out of the compiler's output,
// and listing those applications' modules from the build folder (dependencies are never read).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { depEbinsFor, LineFilter, ownApps, parseProjectLine, PROJECT_LINE, PROJECT_QUERY, tracePatterns } from '../../../adapter/runtime/mixProject';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

describe('mixProject', () => {
  describe('tracePatterns', () => {
    it('"Bank.*" is Bank itself and every module below it', () => {
      assert.deepStrictEqual(tracePatterns(['Bank.*']), { modules: ['Elixir.Bank'], prefixes: ['Elixir.Bank.'] });
    });
    it('modules, Erlang modules and Erlang prefixes', () => {
      assert.deepStrictEqual(tracePatterns(['Bank.Account', ':lists', ':cowboy*']), {
        modules: ['Elixir.Bank.Account', 'lists'],
        prefixes: ['cowboy'],
      });
    });
  });

  describe('parseProjectLine', () => {
    it('reads the build path (any characters), the applications, sorted, and the dependencies\' folders', () => {
      const build = '/tmp/my project/ümlaut/_build/test';
      assert.deepStrictEqual(parseProjectLine(`${PROJECT_LINE}${hex(build)} web,core core:${hex('/tmp/my project/apps/core')},ext_dep:${hex('/tmp/ext dep')}`), {
        buildPath: build,
        apps: ['core', 'web'],
        deps: { core: '/tmp/my project/apps/core', ext_dep: '/tmp/ext dep' },
      });
    });

    it('accepts a project with no application of its own (an umbrella without children) and no dependencies', () => {
      assert.deepStrictEqual(parseProjectLine(`${PROJECT_LINE}${hex('/p/_build/dev')}  `), { buildPath: '/p/_build/dev', apps: [], deps: {} });
    });

    it('ignores every other line, and a damaged one', () => {
      assert.strictEqual(parseProjectLine('Generated app app'), undefined);
      assert.strictEqual(parseProjectLine(`${PROJECT_LINE}not-hex app `), undefined);
      assert.strictEqual(parseProjectLine(`${PROJECT_LINE}ABC app `), undefined); // odd length
      assert.strictEqual(parseProjectLine(`${PROJECT_LINE}${hex('/p')} app dep:zz`), undefined);
      assert.strictEqual(parseProjectLine(`${PROJECT_LINE}${hex('/p')} App `), undefined);
    });

    it('is what the query prints', () => {
      assert.ok(PROJECT_QUERY.includes(`IO.puts("${PROJECT_LINE}"`));
      assert.match(PROJECT_QUERY, /in_umbrella/);
    });
  });

  describe('LineFilter', () => {
    it('drops the refused line even when it arrives in pieces, and keeps the rest whole', () => {
      const f = new LineFilter((l) => !l.startsWith(PROJECT_LINE));
      let kept = '';
      for (const chunk of ['==> dep\nCompiling 1 file (.ex)\nGenerated a', 'pp app\n[elixir-sc', 'ope-project] 2F70 app\nlast']) kept += f.push(chunk);
      kept += f.end();
      assert.strictEqual(kept, '==> dep\nCompiling 1 file (.ex)\nGenerated app app\nlast');
    });

    it('reads lines that end in \\r\\n', () => {
      const seen: string[] = [];
      const f = new LineFilter((l) => (seen.push(l), true));
      assert.strictEqual(f.push('a\r\nb\r\n'), 'a\r\nb\r\n');
      assert.deepStrictEqual(seen, ['a', 'b']);
    });
  });

  describe('depEbinsFor', () => {
    const project = { buildPath: '/p/_build/dev', apps: ['core', 'web'], deps: { core: '/p/apps/core', ext: '/x/ext', ext_more: '/x/ext_more', jason: '/p/deps/jason' } };

    it('names the build folder of the dependency whose sources hold the file, and no other', () => {
      assert.deepStrictEqual(depEbinsFor(project, '/x/ext/lib/ext.ex'), ['/p/_build/dev/lib/ext/ebin']);
      assert.deepStrictEqual(depEbinsFor(project, '/p/deps/jason/lib/jason.ex'), ['/p/_build/dev/lib/jason/ebin']);
    });

    it('names nothing for the project\'s own files (their folders are passed anyway) or files of no dependency', () => {
      assert.deepStrictEqual(depEbinsFor(project, '/p/apps/core/lib/core.ex'), []);
      assert.deepStrictEqual(depEbinsFor(project, '/x/extra/lib/a.ex'), []);
      assert.deepStrictEqual(depEbinsFor(undefined, '/x/ext/lib/ext.ex'), []);
    });
  });

  describe('ownApps', () => {
    let dir = '';
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-mixproject-'));
      const app = (name: string, mods: string) => {
        fs.mkdirSync(path.join(dir, 'lib', name, 'ebin'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'lib', name, 'ebin', `${name}.app`), `{application,${name},[{modules,[${mods}]},{vsn,"0.1.0"}]}.\n`);
      };
      app('core', "'Elixir.Core','Elixir.Core.Store'");
      app('web', "'Elixir.Web'");
      app('path_dep', "'Elixir.PathDep','Elixir.PathDep.A','Elixir.PathDep.B'");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('lists only the applications Mix named, with their modules and ebin folders; a dependency built alongside is not listed', () => {
      const apps = ownApps({ buildPath: dir, apps: ['core', 'web'], deps: { path_dep: '/elsewhere/path_dep' } });
      assert.deepStrictEqual(apps, [
        { name: 'core', modules: ['Elixir.Core', 'Elixir.Core.Store'], ebin: path.join(dir, 'lib', 'core', 'ebin') },
        { name: 'web', modules: ['Elixir.Web'], ebin: path.join(dir, 'lib', 'web', 'ebin') },
      ]);
    });

    it('an application not built yet has no modules (nothing to preload)', () => {
      assert.deepStrictEqual(ownApps({ buildPath: dir, apps: ['later'], deps: {} })[0].modules, []);
    });
  });
});
