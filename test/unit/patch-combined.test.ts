/**
 * Many ops on one file are computed on one parse (src/render/patch.ts planAgainstOriginal, splice-yaml.ts
 * spliceYamlEdits). Whatever the ops, the text must be exactly what applying them one at a time gives; failures
 * carry a code; a result over the size limit is refused.
 */
import { parse } from 'yaml';
import { streamText } from '../helpers/stream-texts.js';
import { describe, expect, it } from 'vitest';
import { diffValues } from '../../src/reconcile/json-diff.js';
import { applyPatches, planAgainstOriginal } from '../../src/render/patch.js';
import { parseYamlStream } from '../../src/render/patch-yaml.js';
import { spliceYamlEdits } from '../../src/render/splice-yaml.js';
import type { PatchOp } from '../../src/render/patch.js';
import { isPlainSafe } from '../../src/render/yaml-style.js';

/** The reference: each op applied to the text the previous one left, one parse each. */
function oneAtATime(text: string, ops: readonly PatchOp[]): { ok: true; text: string } | { ok: false } {
  let out = text;
  for (const op of ops) {
    const r = applyPatches(out, 'yaml', [{ document: 0, ops: [op] }]);
    if (!r.ok) return { ok: false };
    out = r.text;
  }
  return { ok: true, text: out };
}

/** The combined path alone (applyPatches would hide a wrong combined result behind its op-by-op fallback). */
function combinedOnly(text: string, ops: readonly PatchOp[]): string | undefined {
  const { docs } = parseYamlStream(text);
  const plan = planAgainstOriginal(ops, docs[0]?.toJS());
  return plan && docs[0] ? spliceYamlEdits(text, [{ doc: docs[0], ops: plan }], '\n')?.text : undefined;
}

function together(text: string, ops: readonly PatchOp[], maxBytes?: number) {
  return applyPatches(text, 'yaml', [{ document: 0, ops }], maxBytes === undefined ? {} : { maxBytes });
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Value = Record<string, unknown>;
const event = (r: () => number, n: number) => ({
  created: `2024-0${1 + Math.floor(r() * 9)}-01T00:00:00Z`,
  dockerImageReference: `quay.io/x/app@sha256:${n.toString(16)}`,
  image: `sha256:${n.toString(16)}`,
  generation: 3,
});

/** What a pass or a verb does to a stream: new history items, capped histories, new and removed tags, annotations. */
function mutate(value: Value, r: () => number): Value {
  const next = structuredClone(value) as {
    metadata: { annotations: Record<string, string> };
    spec: { tags: Value[] };
    status: { tags: Array<{ tag: string; items: unknown[]; conditions?: unknown[] }> };
  };
  const changes = 1 + Math.floor(r() * 6);
  for (let c = 0; c < changes; c++) {
    const what = Math.floor(r() * 9);
    const tags = next.status.tags;
    const t = tags[Math.floor(r() * tags.length)];
    if (what === 0 && t) t.items.unshift(event(r, Math.floor(r() * 1e6)));
    else if (what === 1 && t && t.items.length > 1) t.items.splice(1, 1, event(r, 7));
    else if (what === 2 && t && t.items.length > 1) t.items = [event(r, Math.floor(r() * 1e6)), ...t.items.slice(0, t.items.length - 1)];
    else if (what === 3) {
      const name = `t${Math.floor(r() * 50)}`;
      if (!tags.some((x) => x.tag === name)) {
        const at = tags.findIndex((x) => x.tag > name);
        tags.splice(at === -1 ? tags.length : at, 0, { tag: name, items: [event(r, Math.floor(r() * 1e6))] });
      }
    } else if (what === 4 && tags.length > 1) tags.splice(Math.floor(r() * tags.length), 1);
    else if (what === 5) next.metadata.annotations[`k${Math.floor(r() * 5)}`] = `v${Math.floor(r() * 5)}`;
    else if (what === 6 && Object.keys(next.metadata.annotations).length > 1)
      delete next.metadata.annotations[Object.keys(next.metadata.annotations)[0] as string];
    else if (what === 7) next.spec.tags.push({ name: `n${Math.floor(r() * 1e4)}`, from: { kind: 'DockerImage', name: 'quay.io/x/app:n' } });
    else if (what === 8 && t)
      t.conditions = [{ type: 'ImportSuccess', status: 'False', reason: 'NotFound', message: 'gone', generation: 3 }];
  }
  return next as unknown as Value;
}

describe('many ops, one parse', () => {
  for (const seqIndent of ['', '  ']) {
    it(`planner-shaped edits give exactly the text of one op at a time (${seqIndent === '' ? 'sequences at the key' : 'indented sequences'})`, () => {
      const text = streamText(seqIndent);
      const r = prng(seqIndent.length + 1);
      let combined = 0;
      for (let round = 0; round < 150; round++) {
        const before = parse(text, { version: '1.1' }) as Value;
        const ops = diffValues(before, mutate(before, r)) as PatchOp[];
        const reference = oneAtATime(text, ops);
        const got = together(text, ops);
        expect(got.ok, JSON.stringify(ops)).toBe(reference.ok);
        if (got.ok && reference.ok) expect(got.text, JSON.stringify(ops)).toBe(reference.text);
        const direct = combinedOnly(text, ops);
        if (direct !== undefined && reference.ok) {
          if (ops.length > 1) combined++;
          expect(direct, JSON.stringify(ops)).toBe(reference.text);
        }
      }
      expect(combined).toBeGreaterThan(60);
    });
  }

  it('ops in any order and shape (the ones that cannot be combined fall back) give the same text', () => {
    const text = streamText('  ');
    const r = prng(99);
    const paths = ['/status/tags/0/items', '/status/tags/1/items', '/status/tags', '/metadata/annotations', '/spec/tags'];
    for (let round = 0; round < 200; round++) {
      const ops: PatchOp[] = [];
      const n = 2 + Math.floor(r() * 5);
      for (let i = 0; i < n; i++) {
        const base = paths[Math.floor(r() * paths.length)] as string;
        const kind = r();
        if (base === '/metadata/annotations') {
          const key = `/k${Math.floor(r() * 3)}`;
          ops.push(kind < 0.5 ? { op: 'add', path: `${base}${key}`, value: 'x' } : { op: 'replace', path: `${base}/a`, value: `${i}` });
        } else if (kind < 0.5) ops.push({ op: 'add', path: `${base}/${Math.floor(r() * 3)}`, value: { tag: `z${i}`, n: i } });
        else if (kind < 0.8) ops.push({ op: 'remove', path: `${base}/${Math.floor(r() * 2)}` });
        else ops.push({ op: 'replace', path: `${base}/0`, value: { tag: `r${i}` } });
      }
      const reference = oneAtATime(text, ops);
      const got = together(text, ops);
      expect(got.ok, JSON.stringify(ops)).toBe(reference.ok);
      if (got.ok && reference.ok) expect(got.text, JSON.stringify(ops)).toBe(reference.text);
      const direct = combinedOnly(text, ops);
      if (direct !== undefined && reference.ok) expect(direct, JSON.stringify(ops)).toBe(reference.text);
    }
  });

  it('thousands of new history items and tags land in one pass, each where the planner put it', () => {
    const text = streamText('');
    const before = parse(text, { version: '1.1' }) as Value;
    const next = structuredClone(before) as { status: { tags: Array<{ tag: string; items: unknown[] }> } };
    for (let i = 0; i < 3000; i++) next.status.tags.push({ tag: `x${String(i).padStart(5, '0')}`, items: [event(() => 0.5, i)] });
    for (const t of next.status.tags.slice(0, 2)) t.items.unshift(event(() => 0.1, 1));
    const ops = diffValues(before, next) as PatchOp[];
    expect(ops.length).toBe(3002);
    expect(planAgainstOriginal(ops, before)).toBeDefined();
    expect(combinedOnly(text, ops)).toBeDefined();
    const got = together(text, ops);
    expect(got.ok).toBe(true);
    if (got.ok) {
      expect(parse(got.text, { version: '1.1' })).toEqual(next);
      // Everything before the status block is byte for byte what it was.
      expect(got.text.startsWith(text.slice(0, text.indexOf('status:')))).toBe(true);
    }
  });
});

describe('planAgainstOriginal', () => {
  const original = { a: [10, 11, 12, 13], m: { x: 1, y: 2 }, n: [{ v: [1] }, { v: [2] }] };
  it('restates insertions at rising indexes, after removals from the top down, against the original entries', () => {
    expect(
      planAgainstOriginal(
        [
          { op: 'add', path: '/a/1', value: 0 },
          { op: 'add', path: '/a/3', value: 0 },
          { op: 'add', path: '/a/-', value: 0 },
        ],
        original,
      )?.map((p) => p.op.path),
    ).toEqual(['/a/1', '/a/2', '/a/4']);
    expect(
      planAgainstOriginal(
        [
          { op: 'remove', path: '/a/3' },
          { op: 'remove', path: '/a/2' },
          { op: 'add', path: '/a/0', value: 0 },
          { op: 'add', path: '/a/1', value: 0 },
        ],
        original,
      )?.map((p) => p.op.path),
    ).toEqual(['/a/3', '/a/2', '/a/0', '/a/0']);
    // Edits inside entries before their array moves, and in other collections, stay as they are.
    expect(
      planAgainstOriginal(
        [
          { op: 'add', path: '/n/1/v/0', value: 0 },
          { op: 'add', path: '/n/2', value: {} },
          { op: 'replace', path: '/m/x', value: 3 },
        ],
        original,
      ),
    ).toBeDefined();
  });
  it('declines what one parse cannot place', () => {
    const declined: PatchOp[][] = [
      [
        { op: 'add', path: '/a/2', value: 0 },
        { op: 'add', path: '/a/1', value: 0 },
      ], // falling indexes
      [
        { op: 'add', path: '/a/0', value: 0 },
        { op: 'remove', path: '/a/1' },
      ], // a removal after an insertion
      [
        { op: 'remove', path: '/a/1' },
        { op: 'remove', path: '/a/2' },
      ], // removals from the bottom up
      [
        { op: 'add', path: '/n/0', value: {} },
        { op: 'add', path: '/n/1/v/0', value: 0 },
      ], // through an array that moved
      [
        { op: 'add', path: '/m/z', value: {} },
        { op: 'add', path: '/m/z/q', value: 1 },
      ], // inside a value another op writes
      [
        { op: 'replace', path: '/m/x', value: 1 },
        { op: 'replace', path: '/m/x', value: 2 },
      ], // the same path twice
      [
        { op: 'remove', path: '/m/x' },
        { op: 'remove', path: '/m/y' },
      ], // emptying a mapping
      [
        { op: 'remove', path: '/a/3' },
        { op: 'add', path: '/a/-', value: 1 },
      ], // appending after a removed tail
      [
        { op: 'replace', path: '', value: {} },
        { op: 'add', path: '/b', value: 1 },
      ], // the root
    ];
    for (const ops of declined) expect(planAgainstOriginal(ops, original), JSON.stringify(ops)).toBeUndefined();
  });
});

describe('failures carry a code', () => {
  it('parse, path-not-found, invalid-op, unsupported', () => {
    expect(applyPatches('a: [\n', 'yaml', [{ document: 0, ops: [{ op: 'add', path: '/b', value: 1 }] }])).toMatchObject({
      ok: false,
      code: 'parse',
    });
    expect(applyPatches('a: 1\n', 'yaml', [{ document: 0, ops: [{ op: 'replace', path: '/b/c', value: 1 }] }])).toMatchObject({
      ok: false,
      code: 'path-not-found',
    });
    expect(applyPatches('a: 1\n', 'yaml', [{ document: 3, ops: [] }])).toMatchObject({ ok: false, code: 'path-not-found' });
    expect(applyPatches('a: 1\n', 'yaml', [{ document: 0, ops: [{ op: 'add', path: '/a', value: 2 }] }])).toMatchObject({
      ok: false,
      code: 'invalid-op',
      error: expect.stringContaining('already exists'),
    });
    expect(
      applyPatches('a: &x {b: 1}\nc: *x\n', 'yaml', [{ document: 0, ops: [{ op: 'replace', path: '/a/b', value: 2 }] }]),
    ).toMatchObject({ ok: false, code: 'unsupported' });
    expect(applyPatches('{"a": 1', 'json', [])).toMatchObject({ ok: false, code: 'parse' });
    expect(applyPatches('{"a": 1}', 'json', [{ document: 0, ops: [{ op: 'replace', path: '/b', value: 1 }] }])).toMatchObject({
      ok: false,
      code: 'path-not-found',
    });
  });

  it('too-large: a result over maxBytes is refused, whether only adding (no parse needed) or not', () => {
    const text = 'a: 1\nb: [x]\n';
    const big = 'y'.repeat(100);
    expect(together(text, [{ op: 'add', path: '/c', value: big }], 50)).toMatchObject({
      ok: false,
      code: 'too-large',
      error: expect.stringMatching(/more than \d+ bytes, more than the limit of 50 bytes/),
    });
    expect(together(text, [{ op: 'replace', path: '/a', value: big }], 50)).toMatchObject({
      ok: false,
      code: 'too-large',
      error: 'the edited file would be 111 bytes, more than the limit of 50 bytes',
    });
    // Multi-byte text is counted in UTF-8 bytes.
    expect(together(text, [{ op: 'replace', path: '/a', value: 'é'.repeat(30) }], 60)).toMatchObject({ ok: false, code: 'too-large' });
    expect(together(text, [{ op: 'replace', path: '/a', value: 'e'.repeat(30) }], 60)).toMatchObject({ ok: true });
    expect(
      applyPatches('{"a": 1}', 'json', [{ document: 0, ops: [{ op: 'replace', path: '/a', value: big }] }], { maxBytes: 50 }),
    ).toMatchObject({ ok: false, code: 'too-large' });
    // At the limit is fine.
    const exact = together(text, [{ op: 'replace', path: '/a', value: 2 }]);
    expect(exact.ok && together(text, [{ op: 'replace', path: '/a', value: 2 }], Buffer.byteLength(exact.text))).toMatchObject({
      ok: true,
    });
  });
});

describe('plain scalars without a probe', () => {
  it('every string the fast path writes plain reads back as itself under YAML 1.1', () => {
    const r = prng(7);
    const alphabet = 'abyYnNoOtTfF01239._/@+-:#, "\'';
    const samples = [
      'sha256:abc',
      'quay.io/x/app@sha256:00ff',
      'v1.2.3',
      'y',
      'Yes',
      'no',
      'ON',
      'null',
      'Null',
      'True',
      'n',
      'off',
      'a:',
      'a:b',
      'a::b',
      'x-',
      'latest',
    ];
    for (let i = 0; i < 3000; i++)
      samples.push(Array.from({ length: 1 + Math.floor(r() * 8) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''));
    for (const s of samples) {
      if (!isPlainSafe(s, 'block')) continue;
      expect(parse(`k: ${s}\n`, { version: '1.1' }), s).toEqual({ k: s });
      expect(parse(`- ${s}\n`, { version: '1.1' }), s).toEqual([s]);
    }
    for (const word of ['y', 'Y', 'yes', 'No', 'on', 'OFF', 'true', 'False', 'null', 'NULL'])
      expect(isPlainSafe(word, 'block'), word).toBe(false);
  });
});
