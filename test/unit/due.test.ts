/** The due rule (semantics §6.3, §6.13) against tag-events.json, plus the record-based change detection (§13.3). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dueImports, parseInterval } from '../../src/reconcile/due.js';
import type { StreamInput } from '../../src/reconcile/due.js';
import { formatImportRecord, importRecordAnnotation, tagSpecHash } from '../../src/reconcile/import-record.js';
import { parseCronSchedule } from '../../src/render/cron.js';

type Stream = {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: unknown;
};
const groups = (
  JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as {
    groups: Record<string, { cases: Array<Record<string, unknown>> }>;
  }
).groups;
const input = (s: Stream): StreamInput => ({
  key: 'k',
  namespace: s.metadata.namespace,
  name: s.metadata.name,
  value: s as unknown as Record<string, unknown>,
});
const now = '2024-05-01T12:00:00Z';

describe('controllerImportDecision (§6.3)', () => {
  for (const c of groups.controllerImportDecision?.cases ?? []) {
    it(String(c.name), () => {
      // The vectors leave scheduling out; so does this run (everything was just checked).
      const { imports } = dueImports([input(c.stream as Stream)], { now });
      const expected = c.expectedImportSpec as null | {
        images: Array<{ from: { name: string }; to: string; importPolicy: { insecure?: boolean } }>;
        repository?: { from: { name: string }; importPolicy: { insecure?: boolean } };
      };
      if (expected === null) {
        expect(imports).toEqual([]);
        return;
      }
      expect(imports.filter((i) => i.kind === 'tag').map((i) => [i.kind === 'tag' ? i.tag : '', i.from])).toEqual(
        expected.images.map((i) => [i.to, i.from.name]),
      );
      const repo = imports.find((i) => i.kind === 'repository');
      if (expected.repository)
        expect(repo).toMatchObject({ from: expected.repository.from.name, insecure: expected.repository.importPolicy.insecure === true });
      else expect(repo).toBeUndefined();
    });
  }
});

describe('scheduledImport (§6.13)', () => {
  for (const c of groups.scheduledImport?.cases ?? []) {
    it(String(c.name), () => {
      // A one-shot run remembers no checks: every scheduled tag that still needs scheduling is due.
      const { imports } = dueImports([input(c.stream as Stream)], { now });
      expect(imports.some((i) => i.reason === 'scheduled')).toBe(c.needsScheduling);
    });
  }
});

describe('record-based change detection and scheduling', () => {
  const stream = (tags: unknown[], record?: Record<string, string>, status?: unknown): Stream => ({
    metadata: {
      name: 'app',
      namespace: 'ns',
      ...(record ? { annotations: { [importRecordAnnotation]: formatImportRecord(new Map(Object.entries(record))) } } : {}),
    },
    spec: { tags },
    ...(status ? { status } : {}),
  });
  const tag = { name: '1', from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } };
  const hash = tagSpecHash(tag, 'ns');
  const imported = {
    tags: [
      {
        tag: '1',
        items: [
          { created: now, dockerImageReference: `quay.io/a/b@sha256:${'a'.repeat(64)}`, image: `sha256:${'a'.repeat(64)}`, generation: 2 },
        ],
      },
    ],
  };

  it('imports a tag never imported, not one whose recorded spec is unchanged', () => {
    expect(dueImports([input(stream([tag]))], { now }).imports).toMatchObject([{ tag: '1', reason: 'never-imported' }]);
    expect(dueImports([input(stream([tag], { 1: hash }, imported))], { now }).imports).toEqual([]);
  });
  it('re-imports when from changes, but not for referencePolicy, insecure or scheduled (§5.3)', () => {
    const moved = { ...tag, from: { kind: 'DockerImage', name: 'quay.io/a/b:2' } };
    expect(dueImports([input(stream([moved], { 1: hash }, imported))], { now }).imports).toMatchObject([
      { reason: 'spec-changed', from: 'quay.io/a/b:2' },
    ]);
    const cosmetic = { ...tag, referencePolicy: { type: 'Local' }, importPolicy: { insecure: true } };
    expect(dueImports([input(stream([cosmetic], { 1: hash }, imported))], { now }).imports).toEqual([]);
  });
  it('generation: 0 asks for a re-import', () => {
    expect(dueImports([input(stream([{ ...tag, generation: 0 }], { 1: hash }, imported))], { now }).imports).toMatchObject([
      { reason: 'generation-zero' },
    ]);
  });
  it('scheduled tags are due after the interval (global or per stream), and nextDueAt says when', () => {
    const scheduled = { ...tag, importPolicy: { scheduled: true } };
    const checked = new Map([['ns/app:1', '2024-05-01T11:50:00Z']]);
    const s = input(stream([scheduled], { 1: hash }, imported));
    expect(dueImports([s], { now, lastChecked: checked })).toEqual({ imports: [], nextDueAt: '2024-05-01T12:05:00.000Z' });
    expect(dueImports([s], { now, lastChecked: checked, scheduleIntervalMs: 5 * 60_000 }).imports).toMatchObject([{ reason: 'scheduled' }]);
    const fast = stream([scheduled], { 1: hash }, imported);
    fast.metadata.annotations = { ...fast.metadata.annotations, 'imagestreams.dev/import-interval': '5m' };
    expect(dueImports([input(fast)], { now, lastChecked: checked }).imports).toMatchObject([{ reason: 'scheduled' }]);
  });
  it('a scheduled check carries the image the status shows (known), only when that import succeeded for this spec', () => {
    const scheduled = { ...tag, importPolicy: { scheduled: true } };
    const image = `sha256:${'a'.repeat(64)}`;
    const due = (s: Stream) => dueImports([input(s)], { now }).imports;
    expect(due(stream([scheduled], { 1: hash }, imported))).toMatchObject([{ reason: 'scheduled', known: image }]);
    // Failed since: the condition says the last import did not give that image; the check imports in full.
    const failed = {
      tags: [
        {
          ...imported.tags[0],
          conditions: [{ type: 'ImportSuccess', status: 'False', reason: 'NotFound', message: 'gone', generation: 2 }],
        },
      ],
    };
    expect(due(stream([scheduled], { 1: hash }, failed))[0]).not.toHaveProperty('known');
    // A changed spec, a re-import asked for, a forced run: none of them is a check of the same import.
    const moved = { ...scheduled, from: { kind: 'DockerImage', name: 'quay.io/a/b:2' } };
    expect(due(stream([moved], { 1: hash }, imported))[0]).toMatchObject({ reason: 'spec-changed' });
    expect(due(stream([moved], { 1: hash }, imported))[0]).not.toHaveProperty('known');
    expect(due(stream([{ ...scheduled, generation: 0 }], { 1: hash }, imported))[0]).not.toHaveProperty('known');
    const forced = dueImports([input(stream([scheduled], { 1: hash }, imported))], { now, forceImport: true }).imports;
    expect(forced[0]).toMatchObject({ reason: 'forced' });
    expect(forced[0]).not.toHaveProperty('known');
    // An item with no image (a DockerImage reference tag) is nothing to confirm.
    const bare = { tags: [{ tag: '1', items: [{ created: now, dockerImageReference: 'quay.io/a/b:1', image: '', generation: 2 }] }] };
    expect(due(stream([scheduled], { 1: hash }, bare))[0]).not.toHaveProperty('known');
  });
  it('a pinned digest stops being scheduled once imported', () => {
    const pinned = {
      name: '1',
      from: { kind: 'DockerImage', name: `quay.io/a/b@sha256:${'a'.repeat(64)}` },
      importPolicy: { scheduled: true },
    };
    expect(dueImports([input(stream([pinned], { 1: tagSpecHash(pinned, 'ns') }, imported))], { now }).imports).toEqual([]);
  });
  it('the insecure annotation of the stream applies to every tag (§13.7), prefer-arch/os come from the tag', () => {
    const s = stream([{ ...tag, annotations: { 'importer.image.openshift.io/prefer-arch': 'arm64' } }]);
    s.metadata.annotations = { 'openshift.io/image.insecureRepository': 'true' };
    expect(dueImports([input(s)], { now }).imports).toMatchObject([{ insecure: true, preferArch: 'arm64' }]);
  });
  it('--force-import imports every importable tag', () => {
    expect(
      dueImports(
        [input(stream([tag, { name: 'r', reference: true, from: { kind: 'DockerImage', name: 'x:1' } }], { 1: hash }, imported))],
        { now, forceImport: true },
      ).imports,
    ).toMatchObject([{ tag: '1', reason: 'forced' }]);
  });
  describe('a per-stream cron schedule (imagestreams.dev/import-schedule)', () => {
    const scheduled = { ...tag, importPolicy: { scheduled: true } };
    const withNotes = (notes: Record<string, string>): StreamInput => {
      const s = stream([scheduled], { 1: hash }, imported);
      s.metadata.annotations = { ...s.metadata.annotations, ...notes };
      return input(s);
    };
    const every5 = withNotes({ 'imagestreams.dev/import-schedule': '*/5 * * * *' });
    const at = (hm: string): Map<string, string> => new Map([['ns/app:1', `2024-05-01T${hm}Z`]]);

    it('is due once a scheduled time has come since the last check, and nextDueAt is that time', () => {
      // Checked 11:58; 12:00 has come: due now, and the next one after now is 12:05.
      expect(dueImports([every5], { now, lastChecked: at('11:58:00'), parseSchedule: parseCronSchedule })).toEqual({
        imports: [expect.objectContaining({ tag: '1', reason: 'scheduled' })],
        nextDueAt: '2024-05-01T12:05:00.000Z',
      });
      // Checked 12:00:00 exactly (the tick itself): nothing until 12:05, though 15 minutes have not passed either.
      expect(dueImports([every5], { now: '2024-05-01T12:04:59Z', lastChecked: at('12:00:00'), parseSchedule: parseCronSchedule })).toEqual({
        imports: [],
        nextDueAt: '2024-05-01T12:05:00.000Z',
      });
      // Never checked (a one-shot run): due now, like an interval.
      expect(dueImports([every5], { now, parseSchedule: parseCronSchedule }).imports).toMatchObject([{ reason: 'scheduled' }]);
    });
    it('replaces the interval, in both directions: sooner than 15 minutes, and later', () => {
      const daily = withNotes({ 'imagestreams.dev/import-schedule': '0 6 * * *' });
      // The default interval would have made this due (checked 11:00, 15 minutes ran out at 11:15); the schedule does not.
      expect(dueImports([daily], { now, lastChecked: at('11:00:00'), parseSchedule: parseCronSchedule })).toEqual({
        imports: [],
        nextDueAt: '2024-05-02T06:00:00.000Z',
      });
      expect(dueImports([daily], { now, lastChecked: at('11:00:00') }).imports).toMatchObject([{ reason: 'scheduled' }]);
      expect(
        dueImports([daily], { now: '2024-05-02T06:00:00Z', lastChecked: at('11:00:00'), parseSchedule: parseCronSchedule }).imports,
      ).toMatchObject([{ reason: 'scheduled' }]);
    });
    it('the earliest of several streams is nextDueAt, schedules and intervals mixed', () => {
      const interval = { ...withNotes({ 'imagestreams.dev/import-interval': '2m' }), key: 'k2', name: 'other' };
      const checked = new Map([...at('11:58:30'), ['ns/other:1', '2024-05-01T11:59:30Z']]);
      expect(
        dueImports([every5, interval], { now: '2024-05-01T11:59:45Z', lastChecked: checked, parseSchedule: parseCronSchedule }),
      ).toEqual({ imports: [], nextDueAt: '2024-05-01T12:00:00.000Z' });
    });
    it('only tags with importPolicy.scheduled are scheduled; a pinned digest stops after its import', () => {
      const s = stream([tag], { 1: hash }, imported);
      s.metadata.annotations = { ...s.metadata.annotations, 'imagestreams.dev/import-schedule': '* * * * *' };
      expect(dueImports([input(s)], { now, lastChecked: at('11:00:00'), parseSchedule: parseCronSchedule })).toEqual({
        imports: [],
        nextDueAt: undefined,
      });
    });
    it('without a parser, or with an expression it refuses, the interval applies; with both annotations the schedule wins', () => {
      const bad = withNotes({ 'imagestreams.dev/import-schedule': 'every five minutes' });
      expect(dueImports([bad], { now, lastChecked: at('11:50:00'), parseSchedule: parseCronSchedule })).toEqual({
        imports: [],
        nextDueAt: '2024-05-01T12:05:00.000Z',
      });
      expect(dueImports([every5], { now: '2024-05-01T12:01:00Z', lastChecked: at('11:58:00') }).imports).toEqual([]);
      const both = withNotes({ 'imagestreams.dev/import-schedule': '*/5 * * * *', 'imagestreams.dev/import-interval': '1h' });
      expect(dueImports([both], { now, lastChecked: at('11:58:00'), parseSchedule: parseCronSchedule }).imports).toMatchObject([
        { reason: 'scheduled' },
      ]);
    });
  });
  it('reads intervals', () => {
    expect(parseInterval('90s')).toBe(90_000);
    expect(parseInterval('2h')).toBe(7_200_000);
    expect(parseInterval('30s')).toBeUndefined();
    expect(parseInterval('soon')).toBeUndefined();
  });
});
