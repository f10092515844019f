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
    expect(diffValues({ i: [2, 1] }, { i: [3, 2] })).toEqual([{ op: 'remove', path: '/i/1' }, { op: 'add', path: '/i/0', value: 3 }]);
    expect(diffValues({ t: [{ n: 'a', v: 1 }] }, { t: [{ n: 'a', v: 2 }, { n: 'b', v: 1 }] })).toEqual([
      { op: 'replace', path: '/t/0/v', value: 2 },
      { op: 'add', path: '/t/1', value: { n: 'b', v: 1 } },
    ]);
  });
  it('compares YAML 1.1 timestamps (Dates) by time, and keys holding undefined do not count', () => {
    const at = new Date('2024-01-01T00:00:00Z');
    expect(diffValues({ t: at }, { t: new Date(at.getTime()) })).toEqual([]);
    expect(diffValues({ t: at }, { t: new Date('2024-02-01T00:00:00Z') })).toEqual([{ op: 'replace', path: '/t', value: new Date('2024-02-01T00:00:00Z') }]);
    expect(diffValues({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
  });
});
