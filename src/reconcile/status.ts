/**
 * OpenShift's status model for one stream, on the v1 wire shapes (semantics.md §3, §4, §6.7, §6.8, §7): the tag
 * history rule, tracking, ImageStreamImage resolution, applying import results. Functions mutate the working copy
 * they are given (the planner owns it) and say whether anything changed. Pure: the clock comes in as `now`.
 */
import { findSpecTag, findStatusTag, statusTagFor } from './accessors.js';
import type { ImageStreamSpec, ImageStreamStatus, NamedTagEventList, TagEvent, TagReference } from './model.js';
import { defaultImageTag } from './model.js';
import { isDigest, parseOpenShiftReference, repositoryOf } from './reference.js';

export const importSuccessCondition = 'ImportSuccess';

/** §4.2: compare only with items[0]; in-place updates keep `created`; any change clears conditions. */
export function addTagEvent(tags: NamedTagEventList[], tag: string, next: TagEvent): boolean {
  const entry = statusTagFor(tags, tag);
  const head = entry.items?.[0];
  if (!entry.items || entry.items.length === 0 || !head) {
    entry.items = [{ ...next }];
    delete entry.conditions;
    return true;
  }
  if (isHead(head, next)) return false;
  const sameRef = head.dockerImageReference === next.dockerImageReference;
  const sameImage = head.image === next.image;
  if (sameRef && sameImage) {
    head.generation = next.generation;
  } else if (sameRef) {
    head.image = next.image;
    head.generation = next.generation;
  } else if (sameImage) {
    head.dockerImageReference = next.dockerImageReference;
    head.generation = next.generation;
  } else {
    entry.items.unshift({ ...next });
  }
  delete entry.conditions;
  return true;
}

/** addTagEvent's one case of changing nothing: the head already is this event, generation included. */
function isHead(head: TagEvent | undefined, next: TagEvent): boolean {
  return (
    head !== undefined &&
    head.dockerImageReference === next.dockerImageReference &&
    head.image === next.image &&
    head.generation === next.generation
  );
}

/** Whether addTagEvent would change the status (when it would not, it changes nothing). */
export function tagEventChanges(tags: readonly NamedTagEventList[], tag: string, next: TagEvent): boolean {
  return !isHead(findStatusTag(tags, tag)?.items?.[0], next);
}

/** §4.4: items[0] of a tag (an empty name means `latest`). */
export function latestTaggedImage(tags: readonly NamedTagEventList[], tag: string): TagEvent | undefined {
  const name = tag === '' ? defaultImageTag : tag;
  return findStatusTag(tags, name)?.items?.[0];
}

/**
 * §7: the pull spec consumers use. `Local` gives `<status repository>@<image>`, falling back to the source pull
 * spec when the repository is empty or does not parse, or the image is empty.
 */
export function resolveLatestTaggedImage(
  tags: readonly NamedTagEventList[],
  specTags: readonly TagReference[],
  statusRepository: string,
  tag: string,
): string | undefined {
  const name = tag === '' ? defaultImageTag : tag;
  const head = latestTaggedImage(tags, name);
  if (!head) return undefined;
  const policy = findSpecTag(specTags, name)?.referencePolicy?.type;
  if (policy === 'Local' && statusRepository !== '' && head.image !== '') {
    const parsed = parseOpenShiftReference(statusRepository);
    if (parsed.ok && parsed.value.name !== '') return `${repositoryOf(parsed.value)}@${head.image}`;
  }
  return head.dockerImageReference;
}

/** §3.7: did the head of a tag's history change (any field)? A list that became empty counts as deleted. */
export function statusHeadChanged(
  oldItems: readonly TagEvent[] | null,
  newItems: readonly TagEvent[] | null,
): { changed: boolean; deleted: boolean } {
  const o = oldItems?.[0];
  const n = newItems?.[0];
  if (!n) return { changed: false, deleted: o !== undefined };
  if (!o) return { changed: true, deleted: false };
  const same =
    o.created === n.created && o.dockerImageReference === n.dockerImageReference && o.image === n.image && o.generation === n.generation;
  return { changed: !same, deleted: false };
}

/** §5.3: does a spec tag count as changed (re-derive status, re-import)? */
export function tagRefChanged(old: TagReference, next: TagReference, streamNamespace: string): boolean {
  if (next.generation === 0) return true;
  if (!next.from) return false;
  if (!old.from) return (next.from.name ?? '') !== '';
  if ((old.from.namespace || streamNamespace) !== (next.from.namespace || streamNamespace)) return true;
  if (old.from.name !== next.from.name) return true;
  if ((old.reference ?? false) !== (next.reference ?? false)) return true;
  return (old.importPolicy?.importMode ?? '') !== (next.importPolicy?.importMode ?? '');
}

/** Same-stream ImageStreamTag targets (§3.3): `<tag>` or `<thisStream>:<tag>`, namespace empty or this one. */
export function trackedTag(spec: TagReference, streamName: string, streamNamespace: string): string | undefined {
  const from = spec.from;
  if (from?.kind !== 'ImageStreamTag' || !from.name) return undefined;
  if (from.namespace && from.namespace !== streamNamespace) return undefined;
  const colon = from.name.indexOf(':');
  if (colon === -1) return from.name;
  return from.name.slice(0, colon) === streamName ? from.name.slice(colon + 1) : undefined;
}

/** §3.7: give every tag that tracks `updated` the new head; returns how many changed. */
export function updateTrackingTags(
  tags: NamedTagEventList[],
  specTags: readonly TagReference[],
  streamName: string,
  streamNamespace: string,
  updated: string,
  event: TagEvent,
): number {
  let count = 0;
  for (const spec of specTags) {
    if (spec.name === updated) continue;
    if (trackedTag(spec, streamName, streamNamespace) !== updated) continue;
    if (addTagEvent(tags, spec.name, event)) count += 1;
  }
  return count;
}

export type ResolveImageResult =
  | { ok: true; event: Pick<TagEvent, 'dockerImageReference' | 'image'> }
  | { ok: false; kind: 'not-found' | 'conflict'; message: string };

/** §3.5: an ImageStreamImage id or prefix, matched against every history item of every tag. */
export function resolveImageID(tags: readonly NamedTagEventList[], id: string): ResolveImageResult {
  const matches = new Map<string, TagEvent>();
  for (const t of tags) {
    for (const item of t.items ?? []) {
      const hex = isDigest(item.image) ? item.image.slice(item.image.indexOf(':') + 1) : undefined;
      if (item.image.startsWith(id) || hex?.startsWith(id)) {
        if (!matches.has(item.image)) matches.set(item.image, item);
      }
    }
  }
  if (matches.size === 1) {
    const [item] = matches.values();
    return { ok: true, event: { dockerImageReference: (item as TagEvent).dockerImageReference, image: (item as TagEvent).image } };
  }
  if (matches.size === 0) return { ok: false, kind: 'not-found', message: `imagestreamimage.image.openshift.io "${id}" not found` };
  return {
    ok: false,
    kind: 'conflict',
    message: `Operation cannot be fulfilled on imagestreamimage.image.openshift.io "${id}": multiple images match the prefix "${id}": ${[...matches.keys()].join(', ')}`,
  };
}

/** §6.2: the generation an import last observed for a tag. */
export function observedGeneration(entry: NamedTagEventList | undefined): number {
  const head = entry?.items?.[0]?.generation ?? 0;
  const condition = entry?.conditions?.find((c) => c.type === importSuccessCondition)?.generation ?? 0;
  return Math.max(head, condition);
}

/**
 * §6.7: a successful import. Adds the event when the tag "changed" (no status, different reference or image, or
 * a spec generation newer than the head's), and always clears the tag's conditions. Returns whether status changed.
 */
export function applyImportSuccess(
  tags: NamedTagEventList[],
  tag: string,
  specGeneration: number | null | undefined,
  event: TagEvent,
): boolean {
  const entry = findStatusTag(tags, tag);
  let any = false;
  if (importMovesHead(entry?.items?.[0], specGeneration, event)) any = addTagEvent(tags, tag, event);
  if (entry?.conditions && entry.conditions.length > 0) {
    delete entry.conditions;
    any = true;
  }
  return any;
}

/**
 * Whether applyImportSuccess would change the status (when it would not, it changes nothing): lets a caller leave a
 * status it only reads uncopied.
 */
export function importSuccessChanges(
  tags: readonly NamedTagEventList[],
  tag: string,
  specGeneration: number | null | undefined,
  event: TagEvent,
): boolean {
  const entry = findStatusTag(tags, tag);
  if (entry?.conditions && entry.conditions.length > 0) return true;
  const head = entry?.items?.[0];
  return importMovesHead(head, specGeneration, event) && !isHead(head, event);
}

/** Whether an import's event is written at all (§6.7): a new image or reference, or a newer spec generation. */
function importMovesHead(head: TagEvent | undefined, specGeneration: number | null | undefined, event: TagEvent): boolean {
  return (
    !head ||
    specGeneration == null ||
    head.dockerImageReference !== event.dockerImageReference ||
    head.image !== event.image ||
    specGeneration > head.generation
  );
}

/**
 * §6.8: a failed import. One ImportSuccess=False condition replaces the tag's conditions, unless an identical one
 * (type, status, reason and message) is already there. Items are kept. Returns whether status changed.
 */
export function applyImportFailure(
  tags: NamedTagEventList[],
  tag: string,
  failure: { reason: string; message: string },
  generation: number,
  now: string,
): boolean {
  const entry = statusTagFor(tags, tag);
  const message = failure.message || 'unknown error prevented import';
  const same = entry.conditions?.some(
    (c) => c.type === importSuccessCondition && c.status === 'False' && c.reason === failure.reason && c.message === message,
  );
  if (same) return false;
  entry.conditions = [
    { type: importSuccessCondition, status: 'False', lastTransitionTime: now, reason: failure.reason, message, generation },
  ];
  return true;
}

export interface PullSpecResolution {
  readonly pullSpec: string;
  readonly hasNewer: boolean;
  readonly hasStatus: boolean;
  readonly isTagEmpty: boolean;
}

/**
 * The richer resolution `oc describe` and ImageStreamTag reads use (lgo resolvePullSpecForTag; vectors
 * `resolvePullSpecForTag`): a tag with no image yet resolves to `<repository>:<tag>`; a spec newer than the status
 * either returns the older image flagged `hasNewer`, or (requireLatest) the spec's own DockerImage reference.
 */
export function resolvePullSpecForTag(
  stream: { readonly spec?: ImageStreamSpec; readonly status?: ImageStreamStatus },
  tag: string,
  defaultExternal: boolean,
  requireLatest: boolean,
): { ok: true; value: PullSpecResolution } | { ok: false; error: string } {
  const status = stream.status ?? {};
  const repository =
    defaultExternal && status.publicDockerImageRepository ? status.publicDockerImageRepository : (status.dockerImageRepository ?? '');
  if (repository === '') return { ok: false, error: 'no image repository has been set on the image stream status' };
  const spec = findSpecTag(stream.spec?.tags ?? [], tag);
  const latest = latestTaggedImage(status.tags ?? [], tag);
  if (!latest) return { ok: true, value: { pullSpec: `${repository}:${tag}`, hasNewer: false, hasStatus: false, isTagEmpty: true } };
  let hasNewer = false;
  if (spec && typeof spec.generation === 'number' && latest.generation < spec.generation) {
    if (requireLatest && spec.from?.kind === 'DockerImage' && spec.from.name) {
      return { ok: true, value: { pullSpec: spec.from.name, hasNewer: false, hasStatus: false, isTagEmpty: false } };
    }
    hasNewer = true;
  }
  const local = spec?.referencePolicy?.type === 'Local' && latest.image !== '';
  const parsed = local ? parseOpenShiftReference(repository) : undefined;
  const pullSpec = parsed?.ok && parsed.value.name !== '' ? `${repositoryOf(parsed.value)}@${latest.image}` : latest.dockerImageReference;
  return { ok: true, value: { pullSpec, hasNewer, hasStatus: true, isTagEmpty: false } };
}
