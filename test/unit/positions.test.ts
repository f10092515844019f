import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { parseText } from '../../src/render/load.js';
import { PositionMap } from '../../src/render/positions.js';

/** Every pointer of a value, as the loader records them (a mapping's keys, a sequence's indexes). */
function pointers(value: unknown, base = ''): string[] {
  const esc = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
  if (Array.isArray(value)) return [base, ...value.flatMap((v, i) => pointers(v, `${base}/${i}`))];
  if (typeof value === 'object' && value !== null)
    return [base, ...Object.entries(value).flatMap(([k, v]) => pointers(v, `${base}/${esc(k)}`))];
  return [base];
}

describe('PositionMap (compact: parent, segment and range per entry; the pointer index built on first lookup)', () => {
  it('answers every pointer of a parsed document with the range of its text, keys with / and ~ included', () => {
    const text = 'a:\n  b/c: 1\n  "d~e":\n    - x\n    - {f: 2}\nempty:\n';
    const parsed = parseText('f.yaml', text, defaultLoadLimits);
    if (!parsed.ok) throw new Error('parse failed');
    const doc = parsed.file.documents[0];
    if (!doc) throw new Error('no document');
    const all = pointers(doc.value);
    expect(all).toContain('/a/b~1c');
    expect(all).toContain('/a/d~0e/1/f');
    for (const p of all) expect(doc.positions.get(p), p).toBeDefined();
    expect(doc.positions.size).toBe(all.length);
    const at = (p: string): string => {
      const r = doc.positions.get(p);
      return r ? text.slice(r.start, r.end) : '';
    };
    expect(at('/a/b~1c')).toBe('1');
    expect(at('/a/d~0e/0')).toBe('x');
    expect(at('/a/d~0e/1/f')).toBe('2');
    expect(doc.positions.get('/a/b~1c')?.keyStart).toBe(text.indexOf('b/c'));
    expect(doc.positions.get('/empty')).toMatchObject({ keyStart: text.indexOf('empty') });
    // A pointer with no entry of its own lands on its nearest ancestor.
    expect(doc.positions.nearest('/a/d~0e/7/g')).toEqual(doc.positions.get('/a/d~0e'));
    expect(doc.positions.get('/missing')).toBeUndefined();
  });

  it('an entry added again for one pointer (a duplicate key) replaces the earlier one; adding after a lookup refreshes the index', () => {
    const m = new PositionMap();
    const root = m.add(-1, '', { start: 0, end: 50 });
    m.add(root, 'k', { start: 1, end: 2, keyStart: 0 });
    expect(m.get('/k')).toEqual({ start: 1, end: 2, keyStart: 0 });
    m.add(root, 'k', { start: 10, end: 12, keyStart: 8 });
    const list = m.add(root, 'list', { start: 20, end: 30 });
    m.add(list, 0, { start: 22, end: 23 });
    m.trim();
    expect(m.get('/k')).toEqual({ start: 10, end: 12, keyStart: 8 });
    expect(m.get('/list/0')).toEqual({ start: 22, end: 23 });
    expect(m.size).toBe(4);
  });

  it('wellFormed accepts a map as plain data (a V8-serialized copy) only in the shape the class writes; unpack checks with it', () => {
    const parsed = parseText('f.yaml', 'spec:\n  tags:\n  - name: a\n', defaultLoadLimits);
    if (!parsed.ok) throw new Error('parse failed');
    const original = parsed.file.documents[0]?.positions as PositionMap;
    expect(original.get('/spec/tags/0/name')).toBeDefined(); // builds the index: it must not travel
    const copy = v8.deserialize(v8.serialize(original)) as unknown;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(PositionMap.wellFormed(copy)).toBe(true);
    Object.setPrototypeOf(copy, PositionMap.prototype);
    const back = copy as PositionMap;
    for (const p of ['', '/spec', '/spec/tags', '/spec/tags/0', '/spec/tags/0/name']) expect(back.get(p)).toEqual(original.get(p));

    const bad = (change: (v: Record<string, unknown>) => void): boolean => {
      const v = v8.deserialize(v8.serialize(original)) as Record<string, unknown>;
      change(v);
      return PositionMap.wellFormed(v);
    };
    expect(bad(() => undefined)).toBe(true);
    expect(bad((v) => (v.parents = new Int32Array([-1, 5, 0, 0, 0])))).toBe(false); // a parent after its child
    expect(bad((v) => (v.segments = ''))).toBe(false); // ends past the string
    expect(bad((v) => (v.ranges = [1, 2, 3]))).toBe(false);
    expect(bad((v) => (v.count = 99))).toBe(false);
    expect(PositionMap.wellFormed({ index: new Map(), ranges: new Int32Array(3) })).toBe(false); // the old shape
  });

  it('packs many maps into one buffer and one string, and unpacks each as views that answer as the original', () => {
    const texts = ['a: 1\nb: [x, {c: 2}]\n', 'spec:\n  tags:\n  - name: a\n  - name: "b~/c"\n', 'x\n', '{}\n', '- 1\n- - 2\n'];
    const maps = texts.map((t) => {
      const parsed = parseText('f.yaml', t, defaultLoadLimits);
      if (!parsed.ok) throw new Error('parse failed');
      return parsed.file.documents[0] as { positions: PositionMap; value: unknown };
    });
    maps[1]?.positions.get('/spec'); // one sealed by a lookup, the others still collecting segments
    const packed = PositionMap.pack(maps.map((m) => m.positions));
    const before = packed.ints.slice();
    const back = packed.places.map(([at, count, segAt]) => PositionMap.unpack(packed.ints, at, count, packed.segments, segAt));
    maps.forEach((m, i) => {
      const b = back[i];
      expect(b).toBeInstanceOf(PositionMap);
      for (const p of [...pointers(m.value), '/nope', '/spec/tags/9']) {
        expect(b?.get(p), p).toEqual(m.positions.get(p));
        expect(b?.nearest(p), p).toEqual(m.positions.nearest(p));
      }
      expect(b?.size).toBe(m.positions.size);
    });
    // An entry added to an unpacked map goes to arrays of its own: the packed buffer (its neighbours) stays as it was.
    const first = back[0] as PositionMap;
    first.add(0, 'added', { start: 0, end: 1 });
    expect(first.get('/added')).toEqual({ start: 0, end: 1 });
    expect(packed.ints).toEqual(before);
    expect(back[1]?.get('/spec/tags/1/name')).toEqual(maps[1]?.positions.get('/spec/tags/1/name'));
    // Places outside the packed arrays or the string, and maps not well formed there, are refused.
    const [at, count, segAt] = packed.places[1] as [number, number, number];
    expect(PositionMap.unpack(packed.ints, packed.ints.length, 1, packed.segments, 0)).toBeUndefined();
    expect(PositionMap.unpack(packed.ints, at, count, packed.segments, packed.segments.length)).toBeUndefined();
    expect(PositionMap.unpack(packed.ints, at, count, packed.segments, 0.5)).toBeUndefined();
    expect(PositionMap.unpack(packed.ints, -1, count, packed.segments, segAt)).toBeUndefined();
    expect(PositionMap.unpack(packed.ints, at + 1, count, packed.segments, segAt)).toBeUndefined(); // misaligned
  });
});
