/**
 * The planner reads its input streams and never writes them (they are the loader's shared parses): it copies a
 * stream's status only when something changes it. The inputs here are deeply frozen, so any write to them throws
 * (modules are strict): a pass that confirms every tag returns the input itself; a pass that changes a tag, records
 * a failure, tracks a tag or moves the local registry returns a new value and leaves the input as it was.
 */
import { describe, expect, it } from 'vitest';
import type { ImportOutcome } from '../../src/reconcile/plan.js';
import { planStreams } from '../../src/reconcile/plan.js';
import { cloneValue } from '../../src/reconcile/values.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const now = '2030-01-02T00:00:00Z';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A stream whose tags were imported before (status, import record and check as a pass writes them). */
function imported(tags: string[], record: string) {
  return {
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStream',
    metadata: {
      name: 'app',
      namespace: 'ns',
      annotations: { 'openshift.io/image.dockerRepositoryCheck': '2030-01-01T00:00:00Z', 'imagestreams.dev/import-spec': record },
    },
    spec: {
      tags: [
        ...tags.map((name) => ({ name, from: { kind: 'DockerImage', name: `r.io/a/b:${name}` }, importPolicy: { scheduled: true } })),
        { name: 'follow', from: { kind: 'ImageStreamTag', name: 'app:v1' } },
      ],
    },
    status: {
      dockerImageRepository: '',
      tags: [
        ...tags.map((tag) => ({
          tag,
          items: [{ created: '2030-01-01T00:00:00Z', dockerImageReference: `r.io/a/b@${digest('a')}`, image: digest('a'), generation: 1 }],
        })),
        {
          tag: 'follow',
          items: [{ created: '2030-01-01T00:00:00Z', dockerImageReference: `r.io/a/b@${digest('a')}`, image: digest('a'), generation: 1 }],
        },
      ],
    },
  };
}

function plan(value: Record<string, unknown>, results: Array<[string, ImportOutcome]>, policy: Record<string, unknown> = {}) {
  return planStreams({
    streams: [{ key: 's', namespace: 'ns', name: 'app', value }],
    tagResults: new Map([['s', new Map(results)]]),
    repositoryResults: new Map(),
    now,
    policy,
  });
}

const same: ImportOutcome = { ok: true, image: { digest: digest('a'), dockerImageReference: `r.io/a/b@${digest('a')}` } };
const moved: ImportOutcome = { ok: true, image: { digest: digest('b'), dockerImageReference: `r.io/a/b@${digest('b')}` } };
const failed: ImportOutcome = { ok: false, failure: { reason: 'NotFound', message: 'manifest unknown' } };

describe('the planner copies a status only to change it', () => {
  // The record as the first pass wrote it for these tags (read back from a first plan of an unfrozen copy).
  const record = (() => {
    const first = plan(imported(['v1', 'v2'], ''), [
      ['v1', same],
      ['v2', same],
    ]);
    const value = first.streams[0]?.value as { metadata?: { annotations?: Record<string, string> } } | undefined;
    return value?.metadata?.annotations?.['imagestreams.dev/import-spec'] ?? '';
  })();

  it('confirmed tags: the input itself comes back, nothing written', () => {
    const input = deepFreeze(imported(['v1', 'v2'], record));
    const p = plan(input, [
      ['v1', same],
      ['v2', same],
    ]);
    expect(p.streams[0]?.value).toBe(input);
    expect(p.streams[0]?.edits).toEqual([]);
  });

  it.each([
    ['a new image', [['v1', moved]] as Array<[string, ImportOutcome]>, {}],
    ['a failure', [['v2', failed]] as Array<[string, ImportOutcome]>, {}],
    [
      'a local registry (history limit 1)',
      [['v1', same]] as Array<[string, ImportOutcome]>,
      { localRegistry: 'local.io', historyLimit: 1 },
    ],
  ])('%s: a new value, the frozen input untouched', (_name, results, policy) => {
    const input = deepFreeze(imported(['v1', 'v2'], record));
    const before = cloneValue(input);
    const p = plan(input, results, policy);
    const value = p.streams[0]?.value as typeof input;
    expect(value).not.toBe(input);
    expect(input).toEqual(before);
    expect(p.streams[0]?.edits.length).toBeGreaterThan(0);
    if (results[0]?.[1] === moved) {
      expect(value.status.tags.find((t) => t.tag === 'v1')?.items[0]?.image).toBe(digest('b'));
      // The tag that tracks v1 follows it in the same pass.
      expect(value.status.tags.find((t) => t.tag === 'follow')?.items[0]?.image).toBe(digest('b'));
    }
  });
});
