/**
 * The planner leaves a stream's status uncopied while nothing changes it (src/reconcile/plan.ts `writableStatus`),
 * which is only right if the predicates say "no change" exactly when the mutators would change nothing. Checked on
 * random statuses against the mutators themselves, on a copy: whenever a predicate says no, the mutator must say no
 * and leave its copy as it was.
 */
import { describe, expect, it } from 'vitest';
import type { NamedTagEventList, TagEvent } from '../../src/reconcile/model.js';
import { addTagEvent, applyImportSuccess, importSuccessChanges, tagEventChanges } from '../../src/reconcile/status.js';
import { cloneValue } from '../../src/reconcile/values.js';
import { createRng } from '../fault/prng.js';
import type { Rng } from '../fault/prng.js';

const refs = ['r.io/a/b:1', 'r.io/a/b@sha256:aa', 'r.io/a/c:1'];
const images = ['sha256:aa', 'sha256:bb', ''];
const names = ['v1', 'v2', 'latest'];

function randomEvent(rng: Rng): TagEvent {
  const e: Record<string, unknown> = { created: '2030-01-01T00:00:00Z', dockerImageReference: rng.pick(refs), image: rng.pick(images) };
  // Generations as files hold them: mostly numbers, sometimes missing or not a number at all.
  const g = rng.weighted<unknown>([
    [rng.int(0, 4), 8],
    [undefined, 1],
    ['3', 1],
  ]);
  if (g !== undefined) e.generation = g;
  return e as unknown as TagEvent;
}

function randomStatus(rng: Rng): NamedTagEventList[] {
  const tags: NamedTagEventList[] = [];
  for (const tag of names) {
    if (rng.chance(0.3)) continue;
    const entry: Record<string, unknown> = { tag };
    if (rng.chance(0.85)) entry.items = Array.from({ length: rng.int(0, 3) }, () => randomEvent(rng));
    if (rng.chance(0.25))
      entry.conditions = rng.chance(0.5)
        ? []
        : [
            {
              type: 'ImportSuccess',
              status: 'False',
              reason: 'NotFound',
              message: 'x',
              generation: 1,
              lastTransitionTime: '2030-01-01T00:00:00Z',
            },
          ];
    tags.push(entry as unknown as NamedTagEventList);
  }
  return tags;
}

describe('status predicates (the planner copies a status only when it changes)', () => {
  it('importSuccessChanges is false only where applyImportSuccess changes nothing', () => {
    const rng = createRng(20261204);
    let unchanged = 0;
    for (let i = 0; i < 20_000; i++) {
      const tags = randomStatus(rng);
      const tag = rng.pick(names);
      const spec = rng.weighted<number | null | undefined>([
        [rng.int(0, 4), 6],
        [null, 2],
        [undefined, 1],
      ]);
      // Half the time the import found what the tag shows (a warm pass), with or without a newer generation.
      const shown = tags.find((t) => t.tag === tag)?.items?.[0];
      const event = shown && rng.chance(0.5) ? { ...shown, generation: rng.int(0, 4) } : randomEvent(rng);
      const before = cloneValue(tags);
      const copy = cloneValue(tags);
      const changed = applyImportSuccess(copy, tag, spec, event);
      const predicted = importSuccessChanges(tags, tag, spec, event);
      expect(tags).toEqual(before); // the predicate only reads
      if (!predicted) {
        unchanged += 1;
        expect(changed, JSON.stringify({ tags, tag, spec, event })).toBe(false);
        expect(copy).toEqual(before);
      }
      // Where the mutator does change something, the predicate must have said so.
      if (changed) expect(predicted).toBe(true);
    }
    expect(unchanged).toBeGreaterThan(1_000); // the cases that matter (nothing new) are well covered
  });

  it('tagEventChanges is false only where addTagEvent changes nothing', () => {
    const rng = createRng(42);
    let unchanged = 0;
    for (let i = 0; i < 20_000; i++) {
      const tags = randomStatus(rng);
      const tag = rng.pick(names);
      const next = rng.chance(0.5) ? randomEvent(rng) : { ...(tags[0]?.items?.[0] ?? randomEvent(rng)) };
      const before = cloneValue(tags);
      const copy = cloneValue(tags);
      const changed = addTagEvent(copy, tag, next);
      const predicted = tagEventChanges(tags, tag, next);
      expect(tags).toEqual(before);
      if (!predicted) {
        unchanged += 1;
        expect(changed).toBe(false);
        expect(copy).toEqual(before);
      }
      if (changed) expect(predicted).toBe(true);
    }
    expect(unchanged).toBeGreaterThan(1_000);
  });
});
