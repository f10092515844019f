/**
 * What the `oc`-style verbs write into stream definitions (reference documents: `oc tag`, `oc import-image`,
 * `oc set image-lookup`, rollback, prune). Pure: values in, new values out; the CLI renders them byte-exactly.
 */
import { isRecord } from './objects.js';
import { parseOpenShiftReference } from './reference.js';
import type { SpecTag, StatusTag } from './status.js';
import { latestTaggedImage } from './status.js';

export type SourceKind = 'docker' | 'imagestreamtag' | 'imagestreamimage';

export type TagSource =
  | { readonly kind: 'DockerImage'; readonly name: string }
  | { readonly kind: 'ImageStreamTag'; readonly namespace: string; readonly stream: string; readonly tag: string }
  | { readonly kind: 'ImageStreamImage'; readonly namespace: string; readonly stream: string; readonly id: string };

export class AuthoringError extends Error {
  override readonly name = 'AuthoringError';
}

/** `[ns/]stream:tag`, `[ns/]stream@id`, or a registry reference; `--source` decides when the text could be either. */
export function parseSource(text: string, namespace: string, kind?: SourceKind): TagSource {
  const registryLike = (() => {
    const p = parseOpenShiftReference(text);
    return p.ok && p.value.registry !== '';
  })();
  const effective: SourceKind = kind ?? (registryLike ? 'docker' : text.includes('@') ? 'imagestreamimage' : 'imagestreamtag');
  if (effective === 'docker') {
    const p = parseOpenShiftReference(text);
    if (!p.ok || p.value.name === '') throw new AuthoringError(`"${text}" is not a valid image reference: ${p.ok ? 'no repository' : p.error}`);
    return { kind: 'DockerImage', name: text };
  }
  const slash = text.indexOf('/');
  const ns = slash === -1 ? namespace : text.slice(0, slash);
  const rest = slash === -1 ? text : text.slice(slash + 1);
  if (effective === 'imagestreamimage') {
    const at = rest.indexOf('@');
    if (at <= 0 || at === rest.length - 1) throw new AuthoringError(`"${text}" is not of the form <stream>@<id>`);
    return { kind: 'ImageStreamImage', namespace: ns, stream: rest.slice(0, at), id: rest.slice(at + 1) };
  }
  const colon = rest.indexOf(':');
  if (rest.includes('@') || rest === '' || colon === 0) throw new AuthoringError(`"${text}" is not of the form <stream>:<tag>`);
  return { kind: 'ImageStreamTag', namespace: ns, stream: colon === -1 ? rest : rest.slice(0, colon), tag: colon === -1 ? 'latest' : rest.slice(colon + 1) };
}

/** `[ns/]stream:tag` for a destination. */
export function parseDestination(text: string, namespace: string): { namespace: string; stream: string; tag: string } {
  const s = parseSource(text, namespace, 'imagestreamtag');
  if (s.kind !== 'ImageStreamTag') throw new AuthoringError(`"${text}" is not of the form <stream>:<tag>`);
  return { namespace: s.namespace, stream: s.stream, tag: s.tag };
}

export interface TagOptions {
  readonly alias?: boolean;
  readonly scheduled?: boolean;
  readonly reference?: boolean;
  readonly referencePolicy?: 'Source' | 'Local';
  readonly insecure?: boolean;
  readonly importMode?: 'Legacy' | 'PreserveOriginal';
}

/**
 * The spec tag `oc tag SOURCE DEST` writes. A stream tag source is pinned to its current image (an
 * ImageStreamImage) unless `--alias` asks to track it; aliases across streams are refused, as upstream refuses them.
 */
export function specTagFor(source: TagSource, dest: { namespace: string; stream: string; tag: string }, options: TagOptions, sourceStatus: (namespace: string, stream: string) => readonly StatusTag[] | undefined): SpecTag {
  const importPolicy = {
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.scheduled ? { scheduled: true } : {}),
    ...(options.importMode ? { importMode: options.importMode } : {}),
  };
  const common = {
    ...(options.reference ? { reference: true } : {}),
    ...(Object.keys(importPolicy).length > 0 ? { importPolicy } : {}),
    ...(options.referencePolicy ? { referencePolicy: { type: options.referencePolicy } } : {}),
  };
  const ns = (n: string): { namespace?: string } => (n !== dest.namespace ? { namespace: n } : {});
  if (source.kind === 'DockerImage') return { name: dest.tag, from: { kind: 'DockerImage', name: source.name }, ...common };
  if (options.scheduled) throw new AuthoringError('only tags pointing to Docker repositories may be scheduled for background import');
  if (source.kind === 'ImageStreamImage') return { name: dest.tag, from: { kind: 'ImageStreamImage', name: `${source.stream}@${source.id}`, ...ns(source.namespace) }, ...common };
  if (options.alias) {
    if (source.namespace !== dest.namespace || source.stream !== dest.stream) throw new AuthoringError('cannot set alias across different Image Streams');
    if (source.tag === dest.tag) throw new AuthoringError(`cannot alias ${dest.stream}:${dest.tag} to itself`);
    return { name: dest.tag, from: { kind: 'ImageStreamTag', name: `${source.stream}:${source.tag}` }, ...common };
  }
  const status = sourceStatus(source.namespace, source.stream);
  if (status === undefined) throw new AuthoringError(`image stream "${source.namespace}/${source.stream}" not found in the repository`);
  const head = latestTaggedImage(status, source.tag);
  if (!head || head.image === '') throw new AuthoringError(`"${source.stream}:${source.tag}" has no image yet: import it first, or use --alias to track it`);
  return { name: dest.tag, from: { kind: 'ImageStreamImage', name: `${source.stream}@${head.image}`, ...ns(source.namespace) }, ...common };
}

export function newStream(namespace: string, name: string): Record<string, unknown> {
  return { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name, namespace }, spec: { lookupPolicy: { local: false }, tags: [] } };
}

/** Set (add or replace) a spec tag; a replaced tag keeps its annotations. */
export function withSpecTag(stream: Record<string, unknown>, tag: SpecTag): Record<string, unknown> {
  const value = structuredClone(stream);
  const spec = isRecord(value.spec) ? value.spec : (value.spec = {});
  const tags = Array.isArray(spec.tags) ? spec.tags : (spec.tags = []);
  const i = tags.findIndex((t) => isRecord(t) && t.name === tag.name);
  if (i === -1) {
    tags.push(tag);
  } else {
    // Keep the entry's own order and the fields a verb does not own (annotations, generation), so the edit is
    // the smallest one: a changed value stays where it was, with its comment and anchor.
    const old = tags[i] as Record<string, unknown>;
    const owned = ['from', 'reference', 'importPolicy', 'referencePolicy'];
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(old)) if (!owned.includes(k)) merged[k] = v;
    for (const k of owned) {
      const v = (tag as unknown as Record<string, unknown>)[k];
      if (v !== undefined) merged[k] = k === 'from' && isRecord(old.from) && isRecord(v) ? mergeFrom(old.from, v) : v;
    }
    tags[i] = merged;
  }
  return value;
}

/** A new `from` over an old one: same key order, namespace dropped when the new one has none. */
function mergeFrom(old: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(old)) if (next[k] !== undefined) out[k] = next[k];
  for (const [k, v] of Object.entries(next)) if (!(k in out)) out[k] = v;
  return out;
}

/** `oc tag -d`: remove the spec tag and its history. */
export function withoutTag(stream: Record<string, unknown>, tag: string): { value: Record<string, unknown>; found: boolean } {
  const value = structuredClone(stream);
  let found = false;
  const spec = value.spec;
  if (isRecord(spec) && Array.isArray(spec.tags)) {
    const kept = spec.tags.filter((t: unknown) => !(isRecord(t) && t.name === tag));
    found ||= kept.length !== spec.tags.length;
    spec.tags = kept;
  }
  const status = value.status;
  if (isRecord(status) && Array.isArray(status.tags)) {
    const kept = status.tags.filter((t: unknown) => !(isRecord(t) && t.tag === tag));
    found ||= kept.length !== status.tags.length;
    status.tags = kept;
  }
  return { value, found };
}

export function withLookup(stream: Record<string, unknown>, enabled: boolean): Record<string, unknown> {
  const value = structuredClone(stream);
  const spec = isRecord(value.spec) ? value.spec : (value.spec = {});
  spec.lookupPolicy = { ...(isRecord(spec.lookupPolicy) ? spec.lookupPolicy : {}), local: enabled };
  return value;
}
