/** Maturity (src/reconcile/pass-maturity.ts): the file's pending record, or the caller's memory where the file lacks it. */
import { describe, expect, it } from 'vitest';
import { applyMaturity, pendingKey } from '../../src/reconcile/pass-maturity.js';
import type { ImportOutcome } from '../../src/reconcile/plan.js';

const oldDigest = `sha256:${'1'.repeat(64)}`;
const newDigest = `sha256:${'2'.repeat(64)}`;
const stream = (annotations: Record<string, string> = {}) => ({
  key: 's.yaml#0',
  namespace: 'shop',
  name: 'web',
  value: {
    spec: {
      tags: [
        { name: 'prod', annotations: { 'imagestreams.dev/min-age': '1h', ...annotations }, from: { kind: 'DockerImage', name: 'q/web:1' } },
      ],
    },
    status: {
      tags: [{ tag: 'prod', items: [{ created: 'x', dockerImageReference: `q/web@${oldDigest}`, image: oldDigest, generation: 1 }] }],
    },
  },
});
const results = (): Map<string, Map<string, ImportOutcome>> =>
  new Map([
    [
      's.yaml#0',
      new Map<string, ImportOutcome>([['prod', { ok: true, image: { digest: newDigest, dockerImageReference: `q/web@${newDigest}` } }]]),
    ],
  ]);

const notesOf = (value: Readonly<Record<string, unknown>> | undefined): Record<string, string> | undefined =>
  ((value?.spec ?? { tags: [] }) as { tags: Array<{ annotations?: Record<string, string> }> }).tags[0]?.annotations;

describe('maturity', () => {
  it('holds a new digest back and records it as pending, with the next due time at its coming of age', () => {
    const r = results();
    const out = applyMaturity([stream()], r, '2024-06-01T10:00:00Z', 0);
    expect(r.get('s.yaml#0')?.has('prod')).toBe(false);
    expect(out.nextAt).toBe('2024-06-01T11:00:00Z');
    expect(out.pending).toEqual([
      {
        key: pendingKey(stream(), 'prod', newDigest),
        stream: 's.yaml#0',
        tag: 'prod',
        image: `q/web@${newDigest}`,
        since: '2024-06-01T10:00:00Z',
        adoptAt: '2024-06-01T11:00:00Z',
      },
    ]);
    const notes = notesOf(out.streams[0]?.value);
    expect(JSON.parse(notes?.['imagestreams.dev/pending'] ?? '{}')).toEqual({
      image: newDigest,
      dockerImageReference: `q/web@${newDigest}`,
      seen: '2024-06-01T10:00:00Z',
    });
  });

  it("takes the first-seen time from the caller's memory when the file has no record (pull-request mode plans from the base)", () => {
    const key = pendingKey(stream(), 'prod', newDigest);
    const young = results();
    const a = applyMaturity([stream()], young, '2024-06-01T10:30:00Z', 0, new Set(), new Map([[key, '2024-06-01T10:00:00Z']]));
    expect(a.pending[0]).toMatchObject({ since: '2024-06-01T10:00:00Z', adoptAt: '2024-06-01T11:00:00Z' });
    const aged = results();
    const b = applyMaturity([stream()], aged, '2024-06-01T11:01:00Z', 0, new Set(), new Map([[key, '2024-06-01T10:00:00Z']]));
    expect(b.pending).toEqual([]);
    expect(aged.get('s.yaml#0')?.has('prod')).toBe(true);
  });

  it('adopts once the recorded image is old enough, and clears the record', () => {
    const recorded = JSON.stringify({ image: newDigest, dockerImageReference: `q/web@${newDigest}`, seen: '2024-06-01T10:00:00Z' });
    const r = results();
    const out = applyMaturity([stream({ 'imagestreams.dev/pending': recorded })], r, '2024-06-01T11:00:00Z', 0);
    expect(r.get('s.yaml#0')?.has('prod')).toBe(true);
    const notes = notesOf(out.streams[0]?.value);
    expect(notes).toEqual({ 'imagestreams.dev/min-age': '1h' });
  });
});
