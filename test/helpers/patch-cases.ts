/** Inputs for the patch tests: files as people write them, and random ops over any document's value. */
import type { PatchOp } from '../../src/render/patch.js';

/** Files as people write them: flow collections, block scalars, comments everywhere, anchors, empty values. */
export const odd = [
  '%YAML 1.1\n---\n# lead\na: 1\n---\nkind: X # k\nm:\n  # inside\n  x: |\n    text\n\n  y: >-\n    folded\n  z:\n  w: [1, {p: q}, "r"]\nl:\n- - 1\n  - 2\n-   k: v\n    j:\n      - deep\n- {f: g}\nq: "quoted # not a comment"\nlast:\n  one: 1\n  two:\n    three: 3 # end\n...\n',
  'base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  z: 3\nlist:\n- a\n- b\nplain: value\n',
  'top:\r\n  a: 1\r\n  b:\r\n    - x\r\n    - y\r\n  c: {}\r\nnext: []\r\n',
  '\ufeffk: v\ntags: !!set\n  ? a\nseq:\n  - &s one\n  - two\nmap:\n  "quoted key": 1\n  \'single\': 2\n  ~: null\nend: 0\n',
];

export function pointers(value: unknown, at = ''): string[] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => void out.push(...pointers(v, `${at}/${i}`)));
  else if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Set) && !(value instanceof Map))
    for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

export function randomOps(value: unknown, r: () => number): PatchOp[] {
  const all = pointers(value).filter((p) => p !== '');
  const values = ['new', 7, null, true, { k: 'v', n: [1, 2] }, ['x', { y: 1 }], 'a: b', '2024-01-01', {}, []];
  const ops: PatchOp[] = [];
  for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
    const p = all[Math.floor(r() * all.length)] as string;
    const v = values[Math.floor(r() * values.length)];
    const kind = r();
    if (kind < 0.4) ops.push({ op: 'replace', path: p, value: v });
    else if (kind < 0.7) ops.push({ op: 'remove', path: p });
    else {
      const parent = p.slice(0, p.lastIndexOf('/'));
      ops.push({
        op: 'add',
        path: `${parent}/${/\/\d+$/.test(p) ? (r() < 0.5 ? '-' : p.slice(p.lastIndexOf('/') + 1)) : `n${i}`}`,
        value: v,
      });
    }
  }
  return ops;
}
