// The two ways an expression evaluation fails: wrong for these values (shown as Elixir would say it),
// or not decidable in the adapter (the caller may ask the live node to evaluate it purely).

/** The expression is wrong for these values (as Elixir would raise): shown to the user as is. */
export class ExprError extends Error {}
/** The adapter cannot evaluate this exactly; the node may (pure evaluation). */
export class Unsupported extends Error {}
