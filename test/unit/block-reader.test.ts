/**
 * The strict reader of the block YAML the renderer writes (src/render/block-reader.ts) must read exactly what the
 * YAML library reads, under YAML 1.1 and 1.2, whenever it reads at all: checked on everything the writer emits
 * for random values, on random line soup, and on the things it must decline.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readBlockEntry } from '../../src/render/block-reader.js';
import { renderItemLines, renderPairLines } from '../../src/render/yaml-style.js';
import { mulberry32 as prng } from '../fault/prng.js';

const tricky = [
  'plain',
  'quay.io/a/b@sha256:00ff',
  'y',
  'n',
  'Yes',
  'off',
  'True',
  'null',
  'Null',
  '~',
  '',
  ' lead',
  'trail ',
  'a: b',
  'a #b',
  'a#b',
  '#x',
  '- x',
  '-1',
  '0777',
  '0x1f',
  '1:20',
  '1_000',
  '2024-01-01',
  '2024-01-01T00:00:00Z',
  '.inf',
  '.NaN',
  '1e3',
  '12',
  '007',
  'é',
  '\u2028',
  'tab\there',
  'line\nbreak',
  '"quoted"',
  "it's",
  'back\\slash',
  '{a}',
  '[x]',
  '&anchor',
  '*alias',
  '!tag',
  '|',
  '>',
  '%',
  '@',
  '`',
  '<<',
  '=',
  'a:b',
  '/path',
  '_under',
];

function value(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 0 && k < 0.3) {
    const n = Math.floor(r() * 4);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) out[tricky[Math.floor(r() * tricky.length)] as string] = value(r, depth - 1);
    return out;
  }
  if (depth > 0 && k < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1));
  if (k < 0.6) return [0, 1, -5, 42, 1.5, 2 ** 53 + 2, 1e21][Math.floor(r() * 7)];
  if (k < 0.65) return r() < 0.5;
  if (k < 0.7) return null;
  return tricky[Math.floor(r() * tricky.length)];
}

const read11 = (text: string): unknown => parse(text, { version: '1.1', uniqueKeys: false });
const read12 = (text: string): unknown => parse(text, { version: '1.2', uniqueKeys: false });

/** The library's reading of the entry, or an error when it cannot read the text. */
function libraryReads(text: string, kind: 'pair' | 'item', key?: string): [unknown, unknown] {
  const a = read11(text) as Record<string, unknown> | unknown[];
  const b = read12(text) as Record<string, unknown> | unknown[];
  if (kind === 'item') return [(a as unknown[])[0], (b as unknown[])[0]];
  return [(a as Record<string, unknown>)[key as string], (b as Record<string, unknown>)[key as string]];
}

describe('the strict block reader', () => {
  it('reads what the writer emits as the library does, or declines', () => {
    const r = prng(5);
    let read = 0;
    for (let round = 0; round < 3000; round++) {
      const v = value(r, 3);
      const style = { step: r() < 0.5 ? 2 : 4, seqIndent: r() < 0.5 ? 0 : 2 };
      const kind = r() < 0.5 ? 'pair' : 'item';
      const key = tricky[Math.floor(r() * tricky.length)] as string;
      let lines: string[];
      try {
        lines = kind === 'pair' ? renderPairLines(key, v, 0, style) : renderItemLines(v, 0, style);
      } catch {
        continue; // a value the writer refuses (a number YAML cannot hold)
      }
      const text = `${lines.join('\n')}\n`;
      const got = readBlockEntry(text, 0, kind, 0);
      if (!got) continue;
      read++;
      const [a, b] = libraryReads(text, kind, key);
      expect(got.value, text).toEqual(a);
      expect(got.value, text).toEqual(b);
      expect(got.value, text).toEqual(v);
      if (kind === 'pair') expect(got.key).toBe(key);
    }
    expect(read).toBeGreaterThan(300);
  });

  it('reads random line soup as the library does, whatever follows at the entry’s column, or declines', () => {
    const r = prng(9);
    const pieces = [
      'a:',
      'b: 1',
      'c: x',
      '- ',
      '-',
      'd: "q"',
      "e: 'it''s'",
      '- f: y',
      '- 12',
      'g: {}',
      'h: []',
      'k: ~',
      ' ',
      '# c',
      'm: [1]',
      'n: |',
      '  text',
      'o: &x 1',
      'p: *x',
      'q: !!str 1',
      'r: 0o17',
      's: a:b',
    ];
    let read = 0;
    for (let round = 0; round < 20000; round++) {
      const kind = r() < 0.5 ? 'pair' : 'item';
      const first = kind === 'pair' ? 'top:' : `- ${pieces[Math.floor(r() * 8)]}`;
      const lines = [first];
      for (let i = 0, n = 1 + Math.floor(r() * 6); i < n; i++)
        lines.push(' '.repeat(Math.floor(r() * 7)) + (pieces[Math.floor(r() * pieces.length)] as string));
      const text = `${lines.join('\n')}\n`;
      const got = readBlockEntry(text, 0, kind, 0);
      if (!got) continue;
      read++;
      const entry = text.slice(0, got.end);
      for (const follow of ['', '\nzz: 1\n', '\n# after\n\nzz: 1\n']) {
        const whole = kind === 'pair' || !follow ? entry + follow : `${entry}\n- zz\n`;
        const [a, b] = libraryReads(whole, kind, 'top');
        expect(got.value, whole).toEqual(a);
        expect(got.value, whole).toEqual(b);
      }
    }
    expect(read).toBeGreaterThan(200);
  });

  it('reads nested entries at their column and stops where the collection goes on', () => {
    const text =
      'p:\n  a: 1\n  status:\n    tags:\n    - tag: "1.0"\n      items:\n      - image: sha256:aa\n        generation: 2\n  b: 2\n';
    const got = readBlockEntry(text, text.indexOf('status'), 'pair', 2);
    expect(got?.value).toEqual({ tags: [{ tag: '1.0', items: [{ image: 'sha256:aa', generation: 2 }] }] });
    expect(text.slice(got?.end ?? 0)).toBe('\n  b: 2\n');
    const item = readBlockEntry(text, text.indexOf('- image'), 'item', 6);
    expect(item?.value).toEqual({ image: 'sha256:aa', generation: 2 });
  });

  it.each([
    ['a 1.1 boolean', 'k:\n  v: yes\n'],
    ['a 1.1 octal', 'k:\n  v: 0777\n'],
    ['a date', 'k:\n  v: 2024-01-01\n'],
    ['a float', 'k:\n  v: 1.5\n'],
    ['a null spelled ~', 'k:\n  v: ~\n'],
    ['a comment', 'k:\n  v: x # c\n'],
    ['a comment line inside', 'k:\n  a: 1\n  # c\n  b: 2\n'],
    ['an anchor', 'k:\n  v: &a x\n'],
    ['a tag', 'k:\n  v: !!str 1\n'],
    ['a block scalar', 'k:\n  v: |\n    text\n'],
    ['a multi-line plain scalar', 'k:\n  v: one\n    two\n'],
    ['a key twice', 'k:\n  v: 1\n  v: 2\n'],
    ['a tab', 'k:\n  v:\tx\n'],
    ['an unknown escape', 'k:\n  v: "\\x41"\n'],
    ['a flow collection with entries', 'k:\n  v: [1, 2]\n'],
    ['a more indented line after a blank one', 'k:\n  v: 1\n\n    w: 2\n'],
    ['a number as a key', 'k:\n  1: x\n'],
  ])('declines %s', (_, text) => {
    expect(readBlockEntry(text, 0, 'pair', 0)).toBeUndefined();
  });
});
