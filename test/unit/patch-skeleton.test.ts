/**
 * The renderer computes edits on a skeleton of the file (src/render/skeleton.ts: every value off the edited paths
 * blanked out) using what the loader read. Whatever the file and the ops, the edits must be exactly what the full
 * parse gives: checked here on the skeleton path alone (applyPatches would hide a wrong result behind its
 * verification and fallback), and through applyPatches.
 */
import { mulberry32 as prng } from '../fault/prng.js';
import { odd, randomOps } from '../helpers/patch-cases.js';
import { streamText } from '../helpers/stream-texts.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffValues } from '../../src/reconcile/json-diff.js';
import { parseText } from '../../src/render/load.js';
import { applyPatches, planAgainstOriginal } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';
import { parseYamlStream } from '../../src/render/patch-yaml.js';
import { spliceYamlEdits } from '../../src/render/splice-yaml.js';
import { buildSkeleton, skeletonMatches } from '../../src/render/skeleton.js';
import type { SourceDocument } from '../../src/render/source.js';

function loaded(text: string): readonly SourceDocument[] {
  const r = parseText('f.yaml', text);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.file.documents;
}

/** The same edits computed on the full parse (before verification, which applyPatches adds to both). */
function fullParse(text: string, document: number, ops: readonly PatchOp[]): string | undefined {
  const doc = parseYamlStream(text).docs[document];
  const plan = doc ? planAgainstOriginal(ops, doc.toJS()) : undefined;
  return doc && plan ? spliceYamlEdits(text, [{ doc, ops: plan }], text.includes('\r\n') ? '\r\n' : '\n')?.text : undefined;
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
  return { text: spliceYamlEdits(text, [{ doc, ops: plan, style: docs.get(document)?.style }], eol)?.text };
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
