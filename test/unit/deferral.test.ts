/** What a deferred import means to the core: nothing is written for it, it stays due, and the next pass comes no later. */
import { describe, expect, it } from 'vitest';
import type { ImportDeferral, ImportOutcome } from '../../src/reconcile/plan.js';
import { planStreams } from '../../src/reconcile/plan.js';
import { deferralsByRegistry } from '../../src/reconcile/pass.js';

const deferral: ImportDeferral = {
  code: 'registry-budget-spent',
  registry: 'docker.io',
  message: 'the request budget of registry docker.io is spent',
  retryAt: '2024-05-01T13:00:00.000Z',
};
const deferred: ImportOutcome = { ok: false, deferred: deferral };
const imported: ImportOutcome = {
  ok: true,
  image: { digest: `sha256:${'a'.repeat(64)}`, dockerImageReference: `x/a@sha256:${'a'.repeat(64)}` },
};
const stream = (spec: Record<string, unknown>) => ({
  key: 's',
  namespace: 'ns',
  name: 'app',
  value: { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'app', namespace: 'ns' }, spec },
});
const tag = (name: string) => ({ name, from: { kind: 'DockerImage', name: `x/a:${name}` } });

describe('a deferred import in the plan', () => {
  it('writes no status, no condition and no import record for its tag; the other tags are planned as usual', () => {
    const plan = planStreams({
      streams: [stream({ tags: [tag('one'), tag('two')] })],
      tagResults: new Map([
        [
          's',
          new Map<string, ImportOutcome>([
            ['one', imported],
            ['two', deferred],
          ]),
        ],
      ]),
      repositoryResults: new Map(),
      now: '2024-05-01T12:00:00Z',
      policy: {},
    });
    const value = plan.streams[0]?.value as { status: { tags: Array<{ tag: string }> }; metadata: { annotations: Record<string, string> } };
    expect(value.status.tags.map((t) => t.tag)).toEqual(['one']);
    expect(JSON.stringify(value)).not.toContain('ImportSuccess');
    expect(value.metadata.annotations['imagestreams.dev/import-spec']).toMatch(/^one=[^,]+$/);
    expect(plan.streams[0]?.changes.map((c) => c.tag)).toEqual(['one']);
  });

  it('a whole-repository import with deferred tags records no repository check, so it stays due', () => {
    const plan = planStreams({
      streams: [stream({ dockerImageRepository: 'x/a' })],
      tagResults: new Map(),
      repositoryResults: new Map([
        [
          's',
          {
            ok: true,
            tags: [
              { tag: 'one', outcome: imported },
              { tag: 'two', outcome: deferred },
            ],
          },
        ],
      ]),
      now: '2024-05-01T12:00:00Z',
      policy: {},
    });
    const value = plan.streams[0]?.value as {
      status: { tags: Array<{ tag: string }> };
      metadata: { annotations?: Record<string, string> };
    };
    expect(value.status.tags.map((t) => t.tag)).toEqual(['one']);
    expect(value.metadata.annotations?.['openshift.io/image.dockerRepositoryCheck']).toBeUndefined();
  });

  it('deferrals are reported once per registry and code, with the latest retry time', () => {
    const later = { ok: false as const, deferred: { ...deferral, retryAt: '2024-05-01T14:00:00.000Z' } };
    expect(deferralsByRegistry([{ result: deferred }, { result: imported }, { result: later }])).toEqual([
      { ...deferral, retryAt: '2024-05-01T14:00:00.000Z', imports: 2 },
    ]);
  });
});
