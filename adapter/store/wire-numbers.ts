// Makes protobufjs decode 64-bit fields as JS numbers, as adapter/gen/wire.d.ts declares. With the
// `long` package installed, protobufjs otherwise returns Long objects (3 allocations per event in a batch).
// Process-wide and idempotent; better done once at adapter start-up (see the store's report to the lead).

import * as protobuf from 'protobufjs/minimal';

let done = false;

export function decode64BitAsNumbers(): void {
  if (done) return;
  done = true;
  (protobuf.util as { Long?: unknown }).Long = undefined;
  protobuf.configure();
}

decode64BitAsNumbers();

/** Number of a 64-bit field however it was decoded (number, or Long from a differently configured decoder). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
}
