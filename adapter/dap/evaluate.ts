// The evaluate request: hovers, watches and Copy Value over a frame's captured bindings and its State and
// Message scopes, in the adapter when it can (terms/exprEval), else on the live node only as a pure
// evaluation (the agent refuses any call off its allow-list); the Debug Console's repl runs anything on the live node.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Errors, ScopeFailure } from '../errors';
import type { elixirscope } from '../gen/wire';
import type { DebugTarget } from '../runtime/runtime';
import { evaluateExpression, Unsupported } from '../terms/exprEval';
import { formatTerm, type Syntax } from '../terms/format';
import type { Answer } from './answer';
import type { VariableTable } from './variables';

type Term = elixirscope.Term.$Properties;

/**
 * Evaluates `args.expression` with `context` (scopes.ts evaluationContext; empty without a frame);
 * `runtime` gives the target (it throws before launch/attach), `syntax` is the frame's source language.
 * What cannot be evaluated is answered as notCaptured, not shown to the user.
 */
export async function evaluate(
  runtime: () => DebugTarget,
  vars: VariableTable,
  args: DebugProtocol.EvaluateArguments,
  context: { bindings: Map<string, Term>; events: number[] },
  syntax: Syntax,
): Promise<Answer> {
  const { bindings, events } = context;
  const wire = () => [...bindings].map(([name, value]) => ({ name, value }));
  if (args.context === 'repl') {
    try {
      const r = await runtime().evaluateOnNode(args.expression, wire(), { events });
      return { body: { result: r.printed ?? formatTerm(r.value), variablesReference: r.value ? vars.variable('result', r.value, 'elixir').variablesReference : 0 } };
    } catch (err) {
      return { failure: err instanceof ScopeFailure && err.error === Errors.nodeGone ? new ScopeFailure(Errors.replAfterExit) : err, showUser: false };
    }
  }
  let term: Term;
  try {
    term = evaluateExpression(args.expression, bindings);
  } catch (err) {
    if (!(err instanceof Unsupported)) return notCaptured(err instanceof Error ? err.message : String(err));
    try {
      const r = await runtime().evaluateOnNode(args.expression, wire(), { pure: true, events });
      term = r.value ?? {};
    } catch (nodeErr) {
      const why = nodeErr instanceof ScopeFailure && nodeErr.error === Errors.nodeGone
        ? `cannot evaluate here (${err.message}) and the program has exited, so the node cannot either`
        : nodeErr instanceof Error ? nodeErr.message : String(nodeErr);
      return notCaptured(why);
    }
  }
  const full = args.context === 'clipboard';
  const v = vars.variable(args.expression, term, syntax, args.expression);
  return { body: { result: full ? formatTerm(term) : v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables, namedVariables: v.namedVariables } };
}

function notCaptured(why: string): Answer {
  return { error: { id: Errors.notCaptured.code, format: why, showUser: false } };
}
