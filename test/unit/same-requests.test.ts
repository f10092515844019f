/**
 * distinctRequests (src/import/same-requests.ts): requests are the same import exactly when every field that shapes
 * an import is equal. Checked against the plain definition (a key over all those fields) on random batches.
 */
import { describe, expect, it } from 'vitest';
import type { ImportRequest } from '../../src/import/types.js';
import { distinctRequests } from '../../src/import/same-requests.js';
import { createRng } from '../fault/prng.js';

const key = (r: ImportRequest): string =>
  JSON.stringify([
    r.from,
    r.importMode,
    r.insecure === true,
    r.preferArch ?? null,
    r.preferArch === undefined,
    r.preferOs ?? null,
    r.preferOs === undefined,
    r.known ?? null,
  ]);

describe('distinctRequests', () => {
  it('gives each distinct request once, in first-seen order, and every request its own', () => {
    const rng = createRng(7);
    for (let round = 0; round < 300; round++) {
      const requests: ImportRequest[] = Array.from({ length: rng.int(0, 60) }, () => {
        const r: Record<string, unknown> = {
          from: rng.pick(['quay.io/a/b:1', 'quay.io/a/b:2', 'ruby', 'docker.io/library/ruby']),
          importMode: rng.pick(['Legacy', 'PreserveOriginal']),
          insecure: rng.chance(0.3),
        };
        if (rng.chance(0.3)) r.preferArch = rng.pick(['amd64', 'arm64', '']);
        if (rng.chance(0.2)) r.preferOs = rng.pick(['linux', '']);
        if (rng.chance(0.5)) r.known = rng.pick([`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]);
        return r as unknown as ImportRequest;
      });
      const { unique, slots } = distinctRequests(requests);
      const firstSeen = new Map<string, number>();
      for (const r of requests) if (!firstSeen.has(key(r))) firstSeen.set(key(r), firstSeen.size);
      expect(unique.map(key)).toEqual([...firstSeen.keys()]);
      expect(slots).toEqual(requests.map((r) => firstSeen.get(key(r))));
      for (const [i, r] of requests.entries()) expect(key(unique[slots[i] as number] as ImportRequest)).toBe(key(r));
    }
  });

  it('an unset platform preference is not the same as an empty one', () => {
    const a = { from: 'x', importMode: 'Legacy', insecure: false } as ImportRequest;
    const b = { ...a, preferArch: '' } as ImportRequest;
    expect(distinctRequests([a, b, a]).slots).toEqual([0, 1, 0]);
  });
});
