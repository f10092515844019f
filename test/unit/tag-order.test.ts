import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareSemVer, parseSemVer, prioritizeTags } from '../../src/reconcile/tag-order.js';

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as {
  groups: { prioritizeTags: { cases: Array<{ tags: string[]; expected: string[] }> } };
};

describe('prioritizeTags (semantics §6.12, vectors prioritizeTags)', () => {
  for (const [i, c] of vectors.groups.prioritizeTags.cases.entries()) {
    it(`upstream case ${i + 1}`, () => expect(prioritizeTags(c.tags)).toEqual(c.expected));
  }
  it('dedupes, puts latest first, other tags lexically last', () => {
    expect(prioritizeTags(['b', 'latest', '1.0.0', 'a', 'latest', '2.0', 'v2.0', '01.2.3'])).toEqual([
      'latest',
      '2.0',
      'v2.0',
      '1.0.0',
      '01.2.3',
      'a',
      'b',
    ]);
  });
  it('compares semantic versions as semver does', () => {
    const order = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    for (let i = 1; i < order.length; i += 1) {
      const a = parseSemVer(order[i - 1] as string);
      const b = parseSemVer(order[i] as string);
      expect(a && b && compareSemVer(a, b)).toBe(-1);
    }
    expect(parseSemVer('1.02.3')).toBeUndefined();
    expect(parseSemVer('1.2.3-01')).toBeUndefined();
  });
});
