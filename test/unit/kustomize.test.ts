/** kustomize `images:` rules (src/reconcile/kustomize.ts): reading the annotation and the entries a pass writes. */
import { describe, expect, it } from 'vitest';
import type { KustomizationInput } from '../../src/reconcile/kustomize.js';
import { planKustomizations, readImageRules } from '../../src/reconcile/kustomize.js';

const digest = `sha256:${'cd'.repeat(32)}`;
const web = {
  namespace: 'shop',
  name: 'web',
  value: {
    spec: { tags: [{ name: 'prod', from: { kind: 'DockerImage', name: 'quay.io/shop/web:2.0' } }] },
    status: {
      dockerImageRepository: '',
      tags: [{ tag: 'prod', items: [{ created: 'x', dockerImageReference: `quay.io/shop/web@${digest}`, image: digest, generation: 1 }] }],
    },
  },
};

const kustomization = (rules: unknown, rest: Record<string, unknown> = {}): KustomizationInput => ({
  file: 'k/kustomization.yaml',
  document: 0,
  value: { metadata: { annotations: { 'imagestreams.dev/images': JSON.stringify(rules) } }, ...rest },
});
const rule = (name: string, from: string, extra: Record<string, unknown> = {}) => ({
  name,
  from: { kind: 'ImageStreamTag', name: from },
  ...extra,
});

describe('readImageRules', () => {
  it('reads rules with the digest reference by default', () => {
    expect(readImageRules(kustomization([rule('quay.io/shop/web', 'web:prod')]))).toEqual({
      ok: true,
      rules: [{ name: 'quay.io/shop/web', stream: { namespace: undefined, name: 'web', tag: 'prod' }, reference: 'digest', index: 0 }],
    });
  });
  it.each([
    [[rule('web', 'web')], /stream:tag/],
    [[rule('web', 'web:prod', { reference: 'latest' })], /"digest" or "tag"/],
    [[rule('web', 'web:prod'), rule('web', 'web:dev')], /listed twice/],
    [[{ name: 'web', from: { kind: 'DockerImage', name: 'x:y' } }], /ImageStreamTag/],
    [[rule('web', 'web:prod', { setter: 1 })], /unknown field "setter"/],
    [{ name: 'web' }, /not a JSON array/],
  ])('refuses %j', (rules, error) => {
    expect(readImageRules(kustomization(rules))).toMatchObject({ ok: false, error: expect.stringMatching(error) });
  });
});

describe('planKustomizations', () => {
  const plan = (k: KustomizationInput) => planKustomizations([k], [web], 'default', {});

  it('replaces an entry as kustomize edit set image NAME@DIGEST does: newName dropped when it equals the name, newTag cleared', () => {
    const k = kustomization([rule('quay.io/shop/web', 'web:prod')], {
      namespace: 'shop',
      images: [{ name: 'quay.io/shop/web', newName: 'quay.io/shop/web', newTag: '1.0' }],
    });
    expect(plan(k).plans[0]?.edits).toEqual([
      { op: 'remove', path: '/images/0/newName' },
      { op: 'remove', path: '/images/0/newTag' },
      { op: 'add', path: '/images/0/digest', value: digest },
    ]);
  });
  it('with reference tag, sets newTag from the registry tag and clears the digest', () => {
    const k = kustomization([rule('web', 'web:prod', { reference: 'tag' })], {
      namespace: 'shop',
      images: [{ name: 'web', digest }],
    });
    expect(plan(k).plans[0]?.edits).toEqual([
      { op: 'add', path: '/images/0/newName', value: 'quay.io/shop/web' },
      { op: 'add', path: '/images/0/newTag', value: '2.0' },
      { op: 'remove', path: '/images/0/digest' },
    ]);
  });
  it('inserts new entries in name order, at rising indexes, after the edits of existing ones', () => {
    const k = kustomization(
      [
        rule('zeta', 'web:prod', { from: { kind: 'ImageStreamTag', name: 'web:prod', namespace: 'shop' } }),
        rule('beta', 'web:prod', { from: { kind: 'ImageStreamTag', name: 'web:prod', namespace: 'shop' } }),
      ],
      {
        images: [
          { name: 'alpha', newTag: '1' },
          { name: 'gamma', newTag: '1' },
        ],
      },
    );
    expect(plan(k).plans[0]?.edits.map((e) => `${e.op} ${e.path}`)).toEqual(['add /images/1', 'add /images/3']);
  });
  it('plans nothing for an entry already right, and skips a stream it cannot find', () => {
    const right = kustomization([rule('quay.io/shop/web', 'web:prod')], {
      namespace: 'shop',
      images: [{ name: 'quay.io/shop/web', digest }],
    });
    expect(plan(right)).toEqual({ plans: [], skips: [] });
    const missing = kustomization([rule('quay.io/shop/web', 'web:prod')]);
    expect(plan(missing).skips.map((s) => s.code)).toEqual(['kustomize-stream-not-found']); // looked up in "default"
  });
});
