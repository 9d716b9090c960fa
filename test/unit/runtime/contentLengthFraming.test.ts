// The tolerant Content-Length decoder (adapter/runtime/contentLengthFraming.ts) shared by DAP and LSP:
// bad input costs one message, the stream resynchronises on the next header, nothing is held unbounded.
import * as assert from 'assert';
import fc from 'fast-check';
import { ContentLengthDecoder, type Decoded } from '../../../adapter/runtime/contentLengthFraming';

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const msg = (seq: number) => JSON.stringify({ seq, type: 'request', command: 'threads' });
const decode = (d: ContentLengthDecoder, text: string | Buffer): Decoded[] => d.push(Buffer.isBuffer(text) ? text : Buffer.from(text));
const seqs = (items: Decoded[]) => items.flatMap((i) => (i.kind === 'message' ? [i.message.seq] : []));
const reasons = (items: Decoded[]) => items.filter((i) => i.kind === 'malformed').map((i) => (i as { reason: string }).reason);

describe('content-length framing (DAP and LSP)', () => {
  it('decodes messages fed in any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }), (cuts) => {
        const stream = Buffer.from([1, 2, 3].map((s) => frame(msg(s))).join(''));
        const d = new ContentLengthDecoder(1024);
        const out: Decoded[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length];
          out.push(...d.push(stream.subarray(at, at + n)));
          at += n;
        }
        assert.deepStrictEqual(seqs(out), [1, 2, 3]);
        assert.deepStrictEqual(reasons(out), []);
        assert.strictEqual(d.pending, 0);
      }),
    );
  });

  it('a body that is not JSON is reported with its text, and the next message still decodes', () => {
    const out = decode(new ContentLengthDecoder(1024), `Content-Length: 12\r\n\r\n{not json!!}${frame(msg(2))}`);
    assert.deepStrictEqual(seqs(out), [2]);
    assert.strictEqual(out[0].kind, 'malformed');
    assert.match((out[0] as { reason: string }).reason, /not JSON/);
    assert.strictEqual((out[0] as { excerpt: string }).excerpt, '{not json!!}');
  });

  it('an invalid, missing or oversized Content-Length drops that header and resynchronises on the next one', () => {
    for (const [bad, why] of [
      [`Content-Length: abc\r\n\r\n${msg(1)}`, /invalid Content-Length "abc"/],
      [`Content-Length: -5\r\n\r\n${msg(1)}`, /invalid Content-Length "-5"/],
      [`X-Whatever: 1\r\n\r\n${msg(1)}`, /without Content-Length/],
      [`Content-Length: 999999999\r\n\r\n${msg(1)}`, /999999999 bytes exceeds the 1024-byte limit/],
    ] as const) {
      const out = decode(new ContentLengthDecoder(1024), bad + frame(msg(2)));
      assert.deepStrictEqual(reasons(out).length, 1, `${bad}: ${JSON.stringify(out)}`);
      assert.match(reasons(out)[0], why);
      assert.match((out[0] as { excerpt: string }).excerpt, /"seq":1/, 'the excerpt shows the body after the bad header');
      assert.deepStrictEqual(seqs(out), [2], bad);
    }
  });

  it('junk before a header is reported once and skipped; endless junk is not buffered', () => {
    assert.deepStrictEqual(reasons(decode(new ContentLengthDecoder(1024), `garbage${frame(msg(1))}`)), ['7 bytes before a message header were dropped']);
    const d = new ContentLengthDecoder(1024, 256);
    const out: Decoded[] = [];
    for (let i = 0; i < 100; i++) out.push(...decode(d, Buffer.alloc(1000, 'x')));
    assert.strictEqual(reasons(out).length, 1, 'one report for one run of junk');
    assert.ok(d.pending <= 1000 + 256, `pending ${d.pending}`);
    out.push(...decode(d, `\r\n\r\n${frame(msg(3))}`));
    assert.deepStrictEqual(seqs(out), [3]);
  });

  it('a JSON body that is not an object is malformed; other header lines are accepted', () => {
    const out = decode(new ContentLengthDecoder(1024), `${frame('[1,2]')}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n${frame(msg(4))}`);
    assert.deepStrictEqual(reasons(out), ['a message body is not a JSON object']);
    assert.deepStrictEqual(seqs(out), [4]);
  });

  it('the body limit can be raised between pushes', () => {
    const d = new ContentLengthDecoder(16);
    assert.deepStrictEqual(seqs(decode(d, frame(msg(5)))), []);
    d.maxBodyBytes = 1024;
    assert.deepStrictEqual(seqs(decode(d, frame(msg(6)))), [6]);
  });
});
