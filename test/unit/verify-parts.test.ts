/**
 * The renderer proves most results right without parsing all of them (src/render/verify-yaml.ts verifiedInParts:
 * new block entries read by the strict reader, unchanged skeleton holes taken from the loader, the rest parsed).
 * It may decline, but it must never accept a text that does not hold the expected value: checked here against the
 * whole-text verification on correct results, on results corrupted byte by byte and line by line, and against
 * expected values that are wrong.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffValues } from '../../src/reconcile/json-diff.js';
import { parseText } from '../../src/render/load.js';
import { applyOpToValue, applyPatches, planAgainstOriginal } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';
import { parseYamlStream } from '../../src/render/patch-yaml.js';
import { buildSkeleton, skeletonMatches } from '../../src/render/skeleton.js';
import type { Hole } from '../../src/render/skeleton.js';
import { spliceYamlEdits } from '../../src/render/splice-yaml.js';
import type { SplicedText } from '../../src/render/splice-yaml.js';
import { verifiedInParts, verifyYaml } from '../../src/render/verify-yaml.js';
import type { StreamShape } from '../../src/render/verify-yaml.js';
import { mulberry32 as prng } from '../fault/prng.js';
import { odd, pointers, randomOps } from '../helpers/patch-cases.js';
import { streamText } from '../helpers/stream-texts.js';

interface Case {
  readonly text: string;
  readonly out: SplicedText;
  readonly shape: StreamShape;
  readonly expected: Map<number, unknown>;
  readonly originals: Map<number, unknown>;
  readonly holes: readonly Hole[];
  /** Whether the ops are what a pass writes (the rest are random ops on unusual files). */
  planner?: boolean;
}

/** What patch.ts has in hand when it verifies combined edits: on the loader's skeleton, or on a full parse (no holes). */
function prepare(text: string, document: number, ops: readonly PatchOp[], skeleton: boolean): Case | undefined {
  const r = parseText('f.yaml', text);
  if (!r.ok) throw new Error(r.diagnostic.message);
  const docs = new Map(r.file.documents.map((d) => [d.index, d]));
  const original = docs.get(document)?.value;
  const plan = planAgainstOriginal(ops, original);
  if (!plan) return undefined;
  let holes: readonly Hole[] = [];
  let source = text;
  let kept: ReadonlyMap<string, number> | undefined;
  if (skeleton) {
    const sk = buildSkeleton(text, new Map([[document, plan.map((p) => p.op)]]), docs);
    if (!sk) return undefined;
    holes = sk.holes;
    source = sk.text;
    kept = sk.kept.get(document);
  }
  let parsed: ReturnType<typeof parseYamlStream>;
  try {
    parsed = parseYamlStream(source);
  } catch {
    return undefined;
  }
  const doc = parsed.docs[document];
  if (!doc || (kept && !skeletonMatches(doc, kept))) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const out = spliceYamlEdits(text, [{ doc, ops: plan, style: docs.get(document)?.style }], eol);
  if (!out) return undefined;
  let value: unknown = structuredClone(original);
  try {
    for (const op of ops) value = applyOpToValue(value, op);
  } catch {
    return undefined;
  }
  const starts = parsed.docs.map((d) => d.range[0]);
  const shape = {
    count: parsed.docs.length,
    prefix: text.slice(0, starts[0] ?? text.length),
    segments: starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length)),
  };
  return { text, out, shape, expected: new Map([[document, value]]), originals: new Map([[document, original]]), holes };
}

const fast = (c: Case, out: SplicedText = c.out, expected = c.expected): boolean =>
  verifiedInParts(c.text, out, c.shape, expected, c.originals, c.holes);

const fullyVerified = (c: Case, text: string, expected = c.expected): boolean => {
  try {
    verifyYaml(text, c.shape, expected);
    return true;
  } catch {
    return false;
  }
};

const inserts = [' ', '  ', '\n', '- ', ':', ': ', '#', ' # c', 'a', '"', "'", '1', '&a ', '*a', '|', '>', '{', '[', 'y', '\t', '~'];

/** One random corruption of the text: a character or a fragment put in, taken out or changed, a line moved sideways, doubled or dropped. */
function corrupt(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const ls = text.lastIndexOf('\n', at - 1) + 1;
  const le = text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at) + 1;
  switch (Math.floor(r() * 7)) {
    case 0:
      return text.slice(0, at) + pick(inserts) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
    case 2:
      return text.slice(0, at) + pick(inserts) + text.slice(at + 1);
    case 3:
      return `${text.slice(0, ls)}${pick([' ', '  '])}${text.slice(ls)}`;
    case 4:
      return text.slice(0, ls) + text.slice(ls).replace(/^ {1,2}/, '');
    case 5:
      return text.slice(0, le) + text.slice(ls, le) + text.slice(le);
    default:
      return text.slice(0, ls) + text.slice(le);
  }
}

/** Cases from planner-shaped passes over the usual stream, and random ops over unusual files. */
function cases(skeleton: boolean): Case[] {
  const out: Case[] = [];
  const r = prng(skeleton ? 11 : 12);
  for (const ind of ['', '  ']) {
    const text = streamText(ind);
    for (let round = 0; round < 60; round++) {
      const before = parse(text, { version: '1.1' }) as Record<string, unknown>;
      const next = structuredClone(before) as {
        metadata: { annotations: Record<string, unknown> };
        status: Record<string, unknown> & { tags: Array<{ tag: string; items: unknown[] }> };
        spec: { tags: unknown[] };
      };
      for (const t of next.status.tags)
        if (r() < 0.6)
          t.items.unshift({ created: '2025-01-01T00:00:00Z', dockerImageReference: `q.io/a@sha256:${round}`, image: `sha256:${round}` });
      if (r() < 0.3) next.status.tags.push({ tag: `t${round}`, items: [{ image: 'sha256:x', generation: round }] });
      if (r() < 0.3) next.metadata.annotations[`k${round % 3}`] = { nested: [`v${round}`, round, true, null], 'a/b~c': 'x y' };
      if (r() < 0.2) next.status.extra = { list: [{ a: 1, b: ['x', 'y'] }, 'z', []], empty: {} };
      if (r() < 0.2) next.spec.tags.push({ name: `n${round}`, from: { kind: 'DockerImage', name: `q.io/a:${round}` } });
      const ops = diffValues(before, next) as PatchOp[];
      if (ops.length === 0) continue;
      const c = prepare(text, 0, ops, skeleton);
      if (c) out.push({ ...c, planner: true });
    }
  }
  for (const text of odd) {
    const docs = parseText('f.yaml', text);
    if (!docs.ok) throw new Error(docs.diagnostic.message);
    for (let round = 0; round < 60; round++) {
      const doc = docs.file.documents[Math.floor(r() * docs.file.documents.length)];
      if (!doc) continue;
      const c = prepare(text, doc.index, randomOps(doc.value, r), skeleton);
      if (c) out.push(c);
    }
  }
  return out;
}

describe('verification in parts', () => {
  for (const skeleton of [true, false]) {
    const which = skeleton ? 'on the loader’s skeleton' : 'on a full parse';
    const all = cases(skeleton);

    it(`accepts right results (${which}), and only what the whole-text check accepts`, () => {
      let accepted = 0;
      let planned = 0;
      for (const c of all) {
        if (!fast(c)) continue;
        if (c.planner) planned++;
        else accepted++;
        expect(fullyVerified(c, c.out.text), c.out.text).toBe(true);
      }
      // What a pass writes is proven in parts; random ops on unusual files decline more often, but not always.
      expect(planned).toBe(all.filter((c) => c.planner).length);
      expect(accepted).toBeGreaterThan(skeleton ? 20 : 10);
    });

    it(`never accepts a corrupted result the whole-text check refuses (${which})`, () => {
      const r = prng(skeleton ? 21 : 22);
      let tried = 0;
      for (const c of all) {
        for (let k = 0; k < 25; k++) {
          const text = corrupt(c.out.text, r);
          if (text === c.out.text) continue;
          tried++;
          if (fast(c, { ...c.out, text }))
            expect(fullyVerified(c, text), `${JSON.stringify(c.out.text)}\n→ ${JSON.stringify(text)}`).toBe(true);
        }
      }
      expect(tried).toBeGreaterThan(1000);
    });

    it(`never accepts a right result against a wrong expected value (${which})`, () => {
      const r = prng(skeleton ? 31 : 32);
      let tried = 0;
      for (const c of all) {
        const [index, value] = [...c.expected][0] as [number, unknown];
        const targets = pointers(value).filter((p) => p !== '');
        for (let k = 0; k < 5 && targets.length > 0; k++) {
          const path = targets[Math.floor(r() * targets.length)] as string;
          const wrong = applyOpToValue(structuredClone(value), { op: 'replace', path, value: `wrong ${k}` });
          tried++;
          expect(fast(c, c.out, new Map([[index, wrong]])), `${path} in ${c.out.text}`).toBe(false);
        }
      }
      expect(tried).toBeGreaterThan(500);
    });
  }

  it('is what applyPatches uses: the result of a first import is the same text, proven without a full parse', () => {
    const text = streamText('');
    const r = parseText('f.yaml', text);
    if (!r.ok) throw new Error(r.diagnostic.message);
    const ops: PatchOp[] = [{ op: 'add', path: '/status/tags/-', value: { tag: 'new', items: [{ image: 'sha256:cc', generation: 3 }] } }];
    const c = prepare(text, 0, ops, true);
    expect(c && fast(c)).toBe(true);
    const viaPatch = applyPatches(text, 'yaml', [{ document: 0, ops }], { loaded: r.file.documents });
    expect(viaPatch).toEqual({ ok: true, text: c?.out.text });
  });
});
