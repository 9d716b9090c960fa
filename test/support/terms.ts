// Builders of the wire's Term shape for unit tests of the term renderers and evaluators.
import type { elixirscope } from '../../adapter/gen/wire';

export type T = elixirscope.Term.$Properties;
export const atom = (a: string): T => ({ atom: a });
export const int = (n: number): T => ({ int: n });
export const str = (s: string): T => ({ binary: { data: new TextEncoder().encode(s) } });
export const list = (...items: T[]): T => ({ list: { items } });
export const tuple = (...items: T[]): T => ({ tuple: { items } });
export const map = (...kv: [T, T][]): T => ({ map: { entries: kv.map(([key, value]) => ({ key, value })) } });
