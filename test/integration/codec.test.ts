// Cross-language codec tests on generated terms, against a real BEAM running the agent's modules
// (esc_term, esc_proto) and the peer erlang/test/esc_codec_peer.erl:
//   1. Erlang → TypeScript: random Erlang terms, captured and encoded by the agent, decoded by the
//      adapter's generated code, rendered as Erlang source and evaluated back on the node: =:=.
//   2. TypeScript → Erlang → TypeScript: random messages of every type (fast-check, derived from the
//      schema), encoded by protobufjs, decoded and re-encoded by esc_proto, decoded again: deep-equal.
//   3. Truncation markers: exact counts for depth, item, byte and budget cuts.
import * as assert from 'assert';
import * as path from 'path';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { elixirscope } from '../../adapter/gen/wire';
import { expandEtf } from '../../adapter/terms/etf';
import { b64, ErlPeer, ROOT, unb64, unb64Text } from '../support/erl';
import { Int64, int64ToBigInt, renderTerm } from '../support/erlangSource';

const TWO_53 = 2n ** 53n;
const TERMS_PER_SEED = 700;
const SEEDS = [1, 2, 3];

type Kind = 'atom' | 'int' | 'bigInt' | 'float' | 'binary' | 'bitstring' | 'list' | 'tuple' | 'map' | 'pid' | 'port' | 'ref' | 'fun' | 'truncated';
const KINDS: Kind[] = ['atom', 'int', 'bigInt', 'float', 'binary', 'bitstring', 'list', 'tuple', 'map', 'pid', 'port', 'ref', 'fun', 'truncated'];

function kindOf(t: elixirscope.ITerm): Kind | undefined {
  return KINDS.find((k) => t[k] !== undefined && t[k] !== null);
}

/** Every kind that occurs anywhere in `t`, and the checks of the wire's integer rules. */
function walk(t: elixirscope.ITerm, seen: Set<Kind>, problems: string[], depth = 0): number {
  const k = kindOf(t);
  if (k) seen.add(k);
  let max = depth;
  const sub = (c: elixirscope.ITerm | null | undefined) => {
    if (c) max = Math.max(max, walk(c, seen, problems, depth + 1));
  };
  if (k === 'int') {
    const v = int64ToBigInt(t.int as Int64);
    if (v > TWO_53 || v < -TWO_53) problems.push(`int field holds ${v}, beyond ±2^53`);
  } else if (k === 'bigInt') {
    const mag = t.bigInt!.magnitude ?? new Uint8Array(0);
    if (mag.length === 0 || mag[0] === 0) problems.push(`big_int magnitude has a leading zero byte or is empty`);
    else if (BigInt('0x' + Buffer.from(mag).toString('hex')) <= TWO_53) problems.push('big_int used for an integer within ±2^53');
  } else if (k === 'list') {
    for (const i of t.list!.items ?? []) sub(i);
    sub(t.list!.tail);
  } else if (k === 'tuple') {
    for (const i of t.tuple!.items ?? []) sub(i);
  } else if (k === 'map') {
    for (const e of t.map!.entries ?? []) {
      sub(e.key);
      sub(e.value);
    }
  }
  return max;
}

// ───────────── schema-driven generators and normalization (for TS → Erlang) ─────────────

const schema = protobuf.loadSync(path.join(ROOT, 'proto', 'elixir_scope.proto'));
schema.resolveAll();
const lookupType = (name: string) => schema.lookupType(`elixirscope.${name}`);

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function scalarArb(f: protobuf.Field): fc.Arbitrary<unknown> {
  if (f.resolvedType instanceof protobuf.Enum) {
    const values = Object.values(f.resolvedType.values);
    return fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 9 }, { arbitrary: fc.constant(77), weight: 1 });
  }
  switch (f.type) {
    case 'string':
      return fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 }));
    case 'bytes':
      return fc.uint8Array({ maxLength: 24 });
    case 'bool':
      return fc.boolean();
    case 'uint32':
      return fc.oneof(fc.constantFrom(0, 1, 127, 128, 0xffffffff), fc.bigInt(0n, 0xffffffffn).map(Number));
    case 'int32':
      return fc.oneof(fc.constantFrom(0, -1, 2147483647, -2147483648), fc.integer());
    case 'sint32':
      return fc.integer();
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.constantFrom(0, 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53), fc.maxSafeNat());
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.oneof(fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53), 2 ** 32, -(2 ** 32)), fc.maxSafeInteger());
    case 'double':
      // Erlang has no NaN or infinities; -0.0 is included (deepStrictEqual tells it from 0).
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    default:
      throw new Error(`no generator for ${f.type}`);
  }
}

const arbMemo = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** Random plain object for message `type`, at most `depth` message levels deep. */
function messageArb(type: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const key = `${type.fullName}/${depth}`;
  const memo = arbMemo.get(key);
  if (memo) return memo;
  const isMsg = (f: protobuf.Field) => f.resolvedType instanceof protobuf.Type;
  const fieldArb = (f: protobuf.Field): fc.Arbitrary<unknown> | undefined => {
    if (isMsg(f) && depth <= 0) return undefined;
    const one = isMsg(f) ? messageArb(f.resolvedType as protobuf.Type, depth - 1) : scalarArb(f);
    return f.repeated ? fc.array(one, { maxLength: isMsg(f) ? 3 : 6 }) : one;
  };
  const plain: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of type.fieldsArray) {
    if (f.partOf) continue;
    const a = fieldArb(f);
    if (a) plain[f.name] = a;
  }
  const oneofs = type.oneofsArray.map((o) => {
    const members = o.fieldsArray
      .map((f) => ({ f, a: fieldArb(f) }))
      .filter((m): m is { f: protobuf.Field; a: fc.Arbitrary<unknown> } => m.a !== undefined)
      .map(({ f, a }) => a.map((v) => ({ [f.name]: v })));
    return members.length === 0
      ? fc.constant({})
      : fc.oneof({ arbitrary: fc.constant({}), weight: 1 }, { arbitrary: fc.oneof(...members), weight: 6 });
  });
  const arb = fc.tuple(fc.record(plain, { requiredKeys: [] }), ...oneofs).map(([p, ...os]) => Object.assign({}, p, ...os));
  arbMemo.set(key, arb);
  return arb;
}

function normScalar(f: protobuf.Field, v: unknown): unknown {
  if (f.resolvedType instanceof protobuf.Type) return normalize(f.resolvedType, v);
  if (f.resolvedType instanceof protobuf.Enum) return Number(v ?? 0);
  if (LONG_TYPES.has(f.type)) return int64ToBigInt(v as Int64).toString();
  switch (f.type) {
    case 'bytes': return Buffer.from((v as Uint8Array | undefined) ?? []).toString('hex');
    case 'string': return (v as string | undefined) ?? '';
    case 'bool': return Boolean(v);
    case 'double': case 'float': return (v as number | undefined) ?? 0;
    default: return (v as number | undefined) ?? 0;
  }
}

/** Plain, default-filled view of a message (given or decoded): what both encodings must agree on. */
function normalize(type: protobuf.Type, obj: unknown): Record<string, unknown> | null {
  if (obj === null || obj === undefined) return null;
  const o = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    const v = o[f.name];
    if (f.repeated) out[f.name] = ((v as unknown[] | undefined) ?? []).map((x) => normScalar(f, x));
    else if (f.partOf) {
      if (v !== undefined && v !== null) out[f.name] = normScalar(f, v);
    } else if (f.resolvedType instanceof protobuf.Type) out[f.name] = v === undefined || v === null ? null : normalize(f.resolvedType, v);
    else out[f.name] = normScalar(f, v);
  }
  return out;
}

type StaticCodec = { encode(m: object): protobuf.Writer; decode(b: Uint8Array): object };
const staticCodec = (name: string) => (elixirscope as unknown as Record<string, StaticCodec>)[name];

describe('wire codec across Erlang and TypeScript (real BEAM)', function () {
  this.timeout(180_000);
  let peer: ErlPeer;

  before(() => {
    peer = ErlPeer.start();
  });
  after(async () => {
    await peer?.stop();
  });

  /** esc_proto decode then encode on the node. */
  async function erlangRoundTrip(msg: string, bytes: Uint8Array): Promise<Buffer> {
    const answer = await peer.request(`rt ${msg} ${b64(bytes)}`);
    const [tag, payload = ''] = answer.split(' ');
    if (tag !== 'ok') throw new Error(`esc_proto failed on a ${msg} of ${bytes.length} bytes: ${unb64Text(payload)}`);
    return unb64(payload);
  }

  async function capture(source: string, limits: { depth: number; items: number; bytes: number; budget: number }): Promise<elixirscope.Term> {
    const answer = await peer.request(`cap ${limits.depth} ${limits.items} ${limits.bytes} ${limits.budget} ${b64(source)}`);
    const [tag, payload = ''] = answer.split(' ');
    if (tag !== 'ok') throw new Error(`capturing ${source} failed: ${unb64Text(payload)}`);
    return elixirscope.Term.decode(unb64(payload));
  }
  const BIG = { depth: 1000, items: 1_000_000, bytes: 10_000_000, budget: 10_000_000 };

  describe('1. Erlang → TypeScript on generated terms', () => {
    for (const whole of [false, true]) {
    const how = whole ? 'captured whole (Term.etf), decoded by adapter/terms/etf.ts' : 'captured level by level';
    it(`${SEEDS.length} seeds × ${TERMS_PER_SEED} terms ${how}: esc_term + esc_proto encode, protobufjs decodes, rendered source evaluates =:= on the node`, async () => {
      const seen = new Set<Kind>();
      const problems: string[] = [];
      let total = 0;
      let maxDepth = 0;
      for (const seed of SEEDS) {
        peer.send(`gen ${seed} ${TERMS_PER_SEED}${whole ? ' whole' : ''}`);
        const sources: string[] = [];
        for (;;) {
          const line = await peer.nextLine();
          if (line === 'end') break;
          const [tag, idx, payload] = line.split(' ');
          assert.strictEqual(tag, 'term', `unexpected peer line ${line.slice(0, 200)}`);
          let term: elixirscope.Term;
          try {
            term = elixirscope.Term.decode(unb64(payload));
            if (whole && (term.etf?.length ?? 0) === 0 && ((term.list?.items?.length ?? 0) > 0 || term.tuple || term.map)) problems.push(`seed ${seed} term ${idx}: a compound term was not sent whole`);
            if (whole) term = expandEtf(term);
          } catch (err) {
            problems.push(`seed ${seed} term ${idx}: protobufjs cannot decode the agent's encoding: ${(err as Error).message}`);
            sources.push('decode_failed');
            continue;
          }
          maxDepth = Math.max(maxDepth, walk(term, seen, problems));
          try {
            sources.push(renderTerm(term));
          } catch (err) {
            problems.push(`seed ${seed} term ${idx} cannot be rendered: ${(err as Error).message}`);
            sources.push('render_failed');
          }
        }
        // Pipeline the checks, then collect the answers in order.
        sources.forEach((src, i) => peer.send(`check ${i} ${b64(src)}`));
        for (let i = 0; i < sources.length; i++) {
          const [tag, idx, a, b] = (await peer.nextLine()).split(' ');
          assert.strictEqual(Number(idx), i);
          if (tag === 'mismatch') {
            problems.push(`seed ${seed} term ${i} differs after the round trip:\n  original: ${unb64Text(a).slice(0, 2000)}\n  ` +
              `rendered: ${sources[i].slice(0, 2000)}\n  parsed:   ${unb64Text(b).slice(0, 2000)}`);
          } else if (tag === 'error') {
            problems.push(`seed ${seed} term ${i}: the rendered source does not evaluate: ${unb64Text(a).slice(0, 500)}\n  rendered: ${sources[i].slice(0, 2000)}`);
          } else assert.strictEqual(tag, 'ok');
        }
        total += sources.length;
      }
      assert.deepStrictEqual(problems.slice(0, 1), [], `${problems.length} of ${total} terms failed; first shown`);
      const missing = KINDS.filter((k) => k !== 'truncated' && !seen.has(k));
      assert.deepStrictEqual(missing, [], 'every term kind occurs in the generated terms');
      assert.ok(maxDepth >= 99, `deep nesting covered (deepest ${maxDepth})`);
      console.log(`      ${total} terms round-tripped, nesting up to ${maxDepth} levels`);
    });
    }

    it('64-bit fields decode as JS numbers, as adapter/gen/wire.d.ts declares (not Long objects)', () => {
      const t = elixirscope.Term.decode(elixirscope.Term.encode({ int: -(2 ** 53) }).finish());
      assert.strictEqual(typeof t.int, 'number', `Term.int decoded as ${typeof t.int}: ${JSON.stringify(t.int)}`);
      const b = elixirscope.EventBatch.decode(elixirscope.EventBatch.encode({ seq: [1, 2], mono: [5], dropped: 3 }).finish());
      assert.strictEqual(typeof b.seq[0], 'number', `EventBatch.seq decoded as ${typeof b.seq[0]}`);
      assert.strictEqual(typeof b.dropped, 'number', `EventBatch.dropped decoded as ${typeof b.dropped}`);
      // What goes wrong otherwise: a Long plus a Long concatenates strings.
      assert.strictEqual((b.seq[0] as number) + (b.seq[1] as number), 3);
    });
  });

  describe('2. TypeScript → Erlang → TypeScript on generated messages', () => {
    const roundTrip = (name: string, depth: number, numRuns: number, observe?: (msg: Record<string, unknown>) => void) => async () => {
      const type = lookupType(name);
      const codec = staticCodec(name);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(messageArb(type, depth), async (msg) => {
          runs++;
          observe?.(msg);
          const bytes = codec.encode(msg).finish();
          const back = await erlangRoundTrip(name, bytes);
          const decoded = codec.decode(back);
          assert.deepStrictEqual(normalize(type, decoded), normalize(type, msg));
        }),
        { numRuns, seed: 42, endOnFailure: false },
      );
      assert.strictEqual(runs >= numRuns, true);
    };

    const termKinds = new Set<string>();
    it('Term: every oneof case incl. truncated markers, omitted counts, improper tails (600 runs)', async () => {
      await roundTrip('Term', 7, 600, (msg) => termKinds.add(kindOf(msg as elixirscope.ITerm) ?? 'none'))();
      assert.deepStrictEqual([...KINDS, 'none'].filter((k) => !termKinds.has(k)), [], 'every oneof case was generated');
    });
    it('EventBatch: packed repeated columns and tables (300 runs)', roundTrip('EventBatch', 3, 300));
    it('AgentMessage: hello, events, reply (with terms), notice, stats (400 runs)', roundTrip('AgentMessage', 6, 400));
    it('AdapterMessage: welcome and every command (300 runs)', roundTrip('AdapterMessage', 5, 300));
    it('EventBody: every event kind with terms and bindings (300 runs)', roundTrip('EventBody', 6, 300));

    it('EventBatch with long columns at the 64-bit and 32-bit boundaries', async () => {
      const n = 2000;
      const batch = {
        seq: Array.from({ length: n }, (_, i) => (i % 2 ? 2 ** 53 - i : i)),
        mono: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -(2 ** 53) + i : i * 1_000_003)),
        uniq: Array.from({ length: n }, (_, i) => i * 7),
        pid: Array.from({ length: n }, (_, i) => i % 5),
        kind: Array.from({ length: n }, (_, i) => i % 13),
        mfa: Array.from({ length: n }, (_, i) => i % 3),
        hit: Array.from({ length: n }, (_, i) => (i % 4 ? 0 : 0xffffffff)),
        body: Array.from({ length: n }, (_, i) => Buffer.alloc(i % 4, i)),
        pids: ['<0.1.0>', '<0.2.0>', '<0.3.0>', '<0.4.0>', '<0.5.0>'],
        mfas: [{}, { module: 'Elixir.Bank', function: 'deposit', arity: 2 }, { module: 'ñ', function: '日本', arity: 255 }],
        dropped: 2 ** 53,
        other: Array.from({ length: n }, (_, i) => i % 6),
        msgHash: Array.from({ length: n }, (_, i) => (i * 2654435761) % 2 ** 32),
        callTag: Array.from({ length: n }, (_, i) => (i % 2 ? 2 ** 32 - 1 : 0)),
        depth: Array.from({ length: n }, (_, i) => i),
      };
      const type = lookupType('EventBatch');
      const back = elixirscope.EventBatch.decode(await erlangRoundTrip('EventBatch', elixirscope.EventBatch.encode(batch).finish()));
      assert.deepStrictEqual(normalize(type, back), normalize(type, batch));
    });

    it('esc_proto accepts unpacked and mixed packed/unpacked repeated scalars (as proto3 parsers must)', async () => {
      // EventBatch.seq (field 1): 5 and 6 unpacked, then [7, 8] packed, then 9 unpacked; pids (field 9) in between.
      const w = protobuf.Writer.create();
      w.uint32(8).uint64(5).uint32(8).uint64(6);
      w.uint32(74).string('<0.1.0>');
      w.uint32(10).fork().uint64(7).uint64(8).ldelim();
      w.uint32(8).uint64(9);
      w.uint32(40).int32(3); // kind (field 5) unpacked: EXCEPTION
      const back = elixirscope.EventBatch.decode(await erlangRoundTrip('EventBatch', w.finish()));
      assert.deepStrictEqual(back.seq.map(Number), [5, 6, 7, 8, 9]);
      assert.deepStrictEqual(back.pids, ['<0.1.0>']);
      assert.deepStrictEqual(back.kind, [elixirscope.EventKind.EXCEPTION]);
    });

    it('esc_proto:decode_msg on corrupted frames raises only error({esc_proto, _}) (600 mutations)', async () => {
      const type = lookupType('AgentMessage');
      const codec = staticCodec('AgentMessage');
      const corrupted = fc.tuple(messageArb(type, 5), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
        .map(([msg, flips, cut]) => {
          const bytes = Buffer.from(codec.encode(msg).finish());
          for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
          return bytes.subarray(0, bytes.length ? (cut % (bytes.length + 1)) : 0);
        });
      const counts = { ok: 0, err: 0 };
      await fc.assert(
        fc.asyncProperty(fc.oneof(corrupted, fc.uint8Array({ maxLength: 64 })), async (bytes) => {
          const answer = await peer.request(`dec AgentMessage ${b64(bytes)}`);
          const [tag, payload = ''] = answer.split(' ');
          assert.ok(tag === 'ok' || tag === 'err', `esc_proto crashed on ${Buffer.from(bytes).toString('hex')}: ${unb64Text(payload)}`);
          counts[tag as 'ok' | 'err']++;
        }),
        { numRuns: 600, seed: 7 },
      );
      assert.ok(counts.err > 50, `enough of the mutations were malformed (${counts.err} of 600)`);
    });
  });

  describe('3. truncation markers (exact counts)', () => {
    const lim = (o: Partial<typeof BIG>) => ({ ...BIG, ...o });

    it('depth: containers below the depth limit become `truncated` DEPTH, scalars stay', async () => {
      // depth 2: the outer two lists are shown, the third is cut.
      const t = await capture('[1, [2, [3, [4]]], {a, {b}}]', lim({ depth: 2 }));
      const items = t.list!.items!;
      assert.strictEqual(items.length, 3);
      assert.strictEqual(Number(items[0].int), 1);
      const inner = items[1].list!.items!;
      assert.strictEqual(Number(inner[0].int), 2);
      assert.ok(inner[1].truncated, 'the third-level list is truncated');
      assert.strictEqual(inner[1].truncated!.reason, elixirscope.Truncated.Reason.DEPTH);
      assert.strictEqual(items[2].tuple!.items![0].atom, 'a');
      assert.strictEqual(items[2].tuple!.items![1].truncated!.reason, elixirscope.Truncated.Reason.DEPTH);
      // depth 1 on a map: keys and values that are containers are cut, atoms are not.
      const m = await capture('#{k => [1], [x] => v}', lim({ depth: 1 }));
      assert.strictEqual(m.map!.entries!.length, 2);
      const byKey = new Map(m.map!.entries!.map((e) => [kindOf(e.key!), e]));
      assert.ok(byKey.get('atom')!.value!.truncated);
      assert.ok(byKey.get('truncated'));
      assert.strictEqual(byKey.get('truncated')!.value!.atom, 'v');
    });

    it('items: lists, improper lists, tuples and maps carry the number of omitted elements', async () => {
      const l = await capture('lists:seq(1, 10)', lim({ items: 3 }));
      assert.deepStrictEqual(l.list!.items!.map((i) => Number(i.int)), [1, 2, 3]);
      assert.strictEqual(Number(l.list!.omitted), 7);
      assert.strictEqual(l.list!.tail, null, 'a cut list has no tail');
      const il = await capture('[1, 2, 3, 4 | 5]', lim({ items: 2 }));
      assert.deepStrictEqual(il.list!.items!.map((i) => Number(i.int)), [1, 2]);
      assert.strictEqual(Number(il.list!.omitted), 2);
      assert.strictEqual(il.list!.tail, null);
      const ok = await capture('[1, 2 | 3]', lim({ items: 2 }));
      assert.strictEqual(Number(ok.list!.omitted ?? 0), 0);
      assert.strictEqual(Number(ok.list!.tail!.int), 3, 'an improper list within the limit keeps its tail');
      const tu = await capture('list_to_tuple(lists:seq(1, 10))', lim({ items: 4 }));
      assert.strictEqual(tu.tuple!.items!.length, 4);
      assert.strictEqual(Number(tu.tuple!.omitted), 6);
      const ma = await capture('maps:from_list([{I, I} || I <- lists:seq(1, 50)])', lim({ items: 5 }));
      assert.strictEqual(ma.map!.entries!.length, 5);
      assert.strictEqual(Number(ma.map!.omitted), 45);
      const exact = await capture('{1, 2, 3}', lim({ items: 3 }));
      assert.strictEqual(Number(exact.tuple!.omitted ?? 0), 0);
    });

    it('bytes: binaries over the byte limit carry omitted_bytes and their first bytes', async () => {
      const b = await capture('list_to_binary([I rem 256 || I <- lists:seq(0, 299)])', lim({ bytes: 256 }));
      assert.strictEqual(b.binary!.data!.length, 256);
      assert.deepStrictEqual(Array.from(b.binary!.data!.subarray(250)), [250, 251, 252, 253, 254, 255]);
      assert.strictEqual(Number(b.binary!.omittedBytes), 44);
      const within = await capture('<<1, 2, 3>>', lim({ bytes: 3 }));
      assert.strictEqual(Number(within.binary!.omittedBytes ?? 0), 0);
      // A bitstring over the limit: shown as a cut binary; its trailing 3 bits count as one omitted byte.
      const bits = await capture('<<1, 2, 3, 4, 5:3>>', lim({ bytes: 2 }));
      assert.deepStrictEqual(Array.from(bits.binary!.data!), [1, 2]);
      assert.strictEqual(Number(bits.binary!.omittedBytes), 3);
      const bitsOk = await capture('<<1, 2, 5:3>>', lim({ bytes: 3 }));
      assert.deepStrictEqual(Array.from(bitsOk.bitstring!.data!), [1, 2, 5 << 5]);
      assert.strictEqual(bitsOk.bitstring!.trailingBits, 3);
    });

    it('budget: once the node budget is spent the rest is `truncated` SIZE', async () => {
      // The list costs 1, each integer 1: with a budget of 5, 4 integers fit.
      const t = await capture('lists:seq(1, 10)', lim({ budget: 5 }));
      const items = t.list!.items!;
      assert.strictEqual(items.length, 10);
      assert.deepStrictEqual(items.slice(0, 4).map((i) => Number(i.int)), [1, 2, 3, 4]);
      for (const i of items.slice(4)) assert.strictEqual(i.truncated?.reason, elixirscope.Truncated.Reason.SIZE);
      const whole = await capture('{[a, b], #{c => d}}', lim({ budget: 1 }));
      assert.ok(whole.tuple, 'the root is shown');
      for (const i of whole.tuple!.items!) assert.strictEqual(i.truncated?.reason, elixirscope.Truncated.Reason.SIZE);
    });

    it('default limits (0 = default): depth 8, 32 items, 256 bytes', async () => {
      const d = await capture('lists:foldl(fun(_, Acc) -> [Acc] end, x, lists:seq(1, 20))', { depth: 0, items: 0, bytes: 0, budget: 0 });
      let depth = 0;
      let cur: elixirscope.ITerm = d;
      while (cur.list) {
        depth++;
        cur = cur.list.items![0];
      }
      assert.strictEqual(depth, 8);
      assert.ok(cur.truncated);
      const l = await capture('lists:seq(1, 100)', { depth: 0, items: 0, bytes: 0, budget: 0 });
      assert.strictEqual(l.list!.items!.length, 32);
      assert.strictEqual(Number(l.list!.omitted), 68);
      const b = await capture('binary:copy(<<7>>, 1000)', { depth: 0, items: 0, bytes: 0, budget: 0 });
      assert.strictEqual(b.binary!.data!.length, 256);
      assert.strictEqual(Number(b.binary!.omittedBytes), 744);
    });

    it('local funs travel as module, name, arity and printed form (external = false)', async () => {
      const t = await capture('fun(X, Y) -> X + Y end', BIG);
      assert.strictEqual(t.fun!.external, false);
      assert.strictEqual(t.fun!.arity, 2);
      assert.strictEqual(t.fun!.module, 'erl_eval');
      assert.match(t.fun!.repr!, /^#Fun<erl_eval\./);
      const e = await capture('fun lists:map/2', BIG);
      assert.deepStrictEqual([e.fun!.module, e.fun!.name, e.fun!.arity, e.fun!.external, e.fun!.repr], ['lists', 'map', 2, true, 'fun lists:map/2']);
    });

    it('the deepest capture the agent makes (depth clamped to 100) decodes in the adapter, for lists and for maps', async () => {
      // Each Erlang list level is 2 message levels (Term, List), each map level 3 (Term, Map, MapEntry);
      // protobufjs refuses messages nested deeper than Reader.recursionLimit.
      const cases: Array<[string, (t: elixirscope.ITerm) => elixirscope.ITerm | undefined]> = [
        ['lists:foldl(fun(_, Acc) -> [Acc] end, x, lists:seq(1, 150))', (t) => t.list?.items?.[0]],
        ['lists:foldl(fun(I, Acc) -> #{I => Acc} end, x, lists:seq(1, 150))', (t) => t.map?.entries?.[0]?.value ?? undefined],
      ];
      for (const [source, inner] of cases) {
        const answer = await peer.request(`cap 1000000 32 256 100000 ${b64(source)}`);
        const [tag, payload] = answer.split(' ');
        assert.strictEqual(tag, 'ok', unb64Text(payload));
        let t: elixirscope.ITerm = elixirscope.Term.decode(unb64(payload));
        let levels = 0;
        for (let next = inner(t); next; next = inner(t)) {
          levels++;
          t = next;
        }
        assert.strictEqual(levels, 100, `${source}: 100 levels shown`);
        assert.strictEqual(t.truncated?.reason, elixirscope.Truncated.Reason.DEPTH, `${source}: then a DEPTH marker`);
      }
      // The same through the event path: an EventBody wrapping the deepest map still decodes.
      const answer = await peer.request(`cap 1000000 32 256 100000 ${b64('lists:foldl(fun(I, Acc) -> #{I => Acc} end, x, lists:seq(1, 150))')}`);
      const term = elixirscope.Term.decode(unb64(answer.split(' ')[1]));
      const body = elixirscope.EventBody.encode({ state: { version: 1, callback: 'handle_call', state: term, message: term } }).finish();
      assert.doesNotThrow(() => elixirscope.EventBody.decode(body));
      const reply = elixirscope.AgentMessage.encode({ reply: { id: 1, eval: { value: term, printed: '' } } }).finish();
      assert.doesNotThrow(() => elixirscope.AgentMessage.decode(reply));
    });
  });
});
