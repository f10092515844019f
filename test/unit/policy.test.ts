/** Tag policies (src/reconcile/policy.ts): reading the annotation, filtering and ordering tags, picking one. */
import { describe, expect, it } from 'vitest';
import { choose, policyRepository, readPolicy } from '../../src/reconcile/policy.js';

const policy = (text: string) => {
  const r = readPolicy({ annotations: { 'imagestreams.dev/policy': text } });
  if (!r?.ok) throw new Error(r ? r.error : 'no policy');
  return r.policy;
};
const pick = (text: string, tags: string[], current = tags[0] ?? '', firstSeen?: Record<string, string>) =>
  choose(policy(text), tags, current, '2024-06-01T00:00:00Z', new Map(Object.entries(firstSeen ?? {})))?.tag;

describe('semver policies', () => {
  const tags = ['1.2.3', 'v1.3.0', '1.4.0-rc.1', '2.0.0', 'latest', '12.15.0-alpine', '1.10.0', '1.9.9'];
  it('take the highest release in the range: v prefixes read, prereleases and other majors passed over', () => {
    expect(pick('{"semver": ">=1.2 <2"}', tags)).toBe('1.10.0');
    expect(pick('{"semver": "~1.3"}', tags)).toBe('v1.3.0');
    expect(pick('{"semver": "^1.4.0-0"}', tags)).toBe('1.10.0');
    expect(pick('{"semver": ">=1.4.0-rc.0 <1.5"}', tags)).toBe('1.4.0-rc.1');
  });
  it('without a range take the highest release; with an extract, suffixed tags are ordered by their version', () => {
    expect(pick('{"order": "semver"}', tags)).toBe('2.0.0');
    expect(pick('{"pattern": "^(?<v>[0-9.]+)-alpine$", "extract": "v", "order": "semver"}', tags)).toBe('12.15.0-alpine');
  });
});

describe('numerical, alphabetical and first-seen policies', () => {
  const builds = ['main-7', 'main-12', 'main-9', 'feature-99', 'main-x'];
  it('order an extracted number numerically, by name or number of the group, highest or lowest', () => {
    expect(pick('{"pattern": "^main-(?P<n>[0-9]+)$", "extract": "n", "order": "numerical"}', builds)).toBe('main-12');
    expect(pick('{"pattern": "^main-([0-9]+)$", "extract": "$1", "order": "numerical"}', builds)).toBe('main-12');
    expect(pick('{"pattern": "^main-([0-9]+)$", "extract": 1, "order": "numerical", "pick": "lowest"}', builds)).toBe('main-7');
    expect(pick('{"pattern": "^main-", "order": "alphabetical"}', builds)).toBe('main-x');
    expect(pick('{"pattern": "^main-[0-9]", "order": "alphabetical", "pick": "lowest"}', builds)).toBe('main-12');
  });
  it('first-seen takes the tag seen most recently; a tie keeps the current tag', () => {
    const seen = { 'nightly-a': '2024-05-02T00:00:00Z', 'nightly-b': '2024-05-01T00:00:00Z' };
    expect(pick('{"pattern": "^nightly-", "order": "first-seen"}', ['nightly-a', 'nightly-b'], 'nightly-b', seen)).toBe('nightly-a');
    expect(pick('{"pattern": "^nightly-", "order": "first-seen"}', ['nightly-a', 'nightly-b'], 'nightly-b')).toBe('nightly-b');
  });
  it('nothing matching is no choice', () => {
    expect(pick('{"semver": "^3"}', ['1.0.0', '2.0.0'])).toBeUndefined();
  });
});

describe('readPolicy and policyRepository', () => {
  it.each([
    ['{"semver": ">=1 <<2"}', /^"semver": /],
    ['{"pattern": "(", "order": "numerical"}', /not a valid regular expression/],
    ['{"pattern": "^a", "extract": "n", "order": "numerical"}', /no group "n"/],
    ['{"extract": "n", "order": "numerical"}', /needs a "pattern"/],
    ['{"order": "newest"}', /"order" must be one of/],
    ['{"semver": "^1", "order": "numerical"}', /goes with "order": "semver"/],
    ['{"order": "semver", "pick": "lowest"}', /"pick": "lowest" is for numerical and alphabetical/],
    ['{"semver": "^1", "range": "x"}', /unknown field "range"/],
    ['semver ^1', /not valid JSON/],
  ])('refuses %s', (text, error) => {
    expect(readPolicy({ annotations: { 'imagestreams.dev/policy': text } })).toMatchObject({
      ok: false,
      error: expect.stringMatching(error),
    });
  });
  it('a policy follows a DockerImage repository by tag', () => {
    expect(policyRepository({ from: { kind: 'DockerImage', name: 'quay.io/a/b:1.2' } })).toEqual({
      repository: 'quay.io/a/b',
      current: '1.2',
    });
    expect(policyRepository({ from: { kind: 'DockerImage', name: 'localhost:5000/a/b' } })).toEqual({
      repository: 'localhost:5000/a/b',
      current: 'latest',
    });
    expect(policyRepository({ from: { kind: 'ImageStreamTag', name: 'b:1' } })).toMatchObject({
      error: expect.stringContaining('DockerImage'),
    });
    expect(policyRepository({ from: { kind: 'DockerImage', name: `quay.io/a/b@sha256:${'a'.repeat(64)}` } })).toMatchObject({
      error: expect.stringContaining('names a digest'),
    });
  });
});

describe('a policy with a minimum age in a large repository', () => {
  it('keeps first-seen times for the best candidates only, and takes the best once it has aged', async () => {
    const { decidePolicies, applyPolicyDecisions } = await import('../../src/reconcile/pass-policies.js');
    const tags = Array.from({ length: 300 }, (_, i) => `1.${i}.0`);
    const stream = (annotations: Record<string, string>) => ({
      key: 's',
      namespace: 'ns',
      name: 'web',
      value: {
        spec: {
          tags: [
            {
              name: 'stable',
              annotations: { 'imagestreams.dev/policy': '{"semver": "^1"}', 'imagestreams.dev/min-age': '1h', ...annotations },
              from: { kind: 'DockerImage', name: 'quay.io/a/web:1.0.0' },
            },
          ],
        },
      },
    });
    const check = {
      kind: 'policy' as const,
      stream: 's',
      tag: 'stable',
      from: 'quay.io/a/web:1.0.0',
      repository: 'quay.io/a/web',
      current: '1.0.0',
      importMode: 'Legacy' as const,
      insecure: false,
      reason: 'scheduled' as const,
    };
    const run = (s: ReturnType<typeof stream>, now: string) => {
      const decisions = decidePolicies([check], [{ ok: true, tags }], [s], now);
      const [after] = applyPolicyDecisions([s], decisions, now);
      if (!after) throw new Error('no stream');
      const t = (after.value as { spec: { tags: Array<{ annotations: Record<string, string>; from: { name: string } }> } }).spec.tags[0];
      return {
        choice: decisions[0]?.choice?.tag,
        seen: JSON.parse(t?.annotations['imagestreams.dev/first-seen'] ?? '{}'),
        from: t?.from.name,
      };
    };
    const first = run(stream({}), '2024-06-01T00:00:00Z');
    expect(first.choice).toBe('1.0.0'); // nothing has aged yet
    expect(Object.keys(first.seen)).toHaveLength(50);
    expect(first.seen['1.299.0']).toBe('2024-06-01T00:00:00Z');
    const later = run(stream({ 'imagestreams.dev/first-seen': JSON.stringify(first.seen) }), '2024-06-01T01:00:00Z');
    expect(later).toMatchObject({ choice: '1.299.0', from: 'quay.io/a/web:1.299.0' });
  });
});
