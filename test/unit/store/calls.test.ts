// Nested calls, recursion, exceptions unwinding several frames, tail calls: stacks, depths and steps.

import { strict as assert } from 'assert';
import { load, moved, stackSig } from './harness';
import { Synth, mfa, t } from './synth';

const P = '<0.100.0>';

function nested(): Synth {
  const s = new Synth();
  s.call(P, mfa('a'), [t.int(1)], { bindings: { x: t.int(1) }, line: 10 }); // 0
  s.line(P, 11, { x: t.int(1) }); // 1
  s.call(P, mfa('b'), [t.int(2)], { bindings: { y: t.int(2) }, line: 20 }); // 2
  s.line(P, 21, { y: t.int(2) }); // 3
  s.call(P, mfa('c'), [t.int(3)], { bindings: { z: t.int(3) }, line: 30 }); // 4
  s.line(P, 31, { z: t.int(3) }); // 5
  s.ret(P, mfa('c'), t.int(3)); // 6
  s.line(P, 22, { y: t.int(2), r: t.int(3) }); // 7
  s.ret(P, mfa('b'), t.int(4)); // 8
  s.line(P, 12, { x: t.int(1) }); // 9
  s.ret(P, mfa('a'), t.int(5)); // 10
  return s;
}

describe('store: nested calls', () => {
  it('assigns frame depths from call/return structure', () => {
    const { store } = load(nested());
    const depths = [];
    for (let g = store.head; g < store.tail; g++) depths.push(store.depth(g));
    assert.deepEqual(depths, [1, 1, 2, 2, 3, 3, 3, 2, 2, 1, 1]);
  });

  it('reconstructs the stack with call-site lines for outer frames', () => {
    const { nav } = load(nested());
    nav.goto(5);
    assert.deepEqual(stackSig(nav), ['c:31', 'b:21', 'a:11']);
    nav.goto(4);
    assert.deepEqual(stackSig(nav), ['c:30', 'b:21', 'a:11'], 'at entry the top line is the clause head');
    nav.goto(6);
    assert.deepEqual(stackSig(nav), ['c:31', 'b:21', 'a:11'], 'on the return the returning frame is on top');
    nav.goto(9);
    assert.deepEqual(stackSig(nav), ['a:12']);
  });

  it('steps over: same depth, skipping deeper calls; after a return, in the caller', () => {
    const { nav } = load(nested());
    nav.goto(1);
    assert.equal(moved(nav.stepOver()), 9);
    nav.goto(2);
    const path = [moved(nav.stepOver()), moved(nav.stepOver()), moved(nav.stepOver()), moved(nav.stepOver()), moved(nav.stepOver())];
    assert.deepEqual(path, [3, 7, 8, 9, 10]);
  });

  it('steps in through every event and out to the return of the current frame', () => {
    const { nav } = load(nested());
    nav.goto(0);
    const path = [];
    for (let i = 0; i < 10; i++) path.push(moved(nav.stepIn()));
    assert.deepEqual(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    nav.goto(5);
    assert.equal(moved(nav.stepOut()), 6);
    assert.equal(moved(nav.stepOut()), 8, 'from the return of c, out of b');
    assert.equal(moved(nav.stepOut()), 10);
  });

  it('steps backwards symmetrically', () => {
    const { nav } = load(nested());
    nav.goto(9);
    assert.equal(moved(nav.stepOver({ reverse: true })), 1, 'back over the whole call of b');
    nav.goto(7);
    assert.deepEqual([moved(nav.stepOver({ reverse: true })), moved(nav.stepOver({ reverse: true })), moved(nav.stepOver({ reverse: true }))], [3, 2, 1]);
    nav.goto(5);
    assert.equal(moved(nav.stepOut({ reverse: true })), 4, 'back to the entry of c');
    assert.equal(moved(nav.stepOut({ reverse: true })), 2, 'from an entry, to the caller entry');
  });

  it('shows arguments, locals and the return value', () => {
    const { nav } = load(nested());
    nav.goto(5);
    const sc = nav.scopes()!;
    assert.deepEqual(sc.arguments!.args.map((a) => a.int), [3]);
    assert.deepEqual(sc.locals.map((b) => [b.name, b.value?.int]), [['z', 3]]);
    const outer = nav.stack().frames[1];
    const fs = nav.frameScopes(outer);
    assert.deepEqual(fs.arguments!.args.map((a) => a.int), [2]);
    assert.deepEqual(fs.locals.map((b) => b.name), ['y']);
    nav.goto(8);
    assert.equal(nav.scopes()!.returnValue!.int, 4);
  });
});

describe('store: recursion', () => {
  function fact(): Synth {
    const s = new Synth();
    const f = mfa('fact');
    s.call(P, f, [t.int(3)]); // 0
    s.line(P, 5, { n: t.int(3) }); // 1
    s.call(P, f, [t.int(2)]); // 2
    s.line(P, 5, { n: t.int(2) }); // 3
    s.call(P, f, [t.int(1)]); // 4
    s.line(P, 3, { n: t.int(1) }); // 5
    s.ret(P, f, t.int(1)); // 6
    s.ret(P, f, t.int(2)); // 7
    s.ret(P, f, t.int(6)); // 8
    return s;
  }

  it('keeps one frame per recursive call and matches returns innermost first', () => {
    const { store, nav } = load(fact());
    nav.goto(5);
    assert.deepEqual(stackSig(nav), ['fact:3', 'fact:5', 'fact:5']);
    assert.deepEqual(nav.stack().frames.map((f) => f.call), [4, 2, 0]);
    assert.deepEqual([0, 2, 4].map((g) => nav.view.links(g).match), [8, 7, 6]);
    assert.equal(store.depth(7), 2);
  });

  it('steps out one recursion level at a time and over a whole recursion', () => {
    const { nav } = load(fact());
    nav.goto(5);
    assert.deepEqual([moved(nav.stepOut()), moved(nav.stepOut()), moved(nav.stepOut())], [6, 7, 8]);
    nav.goto(1);
    assert.equal(moved(nav.stepOver()), 8);
    nav.goto(3);
    assert.equal(moved(nav.stepOut()), 7);
  });
});

describe('store: exceptions', () => {
  it('an exception naming an outer frame unwinds every frame above it', () => {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.call(P, mfa('b')); // 1
    s.call(P, mfa('c')); // 2
    s.line(P, 30); // 3
    s.exc(P, mfa('a'), t.atom('badarith')); // 4
    s.call(P, mfa('d')); // 5
    const { store, nav } = load(s);
    assert.deepEqual([0, 1, 2].map((g) => nav.view.links(g).match), [4, 4, 4]);
    assert.equal(store.depth(4), 1);
    assert.equal(store.depth(5), 1, 'the stack is empty after the unwind');
    nav.goto(3);
    assert.equal(moved(nav.stepOut()), 4);
    nav.goto(3);
    assert.equal(moved(nav.stepOver()), 4);
    const sc = nav.scopes()!;
    assert.equal(sc.exception!.class, 'error');
    assert.equal(sc.exception!.reason!.atom, 'badarith');
    assert.deepEqual(stackSig(nav), ['a:0']);
  });

  it('per-frame exception events close one frame each', () => {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.call(P, mfa('b')); // 1
    s.exc(P, mfa('b')); // 2
    s.exc(P, mfa('a')); // 3
    const { store, nav } = load(s);
    assert.deepEqual([store.depth(2), store.depth(3)], [2, 1]);
    nav.goto(2);
    assert.equal(moved(nav.stepOut()), 3);
  });
});

describe('store: tail calls', () => {
  function tail(): Synth {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.line(P, 1); // 1
    s.call(P, mfa('b')); // 2 tail call from a
    s.call(P, mfa('c')); // 3 tail call from b
    s.line(P, 2); // 4
    s.ret(P, mfa('a'), t.int(7), true); // 5 return_to: closes c, b and a
    s.line(P, 9); // 6 back in untraced code
    return s;
  }

  it('a return closes the elided frames above its own', () => {
    const { store, nav } = load(tail());
    assert.deepEqual([0, 2, 3].map((g) => nav.view.links(g).match), [5, 5, 5]);
    assert.equal(store.depth(5), 1);
    assert.equal(store.depth(6), 0);
    nav.goto(6);
    assert.deepEqual(nav.stack().frames.map((f) => f.call), [-1], 'outside any recorded call: the process frame');
    nav.goto(4);
    assert.equal(moved(nav.stepOut()), 5);
    nav.goto(4);
    assert.equal(moved(nav.stepOver()), 5);
    assert.equal(moved(nav.stepOver()), 6);
  });

  it('a return whose MFA is not on the stack closes only the top frame', () => {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.call(P, mfa('b')); // 1
    s.ret(P, mfa('zzz')); // 2
    s.line(P, 4); // 3
    const { store } = load(s);
    assert.equal(store.depth(2), 2);
    assert.equal(store.depth(3), 1);
  });
});
