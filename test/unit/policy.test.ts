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
