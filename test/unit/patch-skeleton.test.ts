/**
 * The renderer computes edits on a skeleton of the file (src/render/skeleton.ts: every value off the edited paths
 * blanked out) using what the loader read. Whatever the file and the ops, the edits must be exactly what the full
 * parse gives: checked here on the skeleton path alone (applyPatches would hide a wrong result behind its
 * verification and fallback), and through applyPatches.
 */
import { streamText } from '../helpers/stream-texts.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffValues } from '../../src/reconcile/json-diff.js';
import { parseText } from '../../src/render/load.js';
import { applyPatches, planAgainstOriginal } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';
import { parseYamlStream, spliceYamlEdits } from '../../src/render/patch-yaml.js';
import { buildSkeleton, skeletonMatches } from '../../src/render/skeleton.js';
import type { SourceDocument } from '../../src/render/source.js';

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

function loaded(text: string): readonly SourceDocument[] {
  const r = parseText('f.yaml', text);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.file.documents;
}

/** The same edits computed on the full parse (before verification, which applyPatches adds to both). */
function fullParse(text: string, document: number, ops: readonly PatchOp[]): string | undefined {
  const doc = parseYamlStream(text).docs[document];
  const plan = doc ? planAgainstOriginal(ops, doc.toJS()) : undefined;
  return doc && plan ? spliceYamlEdits(text, [{ doc, ops: plan }], text.includes('\r\n') ? '\r\n' : '\n') : undefined;
}

/** The skeleton path alone, as patch.ts takes it: declined when the caller would parse the whole text instead. */
function skeletonOnly(text: string, document: number, ops: readonly PatchOp[]): { declined: true } | { text: string | undefined } {
  const docs = new Map(loaded(text).map((d) => [d.index, d]));
  const plan = planAgainstOriginal(ops, docs.get(document)?.value);
  if (!plan) return { declined: true };
  const skeleton = buildSkeleton(text, new Map([[document, plan.map((p) => p.op)]]), docs);
  if (!skeleton) return { declined: true };
  let parsed: ReturnType<typeof parseYamlStream>;
  try {
    parsed = parseYamlStream(skeleton.text);
  } catch {
    return { declined: true };
  }
  const doc = parsed.docs[document];
  const kept = skeleton.kept.get(document);
  if (!doc || !kept || !skeletonMatches(doc, kept)) return { declined: true };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { text: spliceYamlEdits(text, [{ doc, ops: plan, style: docs.get(document)?.style }], eol) };
}

function check(text: string, document: number, ops: readonly PatchOp[]): 'skeleton' | 'declined' {
  const reference = fullParse(text, document, ops);
  const full = applyPatches(text, 'yaml', [{ document, ops }]);
  const reused = applyPatches(text, 'yaml', [{ document, ops }], { loaded: loaded(text) });
  expect(reused, JSON.stringify(ops)).toEqual(full);
  const direct = skeletonOnly(text, document, ops);
  if ('declined' in direct) return 'declined';
  expect(direct.text, JSON.stringify(ops)).toBe(reference);
  return 'skeleton';
}

const stream = streamText;

/** Files as people write them: flow collections, block scalars, comments everywhere, anchors, empty values. */
const odd = [
  '%YAML 1.1\n---\n# lead\na: 1\n---\nkind: X # k\nm:\n  # inside\n  x: |\n    text\n\n  y: >-\n    folded\n  z:\n  w: [1, {p: q}, "r"]\nl:\n- - 1\n  - 2\n-   k: v\n    j:\n      - deep\n- {f: g}\nq: "quoted # not a comment"\nlast:\n  one: 1\n  two:\n    three: 3 # end\n...\n',
  'base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  z: 3\nlist:\n- a\n- b\nplain: value\n',
  'top:\r\n  a: 1\r\n  b:\r\n    - x\r\n    - y\r\n  c: {}\r\nnext: []\r\n',
  '\ufeffk: v\ntags: !!set\n  ? a\nseq:\n  - &s one\n  - two\nmap:\n  "quoted key": 1\n  \'single\': 2\n  ~: null\nend: 0\n',
];

function pointers(value: unknown, at = ''): string[] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => void out.push(...pointers(v, `${at}/${i}`)));
  else if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Set) && !(value instanceof Map))
    for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

function randomOps(value: unknown, r: () => number): PatchOp[] {
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

describe('edits on the loader’s skeleton', () => {
  for (const ind of ['', '  ']) {
    it(`give exactly the full parse's text for planner-shaped edits (${ind === '' ? 'sequences at the key' : 'indented sequences'})`, () => {
      const text = stream(ind);
      const r = prng(7 + ind.length);
      let used = 0;
      for (let round = 0; round < 150; round++) {
        const before = parse(text, { version: '1.1' }) as Record<string, unknown>;
        const next = structuredClone(before) as {
          metadata: { annotations: Record<string, string> };
          status: { tags: Array<{ tag: string; items: unknown[] }> };
          spec: { tags: unknown[] };
        };
        for (const t of next.status.tags) if (r() < 0.6) t.items.unshift({ created: '2025-01-01T00:00:00Z', image: `sha256:${round}` });
        if (r() < 0.3) next.status.tags[0]?.items.pop();
        if (r() < 0.3) next.status.tags.push({ tag: `t${round}`, items: [{ image: 'sha256:x' }] });
        if (r() < 0.3) next.metadata.annotations[`k${round % 3}`] = `v${round}`;
        if (r() < 0.2) delete next.metadata.annotations.a;
        if (r() < 0.2) next.spec.tags.push({ name: `n${round}` });
        const ops = diffValues(before, next) as PatchOp[];
        if (check(text, 0, ops) === 'skeleton') used++;
      }
      expect(used).toBeGreaterThan(100);
    });
  }

  it('give exactly the full parse’s text for any op on unusual files, or decline', () => {
    const r = prng(42);
    let used = 0;
    for (const text of odd) {
      const docs = loaded(text);
      for (let round = 0; round < 150; round++) {
        const doc = docs[Math.floor(r() * docs.length)] as SourceDocument;
        if (check(text, doc.index, randomOps(doc.value, r)) === 'skeleton') used++;
      }
    }
    expect(used).toBeGreaterThan(150);
  });
});
