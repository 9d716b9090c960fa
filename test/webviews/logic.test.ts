// The webviews' pure logic in Node (no browser): structural diff, message patterns, Mermaid text, and
// the paged stream's ordering rules.
import * as assert from 'assert';
import type { MessageEvent, RequestRangeMessage, TermView } from '../../adapter/protocol/webviewData';
import { toMermaid } from '../../webviews/mermaidExport';
import { PagedStream } from '../../webviews/pagedStream';
import { compilePattern } from '../../webviews/seqFilter';
import { DiffNode, diffTerms } from '../../webviews/termDiff';
import { bankRecording, LEDGER, SUP } from './fixtures/bankRecording';
import { atom, int, list, map, str, struct, tuple } from './fixtures/terms';

/** Changed paths, not descending into wholly added/removed subtrees. */
const flat = (n: DiffNode): string[] => [
  ...(n.status !== 'same' && n.path ? [`${n.path}:${n.status}`] : []),
  ...(n.status === 'added' || n.status === 'removed' ? [] : (n.children ?? []).flatMap(flat)),
];

describe('webview logic: structural diff', () => {
  it('marks changed, added and removed keys of maps and structs, nested', () => {
    const a = map({ cfg: map({ limit: int(5), mode: atom('fast') }), n: int(1), old: str('x') });
    const b = map({ cfg: map({ limit: int(6), mode: atom('fast') }), n: int(1), extra: list([]) });
    assert.deepStrictEqual(flat(diffTerms(a, b)), ['cfg:changed', 'cfg.limit:changed', 'extra:added', 'old:removed']);
  });

  it('diffs lists as sequences: a prepended element is one addition, a replaced one a change', () => {
    const e = (k: string, n: number) => tuple(atom(k), int(n));
    assert.deepStrictEqual(flat(diffTerms(list([e('a', 1), e('b', 2)]), list([e('c', 3), e('a', 1), e('b', 2)]))), ['[0]:added']);
    assert.deepStrictEqual(flat(diffTerms(list([int(1), int(2), int(3)]), list([int(1), int(5), int(3)]))), ['[1]:changed']);
    assert.deepStrictEqual(flat(diffTerms(list([int(1), int(2)]), list([int(1)]))), ['[1]:removed']);
  });

  it('never diffs key by key across shapes: a map and a struct, or two structs, differ as a whole', () => {
    const fields = { id: atom('a') };
    const d = diffTerms(map(fields), struct('Bank.Account', fields));
    assert.strictEqual(d.status, 'changed');
    assert.strictEqual(d.children, undefined);
    assert.strictEqual(diffTerms(struct('A', fields), struct('B', fields)).children, undefined);
  });

  it('reports identical terms as unchanged and a first version as all new', () => {
    const s = struct('Bank.Account', { balance: int(1), id: atom('a'), ops: int(0) });
    assert.strictEqual(diffTerms(s, JSON.parse(JSON.stringify(s)) as TermView).status, 'same');
    assert.strictEqual(diffTerms(undefined, s).status, 'added');
  });
});

describe('webview logic: message patterns', () => {
  it('matches term patterns with _ wildcards, plain text and /regex/', () => {
    const m = compilePattern('{:withdraw, _}')!;
    assert.deepStrictEqual(['{:withdraw, 5}', '{:withdraw,-1}', '{:deposit, 5}', '{:withdraw, 5, 6}'].map(m), [true, true, false, true]);
    assert.deepStrictEqual(['{:ok, 1}', '{:OK, 1}'].map(compilePattern('ok')!), [true, true]);
    assert.deepStrictEqual(['{:ok, 12}', '{:ok, 1}'].map(compilePattern('/\\d{2}/')!), [true, false]);
    assert.strictEqual(compilePattern('  '), undefined);
    assert.throws(() => compilePattern('/(/'), SyntaxError);
  });
});

describe('webview logic: Mermaid export', () => {
  it('uses one arrow per kind, notes for exits without a receiver and escapes Mermaid syntax', () => {
    const lanes = [SUP, LEDGER].map((p, order) => ({ pid: p.pid, name: p.name, order }));
    const ev = (kind: MessageEvent['kind'], from: string, to: string, text: string): MessageEvent => ({ seq: 1, time: 0, kind, from, to, fromName: '', toName: '', message: { kind: 'other', text } });
    const out = toMermaid([ev('cast', SUP.pid, LEDGER.pid, '{:a; #b}'), ev('info', LEDGER.pid, SUP.pid, ':tick'), ev('exit', LEDGER.pid, LEDGER.pid, ':normal'), ev('exit', LEDGER.pid, SUP.pid, ':kill')], lanes);
    assert.strictEqual(out, [
      'sequenceDiagram',
      '    participant P1 as Bank.Supervisor #lt;0.140.0#gt;',
      '    participant P2 as Bank.Ledger #lt;0.142.0#gt;',
      '    P1-)P2: {:a#59; #35;b}',
      '    P2--)P1: :tick',
      '    Note over P2: exit :normal',
      '    P2-xP1: exit :kill',
      '',
    ].join('\n'));
  });

  it('the bank recording has every kind and pairs every answered call', () => {
    const rec = bankRecording();
    assert.deepStrictEqual(new Set(rec.messages.map((m) => m.kind)), new Set(['spawn', 'call', 'cast', 'reply', 'exit', 'info']));
    const bySeq = new Map(rec.messages.map((m) => [m.seq, m]));
    for (const m of rec.messages.filter((x) => x.kind === 'reply')) assert.strictEqual(bySeq.get(m.pairSeq!)!.pairSeq, m.seq);
  });
});

describe('webview logic: paged stream', () => {
  it('fetches the rest in order, ignores stale answers and fills gaps left by live appends', () => {
    const asked: RequestRangeMessage[] = [];
    const added: number[] = [];
    const s = new PagedStream<'messages'>('messages', (m) => asked.push(m), (from) => added.push(from), 2, (fn) => fn());
    const msg = (seq: number) => ({ seq } as MessageEvent);
    s.reset([msg(0), msg(1)], 5);
    assert.deepStrictEqual(asked.map((a) => [a.from, a.to]), [[2, 4]]);
    s.page(99, 2, [msg(2), msg(3)], 5); // not the pending request: ignored
    assert.strictEqual(s.items.length, 2);
    s.append(6, [msg(6)]); // live item beyond what we hold: total grows, item fetched later by page
    s.page(asked[0].requestId, 2, [msg(2), msg(3)], 5);
    s.page(asked[1].requestId, 4, [msg(4), msg(5)], 7);
    s.page(asked[2].requestId, 6, [msg(6)], 7);
    assert.deepStrictEqual(s.items.map((m) => m.seq), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(s.complete);
    assert.deepStrictEqual(added, [0, 2, 4, 6]);
  });
});
