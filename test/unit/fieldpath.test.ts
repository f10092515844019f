import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findContainer, formatFieldPath, parseFieldPath, podSpecPathByKind } from '../../src/reconcile/fieldpath.js';

interface Case {
  objectKind: string;
  fixture: { initContainers: string[]; containers: string[] };
  fieldPath: string;
  outcome: 'updated' | 'skipped' | 'error';
  error?: string;
  selector?: { kind: string; name?: string; index?: number };
  target?: { list: string; index: number; name: string };
}
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/vectors/fieldpath.json', import.meta.url), 'utf8')) as {
  podSpecPathByKind: Record<string, string>;
  cases: Case[];
};

const podSpec = (f: Case['fixture']) => ({
  containers: f.containers.map((name) => ({ name })),
  initContainers: f.initContainers.map((name) => ({ name })),
});

/** Upstream's flow (§9.5): prefix check, parse, container lookup. */
function evaluate(c: Case, documentedSelectors: boolean) {
  const parsed = parseFieldPath(c.objectKind, c.fieldPath, { documentedSelectors });
  if (parsed.kind === 'outside-pod-spec') return { outcome: 'skipped' as const };
  if (parsed.kind === 'invalid') return { outcome: 'error' as const, error: parsed.error };
  const found = findContainer(podSpec(c.fixture), parsed, c.fieldPath);
  if ('error' in found) return { outcome: 'error' as const, error: found.error, selector: parsed.selector };
  return { outcome: 'updated' as const, target: found, selector: parsed.selector };
}

describe('fieldPath grammar (semantics §9.5, vectors fieldpath.json)', () => {
  it('uses the upstream pod spec paths', () => expect(podSpecPathByKind).toEqual(vectors.podSpecPathByKind));

  for (const c of vectors.cases) {
    it(`${c.objectKind} ${c.fieldPath} → ${c.outcome}`, () => {
      const got = evaluate(c, false);
      expect(got.outcome).toBe(c.outcome);
      if (c.outcome === 'error') expect(got.error).toBe(c.error);
      if (c.outcome === 'updated') expect(got.target).toEqual(c.target);
      if (c.selector && got.selector) {
        const { quoteStyle: _ignored, ...selector } = got.selector as { quoteStyle?: string };
        expect(selector).toEqual(c.selector);
      }
    });
  }
});

describe('documented selector forms (semantics §13.1)', () => {
  const spec = { containers: [{ name: 'web' }, { name: 'sidecar' }], initContainers: [{ name: 'init' }] };
  it.each([
    `spec.template.spec.containers[?(@.name=='web')].image`,
    `spec.template.spec.containers[?(@.name="web")].image`,
    `spec.template.spec.containers[?(@.name='web')].image`,
  ])('%s names the container, marked documented', (fp) => {
    const parsed = parseFieldPath('Deployment', fp);
    expect(parsed).toEqual({ kind: 'ok', list: 'containers', selector: { kind: 'name', name: 'web', quoteStyle: 'documented' } });
    if (parsed.kind === 'ok') expect(findContainer(spec, parsed, fp)).toEqual({ list: 'containers', index: 0, name: 'web' });
  });
  it('keeps the upstream form marked upstream', () => {
    const parsed = parseFieldPath('Deployment', 'spec.template.spec.containers[?(@.name=="web")].image');
    expect(parsed).toMatchObject({ selector: { quoteStyle: 'upstream' } });
  });
  it('still rejects mismatched quotes and spaces', () => {
    for (const fp of [`spec.template.spec.containers[?(@.name=='web")].image`, `spec.template.spec.containers[?(@.name = 'web')].image`]) {
      const parsed = parseFieldPath('Deployment', fp);
      if (parsed.kind !== 'ok') throw new Error('expected ok');
      expect(parsed.selector).not.toMatchObject({ quoteStyle: 'documented' });
      expect(findContainer(spec, parsed, fp)).toEqual({ error: `no such container: ${fp}` });
    }
  });
  it('treats out-of-range and negative indexes as not found, Go-style', () => {
    for (const sel of ['-1', '99999999999999999999', '5']) {
      const fp = `spec.template.spec.containers[${sel}].image`;
      const parsed = parseFieldPath('Deployment', fp);
      if (parsed.kind !== 'ok') throw new Error('expected ok');
      expect(findContainer(spec, parsed, fp)).toEqual({ error: `no such container: ${fp}` });
    }
  });
  it('formats the canonical form that upstream accepts and parses back', () => {
    const fp = formatFieldPath('CronJob', 'web');
    expect(fp).toBe('spec.jobTemplate.spec.template.spec.containers[?(@.name=="web")].image');
    expect(parseFieldPath('CronJob', fp ?? '', { documentedSelectors: false })).toMatchObject({
      kind: 'ok',
      selector: { name: 'web', quoteStyle: 'upstream' },
    });
  });
});
