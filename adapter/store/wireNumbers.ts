// 64-bit wire fields as JS numbers. The generated codec decodes them as numbers (scripts/gen-proto.js
// switches protobufjs's Long off); this guards batches decoded by a differently configured protobufjs.

/** Number of a 64-bit field however it was decoded (number, or a Long-like object). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
}
