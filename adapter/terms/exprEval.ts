// Evaluates pure Elixir expressions for hovers and watches over captured bindings, in the adapter:
// names, `.field`, `[key]`, literals, tuples and lists, arithmetic, comparisons, boolean operators,
// `<>`, `++`, `in`, `|>` and a few Kernel/Map/Enum/Keyword/List functions. What it cannot decide
// exactly (another function, a value cut by the capture limits, a big integer) throws Unsupported:
// the caller then asks the live node, which runs it only if every call is on the agent's pure
// allow-list (erlang/src/esc_pure.erl). Nothing here can change the program.
// Parsing is ./exprParser, the value rules ./exprValues, the functions and access ./kernelCalls.
import type { elixirscope } from '../gen/wire';
import { ExprError, Unsupported } from './exprErrors';
import { parseExpression, type ExprNode } from './exprParser';
import { bool, compare, intTerm, num, sameTerm, show, truthy, whole } from './exprValues';
import { callFunction, fetchKey, member, properList } from './kernelCalls';

export { ExprError, Unsupported };

type T = elixirscope.Term.$Properties;

/** Evaluates `expression` over the captured bindings (name → term). */
export function evaluateExpression(expression: string, bindings: ReadonlyMap<string, T>): T {
  return evalNode(parseExpression(expression), bindings);
}

function evalNode(n: ExprNode, env: ReadonlyMap<string, T>): T {
  switch (n.t) {
    case 'lit': return n.v;
    case 'var': {
      const v = env.get(n.name);
      if (!v) throw new ExprError(`${n.name} is not bound here (captured names: ${[...env.keys()].join(', ') || 'none'})`);
      return v;
    }
    case 'alias': return { atom: n.name.startsWith('Elixir.') ? n.name : `Elixir.${n.name}` };
    case 'tuple': return { tuple: { items: n.items.map((x) => evalNode(x, env)) } };
    case 'list': return { list: { items: n.items.map((x) => evalNode(x, env)) } };
    case 'field': return fetchKey(evalNode(n.of, env), { atom: n.name }, true);
    case 'index': return fetchKey(evalNode(n.of, env), evalNode(n.key, env), false);
    case 'un': {
      const a = evalNode(n.a, env);
      whole(a, 'a value');
      if (n.op === '!') return bool(!truthy(a));
      if (n.op === 'not') {
        if (a.atom !== 'true' && a.atom !== 'false') throw new ExprError(`ArgumentError: argument error (not ${show(a)})`);
        return bool(a.atom === 'false');
      }
      const x = num(a);
      if (x == null) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${n.op}(${show(a)})`);
      return n.op === '-' ? (a.int != null ? intTerm(-x) : { float: -x }) : a;
    }
    case 'bin': return binary(n.op, n.a, n.b, env);
    case 'call': return callFunction(n.mod, n.fn, n.args.map((x) => evalNode(x, env)));
  }
}

function binary(op: string, an: ExprNode, bn: ExprNode, env: ReadonlyMap<string, T>): T {
  const a = evalNode(an, env);
  if (op === '&&' || op === '||' || op === 'and' || op === 'or') whole(a, 'a value');
  // Short-circuit operators evaluate their right side only when needed.
  if (op === '&&') return truthy(a) ? evalNode(bn, env) : a;
  if (op === '||') return truthy(a) ? a : evalNode(bn, env);
  if (op === 'and' || op === 'or') {
    if (a.atom !== 'true' && a.atom !== 'false') throw new ExprError(`BadBooleanError: expected a boolean on the left-hand side of "${op}", got: ${show(a)}`);
    if (op === 'and' ? a.atom === 'false' : a.atom === 'true') return a;
    return evalNode(bn, env);
  }
  const b = evalNode(bn, env);
  switch (op) {
    case '==': return bool(sameTerm(a, b, false));
    case '!=': return bool(!sameTerm(a, b, false));
    case '===': return bool(sameTerm(a, b, true));
    case '!==': return bool(!sameTerm(a, b, true));
    case '<': return bool(compare(a, b) < 0);
    case '>': return bool(compare(a, b) > 0);
    case '<=': return bool(compare(a, b) <= 0);
    case '>=': return bool(compare(a, b) >= 0);
    case '+': case '-': case '*': case '/': {
      whole(a, 'a value');
      whole(b, 'a value');
      const x = num(a), y = num(b);
      if (x == null || y == null) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${show(a)} ${op} ${show(b)}`);
      if (op === '/') {
        if (y === 0) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${show(a)} / ${show(b)}`);
        return { float: x / y };
      }
      const r = op === '+' ? x + y : op === '-' ? x - y : x * y;
      return a.int != null && b.int != null ? intTerm(r) : { float: r };
    }
    case '<>': {
      whole(a, 'a value');
      whole(b, 'a value');
      if (!a.binary || !b.binary) throw new ExprError(`ArgumentError: expected binary arguments to <>, got: ${show(a)} and ${show(b)}`);
      if (a.binary.omittedBytes || b.binary.omittedBytes) throw new Unsupported('a binary cut by the capture limits');
      const x = a.binary.data ?? new Uint8Array(), y = b.binary.data ?? new Uint8Array();
      const out = new Uint8Array(x.length + y.length);
      out.set(x);
      out.set(y, x.length);
      return { binary: { data: out } };
    }
    case '++': {
      const x = properList(a, '++'), y = b;
      whole(y, 'the right side of ++');
      if (y.list) return { list: { items: [...x, ...(y.list.items ?? [])], tail: y.list.tail, omitted: y.list.omitted } };
      return x.length === 0 ? y : { list: { items: x, tail: y } };
    }
    case 'in': case 'not in': {
      const r = member(b, a);
      return bool(op === 'in' ? r : !r);
    }
    default:
      throw new Unsupported(`the ${op} operator`);
  }
}
