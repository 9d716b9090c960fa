// Turns DAP launch/attach arguments into the runtime's options, through the one launch-attribute
// schema (adapter/config); invalid arguments fail with every problem listed at once.
import { validateAttachArgs, validateLaunchArgs } from '../config/validate';
import { Errors, ScopeFailure } from '../errors';
import type { AttachOptions, LaunchOptions } from '../runtime/runtime';

export function toLaunchOptions(args: unknown): LaunchOptions {
  const r = validateLaunchArgs(args);
  if (!r.ok) throw new ScopeFailure(Errors.invalidLaunchConfig, { details: r.errors.join(' ') });
  const { projectDir, task, taskArgs, env, trace, lineProbes, recording, allowSideEffects } = r.config;
  return { projectDir, task, taskArgs, env, trace, lineProbes, recording, allowSideEffects };
}

export function toAttachOptions(args: unknown): AttachOptions {
  const r = validateAttachArgs(args);
  if (!r.ok) throw new ScopeFailure(Errors.invalidLaunchConfig, { details: r.errors.join(' ') });
  const { node, cookie, trace, recording, allowSideEffects } = r.config;
  return { node, cookie, trace, recording, allowSideEffects };
}
