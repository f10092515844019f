/** The minimal edits between two values (src/reconcile/json-diff.ts). */
import { describe, expect, it } from 'vitest';
import { diffValues } from '../../src/reconcile/json-diff.js';

describe('diffValues', () => {
  it('a prepend, a sorted insert, a removal, a nested change', () => {
    expect(diffValues({ items: [2, 1] }, { items: [3, 2, 1] })).toEqual([{ op: 'add', path: '/items/0', value: 3 }]);
    expect(diffValues({ tags: ['a', 'c'] }, { tags: ['a', 'b', 'c'] })).toEqual([{ op: 'add', path: '/tags/1', value: 'b' }]);
    expect(diffValues({ tags: ['a', 'b', 'c'] }, { tags: ['a', 'c'] })).toEqual([{ op: 'remove', path: '/tags/1' }]);
    expect(diffValues({ a: { 'x/y': 1 } }, { a: { 'x/y': 2 } })).toEqual([{ op: 'replace', path: '/a/x~1y', value: 2 }]);
  });
  it('a capped history is a removal and a prepend; a changed entry plus an appended one edits in place', () => {
    expect(diffValues({ i: [2, 1] }, { i: [3, 2] })).toEqual([
      { op: 'remove', path: '/i/1' },
      { op: 'add', path: '/i/0', value: 3 },
    ]);
    expect(
      diffValues(
        { t: [{ n: 'a', v: 1 }] },
        {
          t: [
            { n: 'a', v: 2 },
            { n: 'b', v: 1 },
          ],
        },
      ),
    ).toEqual([
      { op: 'replace', path: '/t/0/v', value: 2 },
      { op: 'add', path: '/t/1', value: { n: 'b', v: 1 } },
    ]);
  });
  it('compares YAML 1.1 timestamps (Dates) by time, and keys holding undefined do not count', () => {
    const at = new Date('2024-01-01T00:00:00Z');
    expect(diffValues({ t: at }, { t: new Date(at.getTime()) })).toEqual([]);
    expect(diffValues({ t: at }, { t: new Date('2024-02-01T00:00:00Z') })).toEqual([
      { op: 'replace', path: '/t', value: new Date('2024-02-01T00:00:00Z') },
    ]);
    expect(diffValues({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
  });
});

describe('diffValues on long lists', () => {
  it('a capped history of 10,000 items is still one removal and one prepend', () => {
    const old = Array.from({ length: 10_000 }, (_, i) => ({ image: `sha256:${i}`, generation: i }));
    const next = [{ image: 'sha256:new', generation: 10_001 }, ...old.slice(0, old.length - 1)];
    expect(diffValues({ items: old }, { items: next })).toEqual([
      { op: 'remove', path: '/items/9999' },
      { op: 'add', path: '/items/0', value: { image: 'sha256:new', generation: 10_001 } },
    ]);
  });
  it('20,000 status tags each with a new history item give one add per tag, in place', () => {
    const old = Array.from({ length: 20_000 }, (_, i) => ({ tag: `t${i}`, items: [{ image: `a${i}` }] }));
    const next = old.map((t) => ({ ...t, items: [{ image: `b${t.tag}` }, ...t.items] }));
    const ops = diffValues({ tags: old }, { tags: next });
    expect(ops).toHaveLength(20_000);
    expect(ops[12_345]).toEqual({ op: 'add', path: '/tags/12345/items/0', value: { image: 'bt12345' } });
  });
});
