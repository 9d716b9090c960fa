// The ring buffer proper: one typed array per event attribute, addressed by slot. Global event index g
// (never reused) maps to a slot; growth doubles capacity up to maxEvents and re-lays retained events.

/** The ring's columns and their element types: the one list that fields, allocation, growth and byte counts follow. */
const COLUMN_TYPES = {
  seq: Float64Array,
  mono: Float64Array,
  pid: Uint32Array,
  kind: Uint8Array,
  mfa: Uint32Array,
  hit: Uint32Array,
  /** The other process (global pid id + 1; 0 = none). */
  other: Uint32Array,
  msgHash: Uint32Array,
  callTag: Uint32Array,
  /** Virtual arena offset of the body. */
  bodyPos: Float64Array,
  bodyLen: Uint32Array,
  /** Correlator output (depth, match, link, peer, lineAt), see correlator.ts. */
  depth: Uint32Array,
  match: Float64Array,
  link: Float64Array,
  peer: Float64Array,
  lineAt: Float64Array,
};

type ColumnName = keyof typeof COLUMN_TYPES;
type ColumnArrays = { [K in ColumnName]: InstanceType<(typeof COLUMN_TYPES)[K]> };
type AnyColumn = Float64Array | Uint32Array | Uint8Array;

const COLUMN_NAMES = Object.keys(COLUMN_TYPES) as ColumnName[];

/** Bytes of ring storage per event: one element of every column. */
export const RING_BYTES_PER_EVENT = COLUMN_NAMES.reduce((sum, name) => sum + COLUMN_TYPES[name].BYTES_PER_ELEMENT, 0);

class Ring {
  cap: number;

  constructor(initialCap: number) {
    this.cap = initialCap;
    // Every column is set here, in one order, so every ring has the same shape (fast property access).
    const columns = this.columns();
    for (const name of COLUMN_NAMES) columns[name] = new COLUMN_TYPES[name](initialCap);
  }

  private columns(): Record<ColumnName, AnyColumn> {
    return this as unknown as Record<ColumnName, AnyColumn>;
  }

  /**
   * Re-lays `count` retained events that start at slot `headSlot` into arrays of `newCap`, starting at
   * slot 0. Returns the new head slot (0).
   */
  grow(newCap: number, headSlot: number, count: number): number {
    const firstRun = Math.min(count, this.cap - headSlot);
    const columns = this.columns();
    for (const name of COLUMN_NAMES) {
      const src = columns[name];
      const dst = new COLUMN_TYPES[name](newCap);
      dst.set(src.subarray(headSlot, headSlot + firstRun), 0);
      if (count > firstRun) dst.set(src.subarray(0, count - firstRun), firstRun);
      columns[name] = dst;
    }
    this.cap = newCap;
    return 0;
  }

  bytes(): number {
    return this.cap * RING_BYTES_PER_EVENT;
  }
}

/** The ring: `cap` slots of every column in COLUMN_TYPES (c.seq, c.mono, …), plus grow() and bytes(). */
export type EventColumns = Ring & ColumnArrays;
export const EventColumns = Ring as new (initialCap: number) => EventColumns;
