// Length-prefixed framing (adapter/runtime/framing.ts): 4-byte big-endian length, then the payload.
import * as assert from 'assert';
import fc from 'fast-check';
import { DEFAULT_FRAME_CAP, encodeFrame, FrameDecoder, FrameTooLargeError } from '../../adapter/runtime/framing';

const hex = (bufs: Buffer[]) => bufs.map((b) => b.toString('hex'));

describe('framing', () => {
  it('encodeFrame writes a 4-byte big-endian length before the payload', () => {
    assert.strictEqual(encodeFrame(Buffer.from([1, 2, 3])).toString('hex'), '00000003010203');
    assert.strictEqual(encodeFrame(new Uint8Array(0)).toString('hex'), '00000000');
    assert.strictEqual(encodeFrame(Buffer.alloc(0x01020304 & 0xffff)).subarray(0, 4).toString('hex'), '00000304');
  });

  it('reassembles frames fed byte by byte', () => {
    const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from([0, 255, 10, 13]), Buffer.alloc(300, 7)];
    const stream = Buffer.concat(payloads.map(encodeFrame));
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      const got = d.push(stream.subarray(i, i + 1));
      // A frame completes exactly on its last byte.
      out.push(...got.map((b) => Buffer.from(b)));
    }
    assert.deepStrictEqual(hex(out), hex(payloads));
    assert.strictEqual(d.pending, 0);
  });

  it('returns several frames from one chunk, and keeps a partial one pending', () => {
    const a = encodeFrame(Buffer.from('a'));
    const b = encodeFrame(Buffer.from('bb'));
    const c = encodeFrame(Buffer.from('ccc'));
    const d = new FrameDecoder();
    const first = d.push(Buffer.concat([a, b, c.subarray(0, 5)]));
    assert.deepStrictEqual(first.map(String), ['a', 'bb']);
    assert.strictEqual(d.pending, 5);
    assert.deepStrictEqual(d.push(c.subarray(5)).map(String), ['ccc']);
    assert.strictEqual(d.pending, 0);
  });

  it('splits a header across chunks', () => {
    const f = encodeFrame(Buffer.from('split header'));
    const d = new FrameDecoder();
    assert.deepStrictEqual(d.push(f.subarray(0, 2)), []);
    assert.deepStrictEqual(d.push(f.subarray(2, 3)), []);
    assert.deepStrictEqual(d.push(f.subarray(3)).map(String), ['split header']);
  });

  it('yields zero-length frames, also several in a row', () => {
    const d = new FrameDecoder();
    const frames = d.push(Buffer.concat([encodeFrame(new Uint8Array(0)), encodeFrame(new Uint8Array(0)), encodeFrame(Buffer.from('x'))]));
    assert.deepStrictEqual(frames.map((f) => f.length), [0, 0, 1]);
  });

  it('frames survive any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map(encodeFrame));
          const d = new FrameDecoder(100);
          const out: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length];
            out.push(...d.push(stream.subarray(at, at + n)).map((b) => Buffer.from(b)));
            at += n;
          }
          assert.deepStrictEqual(hex(out), hex(payloads.map((p) => Buffer.from(p))));
          assert.strictEqual(d.pending, 0);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('accepts a frame exactly at the cap', () => {
    const d = new FrameDecoder(8);
    assert.deepStrictEqual(d.push(encodeFrame(Buffer.from('12345678'))).map(String), ['12345678']);
  });

  it('an oversized header throws FrameTooLargeError as soon as the header is complete, before the body arrives', () => {
    const d = new FrameDecoder(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1025, 0);
    assert.deepStrictEqual(d.push(head.subarray(0, 3)), [], 'three header bytes are not enough to judge');
    assert.throws(() => d.push(head.subarray(3)), (err: unknown) => {
      assert.ok(err instanceof FrameTooLargeError);
      assert.strictEqual(err.size, 1025);
      assert.strictEqual(err.cap, 1024);
      assert.strictEqual(err.message, 'frame of 1025 bytes exceeds the 1024-byte cap');
      return true;
    });
    // Only the header was ever buffered.
    assert.strictEqual(d.pending, 4);
  });

  it('the default cap is 16 MiB: a header of 0xFFFFFFFF or cap + 1 is refused, also right after a good frame in the same chunk', () => {
    const d = new FrameDecoder();
    const big = Buffer.alloc(4);
    big.writeUInt32BE(0xffffffff, 0);
    assert.throws(() => d.push(big), FrameTooLargeError);
    const d2 = new FrameDecoder();
    const over = Buffer.alloc(4);
    over.writeUInt32BE(DEFAULT_FRAME_CAP + 1, 0);
    assert.throws(() => d2.push(Buffer.concat([encodeFrame(Buffer.from('ok')), over])), (err: unknown) => err instanceof FrameTooLargeError && err.size === DEFAULT_FRAME_CAP + 1);
  });

  it('a frame in one chunk comes out without copying (a view of the chunk)', () => {
    const chunk = encodeFrame(Buffer.from('zero-copy'));
    const [frame] = new FrameDecoder().push(chunk);
    assert.strictEqual(frame.buffer, chunk.buffer);
  });
});
