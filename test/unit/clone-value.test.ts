import { describe, expect, it } from 'vitest';
import { cloneValue, deepEqual } from '../../src/reconcile/values.js';

describe('cloneValue', () => {
  it('copies plain objects and arrays deeply: the copy is equal and shares no object with the original', () => {
    const original = { a: [1, { b: 'x', c: null }], d: { e: true, f: 1.5 }, g: '' };
    const copy = cloneValue(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.a).not.toBe(original.a);
    expect(copy.a[1]).not.toBe(original.a[1]);
    (copy.a[1] as { b: string }).b = 'changed';
    copy.d.e = false;
    expect(original).toEqual({ a: [1, { b: 'x', c: null }], d: { e: true, f: 1.5 }, g: '' });
  });

  it('copies Dates (YAML 1.1 timestamps) as new Dates of the same time', () => {
    const when = new Date('2030-01-01T00:00:00Z');
    const copy = cloneValue({ when });
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(when.getTime());
    expect(deepEqual(copy, { when })).toBe(true);
  });

  it('keeps a __proto__ key an own key and never changes the copy prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const copy = cloneValue(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(deepEqual(copy, parsed)).toBe(true);
  });

  it('copies Maps, Sets and typed arrays too (the renderer clones whatever a patch carries)', () => {
    const original = { m: new Map([['a', { b: 1 }]]), s: new Set([1, 2]), t: new Int32Array([3, 4]) };
    const copy = cloneValue(original);
    expect(copy).toEqual(original);
    expect(copy.m).not.toBe(original.m);
    expect(copy.m.get('a')).not.toBe(original.m.get('a'));
    expect(copy.s).not.toBe(original.s);
    expect(copy.t).not.toBe(original.t);
  });

  it('returns scalars as they are', () => {
    for (const v of ['s', 0, -0, Number.NaN, Number.POSITIVE_INFINITY, true, null, undefined])
      expect(Object.is(cloneValue(v), v)).toBe(true);
  });
});
