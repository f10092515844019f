import { Composer, Parser, isMap, isScalar, isSeq } from 'yaml';
import type { Document, ParsedNode } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyPatches, deepEqual } from '../../src/render/patch.js';
import type { DocumentPatch, PatchOp } from '../../src/render/patch.js';
import { pointerSegment } from '../../src/render/positions.js';
import { yamlOptions } from '../../src/render/yaml-source.js';

function patch(text: string, ops: PatchOp[], document = 0): string {
  const r = applyPatches(text, 'yaml', [{ document, ops }]);
  if (!r.ok) throw new Error(r.error);
  return r.text;
}
function fails(text: string, ops: PatchOp[], pattern: RegExp, document = 0): void {
  const r = applyPatches(text, 'yaml', [{ document, ops }]);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(pattern);
}
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('applyPatches (YAML): scalars', () => {
  it('returns the text unchanged for no patches', () => {
    const text = '\ufeff# c\r\na:   1 # x\r\n---\r\nb: [1,2]';
    expect(applyPatches(text, 'yaml', [])).toEqual({ ok: true, text });
  });

  it('keeps the quoting style of a replaced scalar and its trailing comment', () => {
    const text = lines('plain: foo # one', "single: 'foo' # two", 'double: "foo"', '# above', 'num: 1');
    expect(
      patch(text, [
        { op: 'replace', path: '/plain', value: 'bar baz' },
        { op: 'replace', path: '/single', value: "it's" },
        { op: 'replace', path: '/double', value: 'a"b' },
        { op: 'replace', path: '/num', value: 2 },
      ]),
    ).toBe(lines('plain: bar baz # one', "single: 'it''s' # two", 'double: "a\\"b"', '# above', 'num: 2'));
  });

  it('quotes plain strings that YAML 1.1 would read as something else', () => {
    const text = lines('a: x', 'b: x', 'c: x', 'd: x', 'e: x', 'f: x', 'g: x', 'h: x', 'i: x', 'j: x');
    const values = ['true', '010', '1.0', 'null', '2024-01-01', ':x', '', 'yes', 'a #b', 'off'];
    const ops: PatchOp[] = values.map((value, i) => ({ op: 'replace', path: `/${'abcdefghij'[i]}`, value }));
    expect(patch(text, ops)).toBe(
      lines('a: "true"', 'b: "010"', 'c: "1.0"', 'd: "null"', 'e: "2024-01-01"', 'f: ":x"', 'g: ""', 'h: "yes"', 'i: "a #b"', 'j: "off"'),
    );
  });

  it('writes numbers, booleans and null plain, even over a quoted string', () => {
    const text = lines('a: "1"', "b: 'x'", 'c: x', 'd: ~');
    expect(
      patch(text, [
        { op: 'replace', path: '/a', value: 7 },
        { op: 'replace', path: '/b', value: false },
        { op: 'replace', path: '/c', value: null },
        { op: 'replace', path: '/d', value: 'set' },
      ]),
    ).toBe(lines('a: 7', 'b: false', 'c: null', 'd: set'));
  });

  it('replaces block scalars with double-quoted strings and fills empty values', () => {
    const text = lines('k: | # keep', '  foo', '  bar', 'empty:', 'j: 1');
    expect(
      patch(text, [
        { op: 'replace', path: '/k', value: 'line1\nline2' },
        { op: 'replace', path: '/empty', value: 'v' },
      ]),
    ).toBe(lines('k: "line1\\nline2" # keep', 'empty: v', 'j: 1'));
  });

  it('keeps an anchor on a replaced scalar and edits next to aliases', () => {
    const text = lines('base: &b foo # c', 'other: &o 1', 'copy: *o', 'list:', '  - *o', '  - x');
    expect(
      patch(text, [
        { op: 'replace', path: '/base', value: 'bar' },
        { op: 'replace', path: '/list/1', value: 'z' },
      ]),
    ).toBe(lines('base: &b bar # c', 'other: &o 1', 'copy: *o', 'list:', '  - *o', '  - z'));
  });

  it('refuses to edit through an alias or an aliased anchor', () => {
    const text = lines('base: &b', '  q: 1', 'copy: *b', 'num: &n 1', 'm: *n');
    fails(text, [{ op: 'replace', path: '/copy/q', value: 2 }], /alias \(\*b\)/);
    fails(text, [{ op: 'replace', path: '/m', value: 2 }], /alias \(\*n\)/);
    fails(text, [{ op: 'replace', path: '/base/q', value: 2 }], /anchored as &b/);
    fails(text, [{ op: 'replace', path: '/num', value: 2 }], /anchored as &n/);
  });

  it('refuses merge-key values, missing paths and parse errors', () => {
    const text = lines('base: &b', '  q: 1', 'derived:', '  <<: *b', '  r: 2');
    fails(text, [{ op: 'replace', path: '/derived/q', value: 2 }], /merge key/);
    fails(text, [{ op: 'replace', path: '/nope', value: 2 }], /no such key/);
    fails(text, [{ op: 'add', path: '/derived/r', value: 2 }], /already exists/);
    fails('a: [1\n', [], /does not parse/);
    fails('a: 1\n', [{ op: 'add', path: '/b', value: 1 }], /no document 1/, 1);
  });

  it('keeps CRLF, a BOM and a missing final newline', () => {
    const text = '\ufeffa: 1\r\nb:\r\n  - x # c\r\nc: "q"';
    expect(
      patch(text, [
        { op: 'replace', path: '/c', value: 'r' },
        { op: 'add', path: '/b/-', value: 'z' },
        { op: 'add', path: '/d', value: { e: 1 } },
      ]),
    ).toBe('\ufeffa: 1\r\nb:\r\n  - x # c\r\n  - z\r\nc: "r"\r\nd:\r\n  e: 1');
  });
});

describe('applyPatches (YAML): collections', () => {
  it('adds keys after the last pair in the map, at its indentation', () => {
    const text = lines('top:', '    a: 1', '    b:', '        c: 2 # about c', '# next', 'z: 0');
    expect(patch(text, [{ op: 'add', path: '/top/n', value: { x: [1, 'two'] } }])).toBe(
      lines(
        'top:',
        '    a: 1',
        '    b:',
        '        c: 2 # about c',
        '    "n":',
        '        x:',
        '            - 1',
        '            - two',
        '# next',
        'z: 0',
      ),
    );
  });

  it('follows the file in not indenting sequences under their key', () => {
    const text = lines('spec:', '  tags:', '  - name: a', 'other: 1');
    expect(patch(text, [{ op: 'add', path: '/spec/more', value: { list: ['x', { k: 'v', w: [] }] } }])).toBe(
      lines('spec:', '  tags:', '  - name: a', '  more:', '    list:', '    - x', '    - k: v', '      w: []', 'other: 1'),
    );
  });

  it('inserts into block sequences before an item or after the last', () => {
    const text = lines('s:', '- a', '- b # bee', '- c');
    expect(
      patch(text, [
        { op: 'add', path: '/s/1', value: 'new' },
        { op: 'add', path: '/s/-', value: { k: 1 } },
        { op: 'add', path: '/s/0', value: [1, 2] },
      ]),
    ).toBe(lines('s:', '- - 1', '  - 2', '- a', '- new', '- b # bee', '- c', '- k: 1'));
  });

  it('removes pairs and items with their comments, whole lines only', () => {
    const text = lines('a: 1 # gone', 'b:', '  c: 2', '  d:', '    - x', '    - y # why', '    - z', '# stays', 'e: 3');
    expect(
      patch(text, [
        { op: 'remove', path: '/a' },
        { op: 'remove', path: '/b/d/1' },
        { op: 'remove', path: '/b/c' },
      ]),
    ).toBe(lines('b:', '  d:', '    - x', '    - z', '# stays', 'e: 3'));
  });

  it('removes compact entries and the last entry of a collection', () => {
    const text = lines('l:', '- a: 1', '  b: 2', '- - x', '  - y', 'm:', '  only: 1', 'last: 2');
    expect(
      patch(text, [
        { op: 'remove', path: '/l/0/a' },
        { op: 'remove', path: '/l/1/0' },
        { op: 'remove', path: '/m/only' },
        { op: 'remove', path: '/last' },
      ]),
    ).toBe(lines('l:', '- b: 2', '- - y', 'm: {}'));
    expect(patch('a: 1\nb: 2', [{ op: 'remove', path: '/b' }])).toBe('a: 1');
  });

  it('edits flow collections on their line, keeping entries as written', () => {
    const text = lines('f: ["a", b, 3] # c', 'g: { x: 1, y: two }', 'h: [1, 2]');
    expect(
      patch(text, [
        { op: 'add', path: '/f/1', value: 'new one' },
        { op: 'remove', path: '/g/x' },
        { op: 'add', path: '/g/z', value: { n: [true], m: 'on' } },
        { op: 'replace', path: '/h/0', value: 'x,y' },
        { op: 'replace', path: '/h/1', value: { k: 'v' } },
      ]),
    ).toBe(lines('f: ["a", new one, b, 3] # c', 'g: { y: two, z: {"n": [true], m: "on"} }', 'h: ["x,y", {k: v}]'));
  });

  it('turns an empty flow collection in block context into a block collection', () => {
    const text = lines('items: [] # none yet', 'meta: {}', 'x: 1');
    expect(
      patch(text, [
        { op: 'add', path: '/items/-', value: { a: 1 } },
        { op: 'add', path: '/meta/k', value: 'v' },
      ]),
    ).toBe(lines('items: # none yet', '  - a: 1', 'meta:', '  k: v', 'x: 1'));
  });

  it('replaces collections with scalars and scalars with collections', () => {
    const text = lines('a:', '  b: 1', '  c: 2', 'd: x # keep', 'l:', '- q');
    expect(
      patch(text, [
        { op: 'replace', path: '/a', value: 'flat' },
        { op: 'replace', path: '/d', value: { e: 'f' } },
        { op: 'replace', path: '/l/0', value: { m: 1, o: 2 } },
      ]),
    ).toBe(lines('a: flat', 'd: # keep', '  e: f', 'l:', '- m: 1', '  o: 2'));
  });
});

describe('applyPatches (YAML): multiple documents', () => {
  const stream = lines('# zero', 'a: 0', '---', '# one', 'kind: One # k', 'spec:', '  x: 1', '...', '---', "c: 'two'");

  it('edits one document and leaves the others byte for byte', () => {
    const out = patch(
      stream,
      [
        { op: 'replace', path: '/spec/x', value: 2 },
        { op: 'add', path: '/status', value: { ok: true } },
      ],
      1,
    );
    expect(out).toBe(
      lines('# zero', 'a: 0', '---', '# one', 'kind: One # k', 'spec:', '  x: 2', 'status:', '  ok: true', '...', '---', "c: 'two'"),
    );
  });

  it('edits several documents at once and refuses a document that is not there', () => {
    const patches: DocumentPatch[] = [
      { document: 2, ops: [{ op: 'replace', path: '/c', value: 'three' }] },
      { document: 0, ops: [{ op: 'add', path: '/b', value: null }] },
    ];
    expect(applyPatches(stream, 'yaml', patches)).toEqual({
      ok: true,
      text: lines('# zero', 'a: 0', 'b: null', '---', '# one', 'kind: One # k', 'spec:', '  x: 1', '...', '---', "c: 'three'"),
    });
    expect(applyPatches(stream, 'yaml', [{ document: 3, ops: [] }])).toMatchObject({ ok: false });
  });

  it('adds a key to a document without a final newline, before the next separator', () => {
    expect(patch('a: 1\n---\nb: 2', [{ op: 'add', path: '/c', value: 'x' }], 1)).toBe('a: 1\n---\nb: 2\nc: x');
    expect(patch('a: 1\n---\nb: 2\n', [{ op: 'add', path: '/c', value: 'x' }], 0)).toBe('a: 1\nc: x\n---\nb: 2\n');
  });
});

describe('applyPatches (YAML): ImageStream edits', () => {
  const stream = lines(
    '# Managed by imagestreams',
    'apiVersion: image.openshift.io/v1',
    'kind: ImageStream',
    'metadata:',
    '  name: ruby',
    '  annotations:',
    '    openshift.io/display-name: Ruby # shown in the console',
    'spec:',
    '  tags:',
    '  - name: "2.7"',
    '    from:',
    '      kind: DockerImage',
    "      name: 'quay.io/ruby:2.7' # pinned",
    '',
    '  - name: latest',
    'status:',
    '  dockerImageRepository: ""',
    '  tags:',
    '    - tag: "2.7"',
    '      items:',
    '        - created: "2024-01-01T00:00:00Z"',
    '          dockerImageReference: quay.io/ruby@sha256:aaa',
    '          image: sha256:aaa',
    '          generation: 1',
    '      conditions:',
    '        - type: ImportSuccess',
    '          status: "False"',
    '    - tag: latest',
    '      items: []',
  );
  const item = { created: '2024-02-01T00:00:00Z', dockerImageReference: 'quay.io/ruby@sha256:bbb', image: 'sha256:bbb', generation: 2 };

  it('replaces a generation deep in status', () => {
    expect(patch(stream, [{ op: 'replace', path: '/status/tags/0/items/0/generation', value: 2 }])).toBe(
      stream.replace('generation: 1', 'generation: 2'),
    );
  });

  it('prepends an item to a block sequence of maps', () => {
    const expected = stream.replace(
      '      items:\n        - created: "2024-01-01',
      '      items:\n        - created: "2024-02-01T00:00:00Z"\n          dockerImageReference: quay.io/ruby@sha256:bbb\n          image: sha256:bbb\n          generation: 2\n        - created: "2024-01-01',
    );
    expect(patch(stream, [{ op: 'add', path: '/status/tags/0/items/0', value: item }])).toBe(expected);
  });

  it('adds a status tag in the middle of the sorted list', () => {
    const expected = stream.replace(
      '    - tag: latest\n',
      '    - tag: "3.0"\n      items:\n        - created: "2024-02-01T00:00:00Z"\n          dockerImageReference: quay.io/ruby@sha256:bbb\n          image: sha256:bbb\n          generation: 2\n    - tag: latest\n',
    );
    expect(patch(stream, [{ op: 'add', path: '/status/tags/1', value: { tag: '3.0', items: [item] } }])).toBe(expected);
  });

  it('adds a whole status block to a stream that has none, between comments', () => {
    const text = lines(
      '---',
      '# first stream',
      'kind: ImageStream',
      'spec:',
      '  tags:',
      '  - name: a # tag a',
      '# trailing comment',
      '---',
      'kind: Other',
    );
    const out = patch(text, [
      { op: 'add', path: '/status', value: { dockerImageRepository: '', tags: [{ tag: 'a', items: [{ ...item, generation: 1 }] }] } },
    ]);
    expect(out).toBe(
      lines(
        '---',
        '# first stream',
        'kind: ImageStream',
        'spec:',
        '  tags:',
        '  - name: a # tag a',
        'status:',
        '  dockerImageRepository: ""',
        '  tags:',
        '  - tag: a',
        '    items:',
        '    - created: "2024-02-01T00:00:00Z"',
        '      dockerImageReference: quay.io/ruby@sha256:bbb',
        '      image: sha256:bbb',
        '      generation: 1',
        '# trailing comment',
        '---',
        'kind: Other',
      ),
    );
  });

  it('adds annotations where the map exists and where it does not', () => {
    const added = patch(stream, [{ op: 'add', path: '/metadata/annotations/imagestreams.io~1source', value: 'git' }]);
    expect(added).toBe(stream.replace('# shown in the console\n', '# shown in the console\n    imagestreams.io/source: git\n'));
    const bare = lines('kind: ImageStream', 'metadata:', '  name: ruby # n', 'spec: {}');
    expect(patch(bare, [{ op: 'add', path: '/metadata/annotations', value: { 'a.io/b': 'true' } }])).toBe(
      lines('kind: ImageStream', 'metadata:', '  name: ruby # n', '  annotations:', '    a.io/b: "true"', 'spec: {}'),
    );
  });

  it('removes conditions from a status tag', () => {
    expect(patch(stream, [{ op: 'remove', path: '/status/tags/0/conditions' }])).toBe(
      stream.replace('      conditions:\n        - type: ImportSuccess\n          status: "False"\n', ''),
    );
  });

  it('replaces a container image that carries a trailing comment', () => {
    const deploy = lines(
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: app',
      '          image: quay.io/app:1.0 # pinned by bot',
      '          ports: [8080]',
    );
    expect(patch(deploy, [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'quay.io/app@sha256:ccc' }])).toBe(
      deploy.replace('quay.io/app:1.0 #', 'quay.io/app@sha256:ccc #'),
    );
  });

  it('applies a hundred ops quickly', () => {
    const ops: PatchOp[] = [];
    for (let i = 0; i < 100; i++) ops.push({ op: 'add', path: '/status/tags/1/items/-', value: { ...item, generation: i } });
    const started = performance.now();
    const out = patch(stream, ops);
    expect(performance.now() - started).toBeLessThan(1500); // ~300–600 ms here; headroom for slow CI machines
    expect(out.split('\n').length).toBe(stream.split('\n').length + 400);
  });
});

// Property test: random YAML documents, random scalar replacements; nothing outside the edited scalar moves.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['alpha', 'beta', 'gamma', 'name', 'image', 'tag', 'created', 'items', '"quoted key"', 'with-dash', 'k8s.io/x'];
const SCALARS = [
  'foo',
  'bar baz',
  '"double"',
  "'single'",
  '"it\\"s"',
  "'it''s'",
  '42',
  '-1.5',
  'true',
  'null',
  '~',
  'quay.io/x@sha256:abc',
  '"2024-01-01"',
  "''",
];
const NEW_VALUES: unknown[] = [
  'plain',
  'two words',
  'true',
  '010',
  '1.0',
  'null',
  '',
  ':x',
  'a #b',
  "it's",
  'say "hi"',
  'line\nbreak',
  'ünï',
  7,
  0,
  -3.25,
  true,
  false,
  null,
  '2024-01-01',
  'x: y',
  '- x',
];

function generate(rand: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;
  const seqIndent = rand() < 0.5 ? 0 : 2;
  const comment = (): string => (rand() < 0.25 ? ` # c${Math.floor(rand() * 100)}` : '');
  const out: string[] = [];
  const block = (col: number, depth: number, kind: 'map' | 'seq'): void => {
    const n = 1 + Math.floor(rand() * 3);
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (rand() < 0.15) out.push(`${' '.repeat(col)}# own line ${i}`);
      let head: string;
      if (kind === 'map') {
        const key = pick(KEYS);
        if (used.has(key)) continue;
        used.add(key);
        head = `${' '.repeat(col)}${key}:`;
      } else head = `${' '.repeat(col)}-`;
      const r = rand();
      if (depth < 3 && r < 0.3) {
        out.push(head + comment());
        block(kind === 'map' ? col + 2 : col + 2, depth + 1, 'map');
      } else if (depth < 3 && r < 0.45) {
        out.push(head + comment());
        block(kind === 'map' ? col + seqIndent : col + 2, depth + 1, 'seq');
      } else if (r < 0.55) {
        out.push(`${head} [${pick(SCALARS)}, ${pick(SCALARS)}]${comment()}`);
      } else {
        out.push(`${head} ${pick(SCALARS)}${comment()}`);
      }
      if (rand() < 0.1) out.push('');
    }
  };
  block(0, 0, 'map');
  return `${out.join('\n')}\n`;
}

function compose(text: string): Document.Parsed {
  const composer = new Composer(yamlOptions);
  const docs = [...new Parser().parse(text)].flatMap((t) => [...composer.next(t)]).concat([...composer.end()]);
  return docs[0] as Document.Parsed;
}

/** Every scalar value (not key) of the document with its pointer. */
function scalars(node: ParsedNode | null, pointer: string, acc: Array<{ pointer: string; node: ParsedNode }>): typeof acc {
  if (isMap(node))
    for (const p of node.items)
      scalars(p.value as ParsedNode | null, `${pointer}/${pointerSegment(String((p.key as { value: unknown }).value))}`, acc);
  else if (isSeq(node))
    node.items.forEach((item, i) => {
      scalars(item as ParsedNode | null, `${pointer}/${i}`, acc);
    });
  else if (isScalar(node) && node) acc.push({ pointer, node });
  return acc;
}

function valueAt(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], value);
}

describe('applyPatches (YAML): property', () => {
  it('rewrites only the replaced scalar in 200 random documents', () => {
    const rand = prng(20240601);
    let edits = 0;
    for (let iter = 0; iter < 200; iter++) {
      const crlf = iter % 5 === 0;
      const lf = generate(rand);
      const text = crlf ? lf.replace(/\n/g, '\r\n') : lf;
      const doc = compose(text);
      expect(doc.errors, text).toEqual([]);
      const candidates = scalars(doc.contents, '', []);
      if (candidates.length === 0) continue;
      const target = candidates[Math.floor(rand() * candidates.length)] as (typeof candidates)[number];
      const value = NEW_VALUES[Math.floor(rand() * NEW_VALUES.length)];
      const r = applyPatches(text, 'yaml', [{ document: 0, ops: [{ op: 'replace', path: target.pointer, value }] }]);
      expect(r.ok, `${text}\n${target.pointer} ← ${JSON.stringify(value)}: ${r.ok ? '' : r.error}`).toBe(true);
      if (!r.ok) continue;
      const [start, end] = target.node.range;
      const prefix = text.slice(0, start);
      const suffix = text.slice(end);
      expect(r.text.startsWith(prefix)).toBe(true);
      expect(r.text.endsWith(suffix)).toBe(true);
      expect(r.text.length).toBeGreaterThanOrEqual(prefix.length + suffix.length);
      const middle = r.text.slice(start, r.text.length - suffix.length);
      expect(middle).not.toMatch(/[\r\n]/);
      const after = compose(r.text);
      expect(after.errors).toEqual([]);
      expect(deepEqual(valueAt(after.toJS(), target.pointer), value)).toBe(true);
      if (
        typeof value === 'string' &&
        isScalar(target.node) &&
        (target.node.type === 'QUOTE_DOUBLE' || target.node.type === 'QUOTE_SINGLE')
      ) {
        expect(middle[0]).toBe(target.node.type === 'QUOTE_SINGLE' && !/\n/.test(value) ? "'" : '"');
      }
      edits++;
    }
    expect(edits).toBeGreaterThan(150);
  });
});

describe('applyPatches (YAML): refusals', () => {
  it('refuses to re-render a flow collection that holds comments', () => {
    fails('a: [\n  1, # one\n  2\n]\nb: 1\n', [{ op: 'add', path: '/a/-', value: 3 }], /holds comments/);
    expect(patch('a: ["#x", 1]\n', [{ op: 'add', path: '/a/-', value: 3 }])).toBe('a: ["#x", 1, 3]\n');
  });
  it('refuses values YAML cannot hold and ops on an empty stream', () => {
    fails('a: x\n', [{ op: 'replace', path: '/a', value: undefined }], /undefined/);
    fails('# only a comment\n', [{ op: 'add', path: '/b', value: 1 }], /no document 0/);
  });
});
