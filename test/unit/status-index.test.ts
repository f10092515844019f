/** Status tags are found by name through an index (src/reconcile/status.ts): the same answers a scan gives. */
import { describe, expect, it } from 'vitest';
import { findStatusTag, statusTagFor } from '../../src/reconcile/accessors.js';
import type { NamedTagEventList as StatusTag } from '../../src/reconcile/model.js';
import { addTagEvent, applyImportFailure, latestTaggedImage } from '../../src/reconcile/status.js';
import { createRng } from '../fault/prng.js';

const ev = (image: string) => ({ dockerImageReference: `r@${image}`, image, generation: 1 });

describe('status tag lookups', () => {
  it('new tags go in sorted position, however many, and are found again', () => {
    const tags: StatusTag[] = [];
    const names = Array.from({ length: 5000 }, (_, i) => `v${(i * 7919) % 5000}`);
    for (const n of names) addTagEvent(tags, n, ev(n));
    expect(tags.map((t) => t.tag)).toEqual([...names].sort());
    for (const n of names) expect(latestTaggedImage(tags, n)?.image).toBe(n);
    expect(findStatusTag(tags, 'missing')).toBeUndefined();
  });

  it('an unsorted list (written by hand) gets the entry before the first greater name, as a scan would put it', () => {
    const tags: StatusTag[] = [
      { tag: 'c', items: null },
      { tag: 'a', items: null },
      { tag: 'e', items: null },
    ];
    statusTagFor(tags, 'b');
    statusTagFor(tags, 'd');
    expect(tags.map((t) => t.tag)).toEqual(['b', 'c', 'a', 'd', 'e']);
  });

  it('a name listed twice resolves to its first entry; a list changed behind the index is indexed again', () => {
    const first: StatusTag = { tag: 'x', items: null };
    const tags: StatusTag[] = [first, { tag: 'x', items: null }];
    expect(findStatusTag(tags, 'x')).toBe(first);
    tags.push({ tag: 'y', items: null });
    expect(findStatusTag(tags, 'y')).toBe(tags[2]);
    (tags[2] as StatusTag).tag = 'z'; // renamed in place
    expect(findStatusTag(tags, 'y')).toBeUndefined();
    expect(findStatusTag(tags, 'z')).toBe(tags[2]);
    applyImportFailure(tags, 'w', { reason: 'NotFound', message: 'gone' }, 2, '2024-01-01T00:00:00Z');
    expect(findStatusTag(tags, 'w')?.conditions?.[0]?.reason).toBe('NotFound');
  });

  it('short lists (scanned) and long ones (indexed) answer as a scan does, across the length where one becomes the other', () => {
    const rng = createRng(11);
    for (let round = 0; round < 400; round++) {
      const tags: StatusTag[] = [];
      const model: StatusTag[] = [];
      const sorted = rng.chance(0.7);
      for (let i = 0; i < rng.int(0, 30); i++) {
        const name = `t${rng.int(0, 40)}`;
        if (sorted || rng.chance(0.5)) {
          // Added by the planner: before the first greater name, as a scan would put it (sorted or not).
          statusTagFor(tags, name);
          if (!model.some((t) => t.tag === name)) {
            const at = model.findIndex((t) => t.tag > name);
            model.splice(at === -1 ? model.length : at, 0, { tag: name, items: null });
          }
        } else {
          tags.push({ tag: name, items: null }); // a hand-written order, duplicates and all
          model.push({ tag: name, items: null });
        }
        const probe = `t${rng.int(0, 40)}`;
        expect(findStatusTag(tags, probe)?.tag).toBe(model.find((t) => t.tag === probe)?.tag);
        expect(tags.indexOf(findStatusTag(tags, probe) as StatusTag)).toBe(model.findIndex((t) => t.tag === probe));
      }
      expect(tags.map((t) => t.tag)).toEqual(model.map((t) => t.tag));
    }
  });
});
