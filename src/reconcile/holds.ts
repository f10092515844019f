/**
 * Holds (docs/policies.md#holds): a spec tag annotation that keeps a tag where it is.
 *
 *     imagestreams.dev/hold: "true"
 *     imagestreams.dev/hold: '{"until": "2027-01-10T00:00:00Z", "reason": "freeze for the launch"}'
 *     imagestreams.dev/hold: '{"image": "quay.io/shop/web@sha256:…", "reason": "rolled back in deploy/web.yaml"}'
 *
 * While a hold is active the tag is not imported and its policy does not move `from.name`. With an `image`, the
 * consumers of the tag (triggers, lookup, markers, kustomize images) get that image instead of the newest one: that
 * is how a person's rollback of a workload is kept (the pass writes such a hold when it sees one) rather than undone.
 * The stream's status is what OpenShift's importer would write either way; only what consumers get is held.
 */
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { isRecord } from './objects.js';
import { parseOpenShiftReference } from './reference.js';
import type { TagReference } from './model.js';
import { cloneValue } from './values.js';

export const holdAnnotation = 'imagestreams.dev/hold';

export interface Hold {
  /** The hold ends at this time (RFC 3339); without it, it lasts until removed. */
  readonly until?: string;
  readonly reason?: string;
  /** The pull spec consumers get while the hold lasts (a rollback); without it, they keep what the status says. */
  readonly image?: string;
  /** When the hold was placed (written by the tool). */
  readonly since?: string;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function readHold(tag: Pick<TagReference, 'annotations'>): { ok: true; hold: Hold } | { ok: false; error: string } | undefined {
  const raw = isRecord(tag.annotations) ? tag.annotations[holdAnnotation] : undefined;
  if (raw === undefined) return undefined;
  if (raw === 'true') return { ok: true, hold: {} };
  if (typeof raw !== 'string') return { ok: false, error: `${holdAnnotation} must be "true" or a JSON object` };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      error: `${holdAnnotation} must be "true" or a JSON object such as {"until": "2027-01-10T00:00:00Z", "reason": "..."}`,
    };
  }
  if (!isRecord(v)) return { ok: false, error: `${holdAnnotation} must be "true" or a JSON object` };
  const extra = Object.keys(v).filter((k) => !['until', 'reason', 'image', 'since'].includes(k));
  if (extra.length > 0) return { ok: false, error: `${holdAnnotation} has unknown field ${extra.map((k) => `"${k}"`).join(', ')}` };
  for (const k of ['until', 'since'] as const)
    if (v[k] !== undefined && (typeof v[k] !== 'string' || !rfc3339.test(v[k] as string) || Number.isNaN(Date.parse(v[k] as string))))
      return { ok: false, error: `${holdAnnotation}: "${k}" must be an RFC 3339 time such as 2027-01-10T00:00:00Z` };
  if (v.reason !== undefined && typeof v.reason !== 'string') return { ok: false, error: `${holdAnnotation}: "reason" must be a string` };
  if (v.image !== undefined && (typeof v.image !== 'string' || !parseOpenShiftReference(v.image).ok))
    return { ok: false, error: `${holdAnnotation}: "image" must be a pull spec` };
  return { ok: true, hold: v as Hold };
}

/** The tag's hold when it is active at `now`. */
export function heldAt(tag: Pick<TagReference, 'annotations'>, now: string): Hold | undefined {
  const read = readHold(tag);
  if (!read?.ok) return undefined;
  if (read.hold.until !== undefined && Date.parse(read.hold.until) <= Date.parse(now)) return undefined;
  return read.hold;
}

/** The annotation text of a hold, as the tool writes it (stable field order). */
export function holdText(hold: Hold): string {
  const ordered: Record<string, string> = {};
  for (const k of ['image', 'reason', 'since', 'until'] as const) if (hold[k] !== undefined) ordered[k] = hold[k] as string;
  return Object.keys(ordered).length === 0 ? 'true' : JSON.stringify(ordered);
}

export function validateHold(tag: TagReference, base: string): Finding[] {
  const read = readHold(tag);
  if (!read || read.ok) return [];
  return [finding('invalid-hold', `${base}/annotations/${holdAnnotation.replace(/\//g, '~1')}`, read.error)];
}

/**
 * The stream with a hold written on its spec tag (`hold` verb). `undefined` when the stream has no such spec tag.
 * An image, when given, must be one of the tag's history (the pull spec consumers then get).
 */
export function withHold(
  stream: Readonly<Record<string, unknown>>,
  tag: string,
  hold: Hold,
): { value: Record<string, unknown> } | { error: string } {
  const value = cloneValue(stream) as Record<string, unknown>;
  const spec = isRecord(value.spec) ? value.spec : {};
  const entry = (Array.isArray(spec.tags) ? spec.tags : []).find((t): t is Record<string, unknown> => isRecord(t) && t.name === tag);
  if (!entry) return { error: `the stream has no spec tag "${tag}" to hold` };
  entry.annotations = { ...(isRecord(entry.annotations) ? entry.annotations : {}), [holdAnnotation]: holdText(hold) };
  return { value };
}

/**
 * The stream with the hold on a spec tag removed (`unhold` verb). A policy tag whose from.name a person moved away
 * from the policy's last choice has that position accepted as the new starting point, so the policy resumes from
 * it rather than holding again.
 */
export function withoutHold(
  stream: Readonly<Record<string, unknown>>,
  tag: string,
  choiceAnnotation: string,
  currentTag: string | undefined,
): { value: Record<string, unknown>; held: boolean } | { error: string } {
  const value = cloneValue(stream) as Record<string, unknown>;
  const spec = isRecord(value.spec) ? value.spec : {};
  const entry = (Array.isArray(spec.tags) ? spec.tags : []).find((t): t is Record<string, unknown> => isRecord(t) && t.name === tag);
  if (!entry) return { error: `the stream has no spec tag "${tag}"` };
  const notes: Record<string, unknown> = isRecord(entry.annotations) ? { ...entry.annotations } : {};
  const held = holdAnnotation in notes;
  delete notes[holdAnnotation];
  if (choiceAnnotation in notes && currentTag !== undefined) notes[choiceAnnotation] = currentTag;
  if (Object.keys(notes).length === 0) delete entry.annotations;
  else entry.annotations = notes;
  return { value, held };
}
