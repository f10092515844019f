/**
 * Maturity in a pass (maturity.ts): an import that brings a tag a new image is adopted only once the image has been
 * known for the tag's minimum age. Until then the import's result is held back (the status keeps its image), the
 * image is recorded on the spec tag as pending, and the pass asks to be run again when it comes of age.
 */
import { findStatusTag, specTagsOf, statusTagsOf } from './accessors.js';
import { isRecord } from './objects.js';
import type { ImportOutcome } from './plan.js';
import { minAgeOf, pendingAnnotation, pendingText, readPending } from './maturity.js';
import type { StreamInput } from './due.js';
import { cloneValue } from './values.js';

/** RFC 3339 as the files write it (whole seconds print without a fraction). */
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** How callers remember a pending image between passes (`PendingReport.key`). */
export const pendingKey = (s: Pick<StreamInput, 'namespace' | 'name'>, tag: string, digest: string): string =>
  `${s.namespace}/${s.name}:${tag}@${digest}`;

export interface PendingReport {
  /** `namespace/name:tag@digest`: what a caller remembers the first-seen time under (`PassMemory.firstSeen`). */
  readonly key: string;
  readonly stream: string;
  readonly tag: string;
  readonly image: string;
  readonly since: string;
  /** When it will be adopted, if it is still the tag's image then. */
  readonly adoptAt: string;
}

/**
 * Holds back the outcomes of images not old enough (changing `tagResults` in place) and returns the streams with
 * their pending records written (or cleared once adopted), when the next pending image comes of age, and reports.
 * `moved` names the tags (`stream key`, tag) whose from.name a policy just changed: their tag's age was checked.
 */
export function applyMaturity<S extends StreamInput>(
  streams: readonly S[],
  tagResults: Map<string, Map<string, ImportOutcome>>,
  now: string,
  defaultMinAgeMs: number,
  moved: ReadonlySet<string> = new Set(),
  remembered: ReadonlyMap<string, string> = new Map(),
): { streams: S[]; nextAt: string | undefined; pending: PendingReport[] } {
  const pending: PendingReport[] = [];
  let next: number | undefined;
  const nowMs = Date.parse(now);
  const out = streams.map((s) => {
    const results = tagResults.get(s.key);
    if (!results) return s;
    let value: Record<string, unknown> | undefined;
    for (const t of specTagsOf(s.value)) {
      const o = results.get(t.name);
      const minAge = minAgeOf(t, defaultMinAgeMs);
      const recorded = readPending(t);
      // No minimum age and nothing recorded: nothing to hold back or clear (the everyday case: skip the lookups).
      if (minAge <= 0 && !recorded) continue;
      const head = findStatusTag(statusTagsOf(s.value), t.name)?.items?.[0];
      let write: string | null | undefined; // a pending text to write, null to clear, undefined to leave
      // When a new image was first seen: the record in the file, else the caller's memory (the daemon's: in
      // pull-request mode the record lives on the tool's branch, and each pass plans from the base, which lacks it).
      const memory = o?.ok ? remembered.get(pendingKey(s, t.name, o.image.digest)) : undefined;
      const seen = o?.ok && recorded?.image === o.image.digest ? recorded.seen : memory;
      if (!o?.ok || minAge <= 0 || moved.has(`${s.key} ${t.name}`) || !head || head.image === o.image.digest) {
        if (recorded && o?.ok) write = null; // adopted (or no longer needed)
      } else if (seen !== undefined && nowMs - Date.parse(seen) >= minAge) {
        if (recorded) write = null; // of age: adopt it
      } else {
        const since = seen ?? now;
        const adoptAt = Date.parse(since) + minAge;
        results.delete(t.name);
        next = Math.min(next ?? Number.POSITIVE_INFINITY, adoptAt);
        pending.push({
          key: pendingKey(s, t.name, o.image.digest),
          stream: s.key,
          tag: t.name,
          image: o.image.dockerImageReference,
          since,
          adoptAt: iso(adoptAt),
        });
        if (recorded?.image !== o.image.digest)
          write = pendingText({ image: o.image.digest, dockerImageReference: o.image.dockerImageReference, seen: since });
      }
      if (write === undefined) continue;
      value ??= cloneValue(s.value) as Record<string, unknown>;
      const spec = isRecord(value.spec) ? value.spec : {};
      const entry = (Array.isArray(spec.tags) ? spec.tags : []).find((x): x is Record<string, unknown> => isRecord(x) && x.name === t.name);
      if (!entry) continue;
      const notes: Record<string, unknown> = isRecord(entry.annotations) ? { ...entry.annotations } : {};
      if (write === null) delete notes[pendingAnnotation];
      else notes[pendingAnnotation] = write;
      if (Object.keys(notes).length === 0) delete entry.annotations;
      else entry.annotations = notes;
    }
    return value ? { ...s, value } : s;
  });
  return { streams: out, nextAt: next === undefined ? undefined : iso(next), pending };
}
