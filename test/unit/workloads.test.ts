/** Image lookup (semantics §8) against tag-events.json `lookupPolicyResolution`, and the workload rules. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResolvedStream, WorkloadInput } from '../../src/reconcile/workloads.js';
import { planWorkloads } from '../../src/reconcile/workloads.js';

type Case = {
  name: string;
  objects: string;
  templateAnnotations?: Record<string, string>;
  containers: { containers: string[]; initContainers?: string[] };
  expect: { admitted: boolean; containers?: string[] };
  policy: string;
};
const cases = (
  JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as {
    groups: { lookupPolicyResolution: { cases: Case[] } };
  }
).groups.lookupPolicyResolution.cases;
const image1 = {
  dockerImageReference: `integrated.registry/image1/image1@sha256:${'0'.repeat(63)}1`,
  image: `sha256:${'0'.repeat(63)}1`,
};

/** The environment each case describes, as repository streams. */
function streamsFor(c: Case): ResolvedStream[] {
  const lookup = /lookupPolicy\.local=true/.test(c.objects);
  if (/^ImageStreamTag default\/test:other/.test(c.objects)) {
    return [
      {
        namespace: 'default',
        name: 'test',
        value: {
          spec: { lookupPolicy: { local: lookup }, tags: [{ name: 'other' }] },
          status: {
            dockerImageRepository: 'integrated.registry/default/test',
            tags: [{ tag: 'other', items: [{ ...image1, generation: 1 }] }],
          },
        },
      },
    ];
  }
  if (/^no ImageStreamTag/.test(c.objects)) {
    const repo = /status\.dockerImageRepository=(\S+)/.exec(c.objects)?.[1] ?? '';
    return [
      {
        namespace: 'default',
        name: 'test',
        value: {
          spec: { lookupPolicy: { local: lookup }, tags: [] },
          status: { dockerImageRepository: repo === "''" ? '' : repo, tags: [] },
        },
      },
    ];
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
        value: {
          metadata: { name: 'w' },
          spec: {
            template: {
              metadata: { annotations: c.templateAnnotations ?? {} },
              spec: {
                containers: c.containers.containers.map((image, i) => ({ name: `c${i}`, image })),
                initContainers: (c.containers.initContainers ?? []).map((image, i) => ({ name: `i${i}`, image })),
              },
            },
          },
        },
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
  const stream: ResolvedStream = {
    namespace: 'shared',
    name: 'base',
    value: {
      spec: { tags: [{ name: '1' }] },
      status: {
        dockerImageRepository: '',
        tags: [
          { tag: '1', items: [{ dockerImageReference: `q/b@sha256:${'a'.repeat(64)}`, image: `sha256:${'a'.repeat(64)}`, generation: 1 }] },
        ],
      },
    },
  };
  const workload = (ns: string): WorkloadInput => ({
    key: ns,
    kind: 'Deployment',
    namespace: ns,
    value: {
      metadata: {
        annotations: {
          'image.openshift.io/triggers':
            '[{"from":{"kind":"ImageStreamTag","name":"base:1","namespace":"shared"},"fieldPath":"spec.template.spec.containers[0].image"}]',
        },
      },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    },
  });
  it('are allowed by default, and restricted by reconcile.imagePullers', () => {
    expect(planWorkloads([workload('team-a')], [stream]).plans).toHaveLength(1);
    const restricted = planWorkloads([workload('team-a'), workload('team-b')], [stream], {
      imagePullers: new Map([['shared', ['team-b']]]),
    });
    expect(restricted.plans.map((p) => p.workload)).toEqual(['team-b']);
    expect(restricted.skips).toEqual([
      {
        workload: 'team-a',
        code: 'cross-namespace-not-allowed',
        reason:
          'left unchanged: trigger [0] (base:1): cross-namespace reference not allowed: namespace team-a may not use image streams of shared (reconcile.imagePullers)',
      },
    ]);
  });
});

describe('two triggers on one container field (convergence)', () => {
  const digest = (c: string): string => `sha256:${c.repeat(64)}`;
  const tagged = (tag: string, c: string) => ({
    tag,
    items: [{ dockerImageReference: `quay.io/org/app@${digest(c)}`, image: digest(c), generation: 1 }],
  });
  const stream: ResolvedStream = {
    namespace: 'ns',
    name: 'app',
    value: {
      spec: { tags: [{ name: '1' }, { name: '2' }] },
      status: { dockerImageRepository: '', tags: [tagged('1', 'a'), tagged('2', 'b')] },
    },
  };
  const trigger = (name: string, fieldPath: string, extra: Record<string, unknown> = {}) => ({
    from: { kind: 'ImageStreamTag', name },
    fieldPath,
    ...extra,
  });
  const pod = {
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'web', image: 'nginx' },
      { name: 'proxy', image: 'envoy' },
    ],
  };
  const deployment = (triggers: unknown[], kind = 'Deployment'): WorkloadInput => ({
    key: 'w',
    kind,
    namespace: 'ns',
    value: {
      metadata: { name: 'w', annotations: { 'image.openshift.io/triggers': JSON.stringify(triggers) } },
      spec: { template: { spec: pod } },
    },
  });
  const base = 'spec.template.spec';

  const pairs: Array<[string, string, string]> = [
    [
      'the documented quoting and the upstream one',
      `${base}.containers[?(@.name='web')].image`,
      `${base}.containers[?(@.name=="web")].image`,
    ],
    ['an index and a name', `${base}.containers[0].image`, `${base}.containers[?(@.name=="web")].image`],
    ['two spellings of one index', `${base}.containers[0].image`, `${base}.containers[+0]image`],
    [
      'initContainers by index, and the name looked up in initContainers first',
      `${base}.initContainers[0].image`,
      `${base}.containers[?(@.name=="init")].image`,
    ],
  ];
  for (const [what, a, b] of pairs) {
    it(`${what}: the object is left unchanged and the skip says why`, () => {
      const { plans, skips } = planWorkloads([deployment([trigger('app:1', a), trigger('app:2', b)])], [stream]);
      expect(plans).toEqual([]);
      expect(skips).toHaveLength(1);
      expect(skips[0]).toMatchObject({
        workload: 'w',
        code: 'duplicate-trigger-target',
        reason: expect.stringMatching(
          /^left unchanged: trigger \[1\] \(app:2\) and trigger \[0\] \(app:1\) both set (init)?[cC]ontainers\[0\]\.image \(container "(web|init)"\)/,
        ),
      });
    });
  }

  it('a paused entry counts: unpausing it must not start the fight', () => {
    const { plans, skips } = planWorkloads(
      [
        deployment([
          trigger('app:1', `${base}.containers[0].image`, { paused: true }),
          trigger('app:2', `${base}.containers[?(@.name=="web")].image`),
        ]),
      ],
      [stream],
    );
    expect(plans).toEqual([]);
    expect(skips.map((s) => s.code)).toEqual(['duplicate-trigger-target']);
  });

  it('the same fieldPath text twice keeps the §9.1 wording and its own code', () => {
    const fp = `${base}.containers[0].image`;
    expect(planWorkloads([deployment([trigger('app:1', fp), trigger('app:2', fp)])], [stream]).skips).toEqual([
      { workload: 'w', code: 'trigger-duplicate-fieldpath', reason: 'left unchanged: duplicate triggers are not allowed' },
    ]);
  });

  it('triggers on different containers are fine, and one pass converges', () => {
    const w = deployment([
      trigger('app:1', `${base}.containers[0].image`),
      trigger('app:2', `${base}.containers[?(@.name=='proxy')].image`),
    ]);
    const { plans, skips } = planWorkloads([w], [stream]);
    expect(skips).toEqual([]);
    expect(plans[0]?.edits).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `quay.io/org/app@${digest('a')}` },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `quay.io/org/app@${digest('b')}` },
    ]);
  });

  const dc = (triggers: unknown[]): WorkloadInput => ({
    key: 'dc',
    kind: 'DeploymentConfig',
    namespace: 'ns',
    value: { metadata: { name: 'dc' }, spec: { triggers, template: { spec: pod } } },
  });
  const imageChange = (name: string, containerNames: string[]) => ({
    type: 'ImageChange',
    imageChangeParams: { automatic: true, containerNames, from: { kind: 'ImageStreamTag', name } },
  });

  it('DeploymentConfig: two ImageChange triggers whose containerNames overlap', () => {
    const { plans, skips } = planWorkloads(
      [dc([{ type: 'ConfigChange' }, imageChange('app:1', ['web']), imageChange('app:2', ['proxy', 'web'])])],
      [stream],
    );
    expect(plans).toEqual([]);
    expect(skips).toEqual([
      {
        workload: 'dc',
        code: 'duplicate-trigger-target',
        reason:
          'left unchanged: spec.triggers[2] (app:2) and spec.triggers[1] (app:1) both set containers[0].image (container "web"); keep one trigger per container',
      },
    ]);
  });

  it('DeploymentConfig: one trigger naming a container twice is one value, not a fight', () => {
    const { plans, skips } = planWorkloads([dc([imageChange('app:1', ['web', 'web'])])], [stream]);
    expect(skips).toEqual([]);
    // One write per container the trigger names, as the controller loops over the containers.
    expect(plans[0]?.changes.map((c) => c.path)).toEqual(['/spec/template/spec/containers/0/image']);
  });

  it('every skip carries a code', () => {
    const { skips } = planWorkloads(
      [
        deployment([trigger('app:1', `${base}.containers[0].image`, { paused: true })]),
        { ...deployment([trigger('ghost:1', `${base}.containers[0].image`)]), key: 'g' },
        { ...deployment([trigger('app:1', 'spec.containers[0].image')]), key: 'o' },
        { ...deployment([trigger('app:1', `${base}.containers[5].image`)]), key: 'n' },
      ],
      [stream],
    );
    expect(skips.map((s) => [s.workload, s.code])).toEqual([
      ['w', 'trigger-paused'],
      ['g', 'trigger-stream-not-found'],
      ['o', 'trigger-outside-pod-spec'],
      ['n', 'trigger-container-not-found'],
    ]);
  });
});

describe('image lookup converges', () => {
  it('under resolve-names, the <repository>:<tag> written while the tag has no image keeps its short-name record (found by the property test)', () => {
    const stream: ResolvedStream = {
      namespace: 'shop',
      name: 's0',
      value: {
        spec: { lookupPolicy: { local: false }, tags: [{ name: 'v0' }] },
        status: { dockerImageRepository: 'image-registry.local:5000/shop/s0', tags: [] },
      },
    };
    const pod = (image: string, record?: string): WorkloadInput => ({
      key: 'p',
      kind: 'Pod',
      namespace: 'shop',
      value: {
        metadata: {
          name: 'p',
          annotations: {
            'alpha.image.policy.openshift.io/resolve-names': '*',
            ...(record ? { 'imagestreams.dev/image-lookup': record } : {}),
          },
        },
        spec: { containers: [{ name: 'c0', image }] },
      },
    });
    const first = planWorkloads([pod('s0')], [stream]);
    expect(first.plans[0]?.edits).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: 'image-registry.local:5000/shop/s0:latest' },
      { op: 'add', path: '/metadata/annotations/imagestreams.dev~1image-lookup', value: 'containers.c0=s0' },
    ]);
    expect(planWorkloads([pod('image-registry.local:5000/shop/s0:latest', 'containers.c0=s0')], [stream]).plans).toEqual([]);
    // Once the tag has an image, the recorded short name moves the container to it.
    const imported: ResolvedStream = {
      ...stream,
      value: {
        ...stream.value,
        status: {
          dockerImageRepository: 'image-registry.local:5000/shop/s0',
          tags: [
            {
              tag: 'latest',
              items: [
                { dockerImageReference: `quay.io/shop/s0@sha256:${'c'.repeat(64)}`, image: `sha256:${'c'.repeat(64)}`, generation: 1 },
              ],
            },
          ],
        },
      },
    };
    expect(planWorkloads([pod('image-registry.local:5000/shop/s0:latest', 'containers.c0=s0')], [imported]).plans[0]?.edits).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: `quay.io/shop/s0@sha256:${'c'.repeat(64)}` },
    ]);
  });
});

describe('a manual DeploymentConfig trigger is never set by the pass', () => {
  it('neither the trigger nor image lookup touches its container, before or after a person set it (found by the property test)', () => {
    const stream: ResolvedStream = {
      namespace: 'shop',
      name: 's0',
      value: {
        spec: { tags: [{ name: 'dev', reference: true, from: { kind: 'DockerImage', name: 'quay.io/shop/s0:dev' } }] },
        status: {
          dockerImageRepository: 'image-registry.local:5000/shop/s0',
          tags: [{ tag: 'dev', items: [{ dockerImageReference: 'quay.io/shop/s0:dev', image: '', generation: 1 }] }],
        },
      },
    };
    const dc = (image: string, lastTriggeredImage?: string): WorkloadInput => ({
      key: 'dc',
      kind: 'DeploymentConfig',
      namespace: 'shop',
      value: {
        metadata: { name: 'dc', annotations: { 'alpha.image.policy.openshift.io/resolve-names': '*' } },
        spec: {
          triggers: [
            {
              type: 'ImageChange',
              imageChangeParams: {
                automatic: false,
                containerNames: ['init'],
                from: { kind: 'ImageStreamTag', name: 's0:dev' },
                ...(lastTriggeredImage ? { lastTriggeredImage } : {}),
              },
            },
          ],
          template: { spec: { initContainers: [{ name: 'init', image }], containers: [] } },
        },
      },
    });
    // Upstream's trigger controller skips a trigger with automatic: false, the first time too.
    const first = planWorkloads([dc('s0:nope')], [stream]);
    expect(first.plans).toEqual([]);
    expect(first.skips.map((s) => s.code)).toEqual(['manual-trigger']);
    const second = planWorkloads([dc('quay.io/shop/s0:dev', 'quay.io/shop/s0:dev')], [stream]);
    expect(second.plans).toEqual([]);
    expect(second.skips.map((s) => s.code)).toEqual(['manual-trigger']);
  });
});
