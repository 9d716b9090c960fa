// Event kinds (the wire enum, re-exported as plain numbers) and which of them a step may land on.

import { elixirscope } from '../gen/wire';

export const Kind = elixirscope.EventKind;
export type Kind = elixirscope.EventKind;

/** Steps land on calls, returns, exceptions, lines, messages, spawns, exits and state versions, not on metadata (links, process info). */
const STEPPABLE = new Uint8Array(16);
for (const k of [Kind.CALL, Kind.RETURN, Kind.EXCEPTION, Kind.LINE, Kind.SEND, Kind.RECEIVE, Kind.SPAWN, Kind.EXIT, Kind.STATE]) STEPPABLE[k] = 1;

/** A copy of the steppable-kind table, for hot loops (indexed by kind & 15). */
export function steppableTable(): Uint8Array {
  return STEPPABLE.slice();
}

export function isSteppable(kind: number): boolean {
  return STEPPABLE[kind & 15] === 1;
}

export function isExit(kind: number): boolean {
  return kind === Kind.RETURN || kind === Kind.EXCEPTION;
}

export function kindName(kind: number): string {
  return (elixirscope.EventKind as unknown as Record<number, string>)[kind] ?? `KIND_${kind}`;
}
