// Finds Mix projects (folders holding mix.exs) for a file or a workspace folder, so that F5 and
// "Debug test at cursor" work without a launch.json.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const MIX_FILE = 'mix.exs';

function hasMixFile(dir: string): boolean {
  return fs.existsSync(path.join(dir, MIX_FILE));
}

/** Folders holding mix.exs from `file`'s folder up to (and including) `stop`, innermost first. */
function mixRootsAbove(file: string, stop: string): string[] {
  const roots: string[] = [];
  let dir = path.dirname(file);
  for (;;) {
    if (hasMixFile(dir)) roots.push(dir);
    const parent = path.dirname(dir);
    if (dir === stop || parent === dir || !isInside(parent, stop)) break;
    dir = parent;
  }
  return roots;
}

function isInside(dir: string, ancestor: string): boolean {
  const rel = path.relative(ancestor, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function stopFor(file: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  return folder ? folder.uri.fsPath : path.parse(file).root;
}

/**
 * The Mix project whose tests include `file`: the nearest mix.exs, because in an umbrella
 * `mix test path:line` has to run inside the child app that owns the test.
 */
export function testProjectFor(file: string): string | undefined {
  return mixRootsAbove(file, stopFor(file))[0];
}

/** The project to launch for `file`: the outermost mix.exs in its workspace folder (an umbrella's root). */
export function launchProjectFor(file: string): string | undefined {
  const roots = mixRootsAbove(file, stopFor(file));
  return roots[roots.length - 1];
}

/** Mix projects in a workspace folder, shallowest first; deps and build output excluded. */
export async function mixProjectsIn(folder: vscode.WorkspaceFolder, limit = 20): Promise<string[]> {
  if (hasMixFile(folder.uri.fsPath)) return [folder.uri.fsPath];
  const found = await vscode.workspace.findFiles(
    new vscode.RelativePattern(folder, `**/${MIX_FILE}`),
    '**/{deps,_build,node_modules,.elixir_ls}/**',
    limit,
  );
  return found
    .map((uri) => path.dirname(uri.fsPath))
    .sort((a, b) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b));
}
