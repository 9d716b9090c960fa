// Launch configurations offered by the manifest (initial configurations and launch.json snippets),
// as data so that scripts/sync-manifest.ts can write them and the tests can validate them. No vscode import.
import * as path from 'path';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';

/** Written into a new launch.json. */
export const initialConfigurations = [
  {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'ElixirScope: mix run',
    projectDir: '${workspaceFolder}',
    task: 'run',
    taskArgs: ['--no-halt'],
  },
  {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'ElixirScope: mix test',
    projectDir: '${workspaceFolder}',
    task: 'test',
    taskArgs: [],
  },
];

/**
 * launch.json snippets. `^"…"` keeps VS Code variables and snippet placeholders unquoted in the
 * inserted JSON, as VS Code's snippet syntax requires.
 */
export const configurationSnippets = [
  {
    label: 'ElixirScope: Debug Mix task',
    description: 'Run a Mix task (mix run, mix phx.server, …) under the time-travel debugger.',
    body: {
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Debug mix ${1:run}',
      projectDir: '^"\\${workspaceFolder}"',
      task: '${1:run}',
      taskArgs: ['${2:--no-halt}'],
    },
  },
  {
    label: 'ElixirScope: Debug test at cursor',
    description: 'Run `mix test file:line` for the test under the cursor (file relative to the workspace folder).',
    body: {
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Debug test at cursor',
      projectDir: '^"\\${workspaceFolder}"',
      task: 'test',
      taskArgs: ['^"\\${relativeFile}:\\${lineNumber}"'],
    },
  },
  {
    label: 'ElixirScope: Attach to node',
    description: 'Record a running node (started with --sname/--name) without restarting it.',
    body: {
      type: DEBUG_TYPE,
      request: 'attach',
      name: 'Attach to ${1:app}@${2:localhost}',
      node: '${1:app}@${2:localhost}',
    },
  },
];

/** Launch configuration for a Mix project, as F5 without launch.json and the dynamic list offer it. */
export function mixLaunchConfig(projectDir: string, task: 'run' | 'test') {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `ElixirScope: mix ${task} (${path.basename(projectDir)})`,
    projectDir,
    task,
    taskArgs: task === 'run' ? ['--no-halt'] : [],
  };
}
