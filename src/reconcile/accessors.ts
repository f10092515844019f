/**
 * Reading the ImageStream API (model.ts) out of parsed objects: metadata, annotations, spec tags, status tags, a
 * status tag by name. Every module of the core reads streams and tags through these, so "what counts as a spec tag"
 * (a record with a string name) and "what counts as a status tag" (a record with a string tag) are said once.
 */
import type { ImportMode, NamedTagEventList, TagReference } from './model.js';
import { defaultImportMode, kinds } from './model.js';
import { isRecord } from './objects.js';

type ObjectValue = Readonly<Record<string, unknown>>;

/** `metadata`, or an empty record when it is missing or not an object. */
export function metadataOf(value: ObjectValue): Record<string, unknown> {
  return isRecord(value.metadata) ? value.metadata : {};
}

/** `spec`, or an empty record. */
export function specOf(value: ObjectValue): Record<string, unknown> {
  return isRecord(value.spec) ? value.spec : {};
}

/** `status`, or an empty record. */
export function statusOf(value: ObjectValue): Record<string, unknown> {
  return isRecord(value.status) ? value.status : {};
}

/** `metadata.name` when it is a string. */
export function nameOf(value: ObjectValue): string | undefined {
  const name = metadataOf(value).name;
  return typeof name === 'string' ? name : undefined;
}

/** An object's effective namespace: metadata.namespace, else the configured default. */
export function objectNamespace(object: { readonly value: ObjectValue }, defaultNamespace: string): string {
  const ns = metadataOf(object.value).namespace;
  return typeof ns === 'string' && ns !== '' ? ns : defaultNamespace;
}

/** `metadata.annotations` (the object itself, not a copy), or an empty record. */
export function annotationsOf(value: ObjectValue): Record<string, unknown> {
  const notes = metadataOf(value).annotations;
  return isRecord(notes) ? notes : {};
}

/** `spec.tags`: the entries that are objects with a string name, in file order. */
export function specTagsOf(value: ObjectValue): TagReference[] {
  const tags = specOf(value).tags;
  if (!Array.isArray(tags)) return [];
  return tags.filter((t): t is TagReference => isRecord(t) && typeof t.name === 'string') as TagReference[];
}

/** `status.tags`: the entries that are objects with a string tag, in file order. */
export function statusTagsOf(value: ObjectValue): NamedTagEventList[] {
  const tags = statusOf(value).tags;
  if (!Array.isArray(tags)) return [];
  return tags.filter((t): t is NamedTagEventList => isRecord(t) && typeof t.tag === 'string') as NamedTagEventList[];
}

/** Tag names a stream knows: those in spec and those in status (a pushed tag may exist only in status). */
export function streamTagNames(stream: ObjectValue): Set<string> {
  const names = new Set<string>();
  for (const t of specTagsOf(stream)) names.add(t.name);
  for (const t of statusTagsOf(stream)) names.add(t.tag);
  return names;
}

/** The spec tag of a name (the first, should a list name it twice). */
export function findSpecTag(tags: readonly TagReference[], name: string): TagReference | undefined {
  return tags.find((t) => t.name === name);
}

/** §6.1: imported from a registry. */
export const importable = (t: TagReference): boolean =>
  t.from?.kind === kinds.dockerImage && !t.reference && typeof t.from.name === 'string' && t.from.name !== '';

/** The mode the importer is asked for: what the file says, where an unset or empty mode is Legacy. */
export function importModeOf(t: TagReference): ImportMode {
  return t.importPolicy?.importMode === 'PreserveOriginal' ? 'PreserveOriginal' : defaultImportMode;
}

/**
 * Lookups by tag name without a scan of the list per lookup (a stream may hold tens of thousands of tags): an index
 * per status list, built on first use and kept up to date by `statusTagFor`, the one place that adds entries. A
 * list whose length changed behind its back is indexed again.
 */
interface TagIndex {
  readonly byName: Map<string, NamedTagEventList>;
  length: number;
  /** Whether the list is sorted by tag name (then the insertion point is found by bisection). */
  sorted: boolean;
}
const indexes = new WeakMap<readonly NamedTagEventList[], TagIndex>();

function tagIndex(tags: readonly NamedTagEventList[]): TagIndex {
  let index = indexes.get(tags);
  if (index === undefined || index.length !== tags.length) {
    const byName = new Map<string, NamedTagEventList>();
    let sorted = true;
    tags.forEach((t, i) => {
      if (!byName.has(t.tag)) byName.set(t.tag, t); // the first entry wins, as a scan would find it
      if (i > 0 && (tags[i - 1] as NamedTagEventList).tag > t.tag) sorted = false;
    });
    index = { byName, length: tags.length, sorted };
    indexes.set(tags, index);
  }
  return index;
}

/** The status entry of a tag (the first, should a list name it twice). */
export function findStatusTag(tags: readonly NamedTagEventList[], tag: string): NamedTagEventList | undefined {
  // A short list (most streams) is scanned: cheaper than building and keeping its index.
  if (tags.length <= scanned) {
    for (const t of tags) if (t.tag === tag) return t;
    return undefined;
  }
  const entry = tagIndex(tags).byName.get(tag);
  // An entry renamed in place since it was indexed: look the slow way (and index again next time).
  if (entry !== undefined && entry.tag !== tag) {
    indexes.delete(tags);
    return tags.find((t) => t.tag === tag);
  }
  return entry;
}

/** Lists this long or shorter are scanned, never indexed. */
const scanned = 16;

/** Whether a list is in name order (a short list's, checked as it is asked). */
function inOrder(tags: readonly NamedTagEventList[]): boolean {
  for (let i = 1; i < tags.length; i++) if ((tags[i - 1] as NamedTagEventList).tag > (tags[i] as NamedTagEventList).tag) return false;
  return true;
}

/** Where `tag` goes: before the first entry with a greater name. */
function insertionPoint(tags: readonly NamedTagEventList[], tag: string, sorted: boolean): number {
  if (!sorted) {
    const at = tags.findIndex((t) => t.tag > tag);
    return at === -1 ? tags.length : at;
  }
  let lo = 0;
  let hi = tags.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tags[mid] as NamedTagEventList).tag > tag) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The status entry of a tag, created in sorted position when missing (v1 lists are sorted by tag name, §1.6). */
export function statusTagFor(tags: NamedTagEventList[], tag: string): NamedTagEventList {
  let entry = findStatusTag(tags, tag);
  if (!entry) {
    entry = { tag, items: null };
    if (tags.length < scanned) {
      tags.splice(insertionPoint(tags, tag, inOrder(tags)), 0, entry);
      return entry;
    }
    const index = tagIndex(tags);
    tags.splice(insertionPoint(tags, tag, index.sorted), 0, entry);
    index.byName.set(tag, entry);
    index.length = tags.length;
  }
  return entry;
}
