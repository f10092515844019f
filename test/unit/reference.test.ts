import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  distributionName,
  distributionString,
  dockerClientDefaults,
  dockerRef,
  exactReference,
  familiarString,
  mostSpecific,
  parseDistributionReference,
  parseNormalizedNamed,
  parseOpenShiftReference,
  validateDigest,
  withDefaultTag,
} from '../../src/reconcile/reference.js';

interface Case {
  input: string;
  openshiftParse: Record<string, string | boolean>;
  distributionParse: Record<string, string | boolean>;
  distributionParseNormalizedNamed: Record<string, string | boolean>;
}
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/vectors/reference-parsing.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const label = (c: Case): string => JSON.stringify(c.input.length > 70 ? `${c.input.slice(0, 70)}…(${c.input.length})` : c.input);

describe('OpenShift reference parser (semantics §2.1, vectors openshiftParse)', () => {
  it('covers the upstream vector table', () => expect(vectors.cases.length).toBeGreaterThanOrEqual(190));
  for (const c of vectors.cases) {
    it(label(c), () => {
      const want = c.openshiftParse;
      const got = parseOpenShiftReference(c.input);
      if (!want.valid) {
        expect(got).toEqual({ ok: false, error: want.error });
        return;
      }
      expect(got.ok).toBe(true);
      if (!got.ok) return;
      const r = got.value;
      expect({ registry: r.registry, namespace: r.namespace, name: r.name, tag: r.tag, id: r.id }).toEqual({
        registry: want.registry,
        namespace: want.namespace,
        name: want.name,
        tag: want.tag,
        id: want.id,
      });
      expect(exactReference(r)).toBe(want.exact);
      expect(exactReference(dockerClientDefaults(r))).toBe(want.dockerClientDefaultsExact);
      expect(exactReference(mostSpecific(r))).toBe(want.mostSpecificExact);
    });
  }
});

describe('distribution/reference Parse and ParseNormalizedNamed (semantics §2.2)', () => {
  for (const c of vectors.cases) {
    it(label(c), () => {
      const p = c.distributionParse;
      const got = parseDistributionReference(c.input);
      if (!p.valid) expect(got).toEqual({ ok: false, error: p.error });
      else {
        expect(got.ok).toBe(true);
        if (got.ok) {
          expect(distributionString(got.value)).toBe(p.string);
          expect(distributionName(got.value)).toBe(p.name);
          expect(got.value.domain).toBe(p.domain ?? '');
          expect(got.value.path).toBe(p.path);
          expect(got.value.tag).toBe(p.tag ?? '');
          expect(got.value.digest).toBe(p.digest ?? '');
        }
      }
      const n = c.distributionParseNormalizedNamed;
      const norm = parseNormalizedNamed(c.input);
      if (!n.valid) {
        expect(norm).toEqual({ ok: false, error: n.error });
        return;
      }
      expect(norm.ok).toBe(true);
      if (!norm.ok) return;
      expect(distributionString(norm.value)).toBe(n.normalized);
      expect(norm.value.domain).toBe(n.domain);
      expect(norm.value.path).toBe(n.path);
      expect(familiarString(norm.value)).toBe(n.familiar);
      expect(distributionString(withDefaultTag(norm.value))).toBe(n.withDefaultTag);
      expect(distributionString(dockerRef(norm.value))).toBe(n.dockerRef);
    });
  }
});

describe('digest validation', () => {
  it.each([
    [`sha256:${'a'.repeat(64)}`, undefined],
    [`sha384:${'a'.repeat(96)}`, undefined],
    [`sha512:${'A'.repeat(128)}`, undefined],
    [`sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    ['sha256:', 'invalid checksum digest format'],
    ['sha256:zz', 'invalid checksum digest format'],
  ])('%s', (digest, error) => expect(validateDigest(digest)).toBe(error));
});
