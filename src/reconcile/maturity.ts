/**
 * Maturity (docs/policies.md#maturity): a new image is adopted only once this tool has known it for a minimum age,
 * so a bad push that is replaced within the hour never lands.
 *
 *     imagestreams.dev/min-age: 1h      (on a spec tag; reconcile.minAge is the default for every tag)
 *
 * While an image is younger, it is recorded on the tag as pending (`imagestreams.dev/pending`: the digest, the pull
 * spec and when it was first seen), the status keeps the image it had, and the pass's next due time is when the
 * pending image comes of age. The first-seen time lives in an annotation, not in the status history: the history
 * holds what OpenShift's importer would have adopted, and everything in it is what consumers may get.
 */
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { parseGoDuration } from './duration.js';
import { isRecord } from './objects.js';
import type { TagReference } from './model.js';

export const minAgeAnnotation = 'imagestreams.dev/min-age';
export const pendingAnnotation = 'imagestreams.dev/pending';

export interface Pending {
  readonly image: string;
  readonly dockerImageReference: string;
  readonly seen: string;
}

/** The tag's minimum age in milliseconds (its annotation, else the default); 0 for none. */
export function minAgeOf(tag: { readonly annotations?: unknown }, defaultMs: number): number {
  const raw = isRecord(tag.annotations) ? tag.annotations[minAgeAnnotation] : undefined;
  if (typeof raw !== 'string') return defaultMs;
  const ms = parseGoDuration(raw.trim());
  return ms === undefined || ms < 0 ? defaultMs : ms;
}

export function readPending(tag: { readonly annotations?: unknown }): Pending | undefined {
  const raw = isRecord(tag.annotations) ? tag.annotations[pendingAnnotation] : undefined;
  if (typeof raw !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (isRecord(v) && typeof v.image === 'string' && typeof v.dockerImageReference === 'string' && typeof v.seen === 'string')
      return { image: v.image, dockerImageReference: v.dockerImageReference, seen: v.seen };
  } catch {
    // not ours to judge here: validate reports it
  }
  return undefined;
}

export function pendingText(p: Pending): string {
  return JSON.stringify({ image: p.image, dockerImageReference: p.dockerImageReference, seen: p.seen });
}

export function validateMinAge(tag: TagReference, base: string): Finding[] {
  const raw = isRecord(tag.annotations) ? tag.annotations[minAgeAnnotation] : undefined;
  if (raw === undefined) return [];
  const ms = typeof raw === 'string' ? parseGoDuration(raw.trim()) : undefined;
  if (ms !== undefined && ms >= 0) return [];
  return [
    finding(
      'invalid-min-age',
      `${base}/annotations/${minAgeAnnotation.replace(/\//g, '~1')}`,
      `${minAgeAnnotation}: ${JSON.stringify(raw)} is not a duration such as 30m, 1h or 24h`,
    ),
  ];
}
