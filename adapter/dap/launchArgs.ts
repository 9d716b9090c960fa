// Turns validated DAP launch arguments into the runtime's launch options.
import { Errors, ScopeFailure } from '../errors';
import type { AttachOptions, LaunchOptions } from '../runtime/debugRuntime';

export function toLaunchOptions(args: Record<string, unknown>): LaunchOptions {
  const projectDir = typeof args.projectDir === 'string' ? args.projectDir : process.cwd();
  const task = typeof args.task === 'string' ? args.task : 'run';
  const taskArgs = Array.isArray(args.taskArgs) ? args.taskArgs.map(String) : [];
  const env = typeof args.env === 'object' && args.env !== null ? (args.env as Record<string, string>) : {};
  const trace = Array.isArray(args.trace) ? args.trace.map(String) : [];
  if (typeof args.task !== 'undefined' && typeof args.task !== 'string') {
    throw new ScopeFailure(Errors.invalidLaunchConfig, { details: '"task" must be a string' });
  }
  return { projectDir, task, taskArgs, env, trace };
}

export function toAttachOptions(args: Record<string, unknown>): AttachOptions {
  if (typeof args.node !== 'string') throw new ScopeFailure(Errors.invalidLaunchConfig, { details: '"node" (app@host) is required to attach' });
  return {
    node: args.node,
    cookie: typeof args.cookie === 'string' ? args.cookie : undefined,
    trace: Array.isArray(args.trace) ? args.trace.map(String) : [],
  };
}
