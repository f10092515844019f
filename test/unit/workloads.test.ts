/** Image lookup (semantics §8) against tag-events.json `lookupPolicyResolution`, and the workload rules. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResolvedStream, WorkloadInput } from '../../src/reconcile/workloads.js';
import { planWorkloads } from '../../src/reconcile/workloads.js';

type Case = { name: string; objects: string; templateAnnotations?: Record<string, string>; containers: { containers: string[]; initContainers?: string[] }; expect: { admitted: boolean; containers?: string[] }; policy: string };
const cases = (JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as { groups: { lookupPolicyResolution: { cases: Case[] } } }).groups.lookupPolicyResolution.cases;
const image1 = { dockerImageReference: 'integrated.registry/image1/image1@sha256:' + '0'.repeat(63) + '1', image: 'sha256:' + '0'.repeat(63) + '1' };

/** The environment each case describes, as repository streams. */
function streamsFor(c: Case): ResolvedStream[] {
  const lookup = /lookupPolicy\.local=true/.test(c.objects);
  if (/^ImageStreamTag default\/test:other/.test(c.objects)) {
    return [{ namespace: 'default', name: 'test', value: { spec: { lookupPolicy: { local: lookup }, tags: [{ name: 'other' }] }, status: { dockerImageRepository: 'integrated.registry/default/test', tags: [{ tag: 'other', items: [{ ...image1, generation: 1 }] }] } } }];
  }
  if (/^no ImageStreamTag/.test(c.objects)) {
    const repo = /status\.dockerImageRepository=(\S+)/.exec(c.objects)?.[1] ?? '';
    return [{ namespace: 'default', name: 'test', value: { spec: { lookupPolicy: { local: lookup }, tags: [] }, status: { dockerImageRepository: repo === "''" ? '' : repo, tags: [] } } }];
  }
  return [];
}

describe('lookupPolicyResolution (§8)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const w: WorkloadInput = {
        key: 'w',
        kind: 'ReplicaSet',
        namespace: 'default',
        value: { metadata: { name: 'w' }, spec: { template: { metadata: { annotations: c.templateAnnotations ?? {} }, spec: { containers: c.containers.containers.map((image, i) => ({ name: `c${i}`, image })), initContainers: (c.containers.initContainers ?? []).map((image, i) => ({ name: `i${i}`, image })) } } } },
      };
      const { plans } = planWorkloads([w], streamsFor(c));
      const images = c.containers.containers.map((img, i) => {
        const edit = plans[0]?.edits.find((e) => e.path === `/spec/template/spec/containers/${i}/image`);
        return edit && 'value' in edit ? edit.value : img;
      });
      if (c.expect.admitted) expect(images).toEqual(c.expect.containers);
      else {
        // Deliberate difference: there is no admission to reject the object in Git (policy RequiredRewrite);
        // an image that cannot be resolved is left as it is.
        expect(images).toEqual(c.containers.containers);
      }
    });
  }
});

describe('cross-namespace references', () => {
  const stream: ResolvedStream = { namespace: 'shared', name: 'base', value: { spec: { tags: [{ name: '1' }] }, status: { dockerImageRepository: '', tags: [{ tag: '1', items: [{ dockerImageReference: 'q/b@sha256:' + 'a'.repeat(64), image: 'sha256:' + 'a'.repeat(64), generation: 1 }] }] } } };
  const workload = (ns: string): WorkloadInput => ({
    key: ns,
    kind: 'Deployment',
    namespace: ns,
    value: { metadata: { annotations: { 'image.openshift.io/triggers': '[{"from":{"kind":"ImageStreamTag","name":"base:1","namespace":"shared"},"fieldPath":"spec.template.spec.containers[0].image"}]' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } },
  });
  it('are allowed by default, and restricted by reconcile.imagePullers', () => {
    expect(planWorkloads([workload('team-a')], [stream]).plans).toHaveLength(1);
    const restricted = planWorkloads([workload('team-a'), workload('team-b')], [stream], { imagePullers: new Map([['shared', ['team-b']]]) });
    expect(restricted.plans.map((p) => p.workload)).toEqual(['team-b']);
    expect(restricted.skips).toEqual([{ workload: 'team-a', reason: 'left unchanged: trigger [0] (base:1): cross-namespace reference not allowed: namespace team-a may not use image streams of shared (reconcile.imagePullers)' }]);
  });
});
