/**
 * What the `oc`-style verbs write into stream definitions and workloads (reference documents: `oc tag`,
 * `oc import-image`, `oc set image-lookup`, `oc set triggers`, rollback, prune). Pure: values in, new values out;
 * the CLI renders them byte-exactly.
 */
import type { PodSpecContainers } from './fieldpath.js';
import { annotationTriggerTargets, findContainer, formatFieldPath, parseFieldPath } from './fieldpath.js';
import { formatImportRecord, importRecordAnnotation, readImportRecord } from './import-record.js';
import { isRecord } from './objects.js';
import { parseOpenShiftReference } from './reference.js';
import type { ImportMode, NamedTagEventList, ReferencePolicyType, TagReference } from './model.js';
import { kinds } from './model.js';
import { latestTaggedImage } from './status.js';
import { deepEqual } from './values.js';

export type SourceKind = 'docker' | 'imagestreamtag' | 'imagestreamimage';

export type TagSource =
  | { readonly kind: 'DockerImage'; readonly name: string }
  | { readonly kind: 'ImageStreamTag'; readonly namespace: string; readonly stream: string; readonly tag: string }
  | { readonly kind: 'ImageStreamImage'; readonly namespace: string; readonly stream: string; readonly id: string };

/** A request a verb refuses (exit 2); `code` says which kind, for reports and tests. */
export class AuthoringError extends Error {
  override readonly name = 'AuthoringError';
  readonly code: string = 'usage';
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
    if (!p.ok || p.value.name === '')
      throw new AuthoringError(`"${text}" is not a valid image reference: ${p.ok ? 'no repository' : p.error}`);
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
  return {
    kind: 'ImageStreamTag',
    namespace: ns,
    stream: colon === -1 ? rest : rest.slice(0, colon),
    tag: colon === -1 ? 'latest' : rest.slice(colon + 1),
  };
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
  readonly referencePolicy?: Exclude<ReferencePolicyType, ''>;
  readonly insecure?: boolean;
  readonly importMode?: ImportMode;
}

/**
 * The spec tag `oc tag SOURCE DEST` writes. A stream tag source is pinned to its current image (an
 * ImageStreamImage) unless `--alias` asks to track it; aliases across streams are refused, as upstream refuses them.
 */
export function specTagFor(
  source: TagSource,
  dest: { namespace: string; stream: string; tag: string },
  options: TagOptions,
  sourceStatus: (namespace: string, stream: string) => readonly NamedTagEventList[] | undefined,
): TagReference {
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
  if (source.kind === 'ImageStreamImage')
    return {
      name: dest.tag,
      from: { kind: 'ImageStreamImage', name: `${source.stream}@${source.id}`, ...ns(source.namespace) },
      ...common,
    };
  if (options.alias) {
    if (source.namespace !== dest.namespace || source.stream !== dest.stream)
      throw new AuthoringError('cannot set alias across different Image Streams');
    if (source.tag === dest.tag) throw new AuthoringError(`cannot alias ${dest.stream}:${dest.tag} to itself`);
    return { name: dest.tag, from: { kind: 'ImageStreamTag', name: `${source.stream}:${source.tag}` }, ...common };
  }
  const status = sourceStatus(source.namespace, source.stream);
  if (status === undefined) throw new AuthoringError(`image stream "${source.namespace}/${source.stream}" not found in the repository`);
  const head = latestTaggedImage(status, source.tag);
  if (!head || head.image === '')
    throw new AuthoringError(`"${source.stream}:${source.tag}" has no image yet: import it first, or use --alias to track it`);
  return { name: dest.tag, from: { kind: 'ImageStreamImage', name: `${source.stream}@${head.image}`, ...ns(source.namespace) }, ...common };
}

/**
 * `rollback`: the spec tag `tag` pointed at `streamName@image` from its own history, as a permanent ImageStreamImage
 * tag: no longer scheduled (an importPolicy left empty goes) and no longer a reference; its other fields and their
 * order are kept. Undefined when the stream has no spec tag of that name.
 */
export function withTagRolledBack(
  stream: Record<string, unknown>,
  tag: string,
  streamName: string,
  image: string,
): Record<string, unknown> | undefined {
  const value = structuredClone(stream);
  const spec = value.spec;
  const tags: unknown[] = isRecord(spec) && Array.isArray(spec.tags) ? spec.tags : [];
  const i = tags.findIndex((t) => isRecord(t) && t.name === tag);
  if (i === -1) return undefined;
  const next: Record<string, unknown> = {
    ...(tags[i] as Record<string, unknown>),
    from: { kind: kinds.imageStreamImage, name: `${streamName}@${image}` },
  };
  if (isRecord(next.importPolicy)) {
    const { scheduled: _s, ...rest } = next.importPolicy;
    if (Object.keys(rest).length > 0) next.importPolicy = rest;
    else delete next.importPolicy;
  }
  delete next.reference;
  tags[i] = next;
  return value;
}

export function newStream(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStream',
    metadata: { name, namespace },
    spec: { lookupPolicy: { local: false }, tags: [] },
  };
}

/** Set (add or replace) a spec tag; a replaced tag keeps its annotations. */
export function withSpecTag(stream: Record<string, unknown>, tag: TagReference): Record<string, unknown> {
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

/** `oc tag -d`: remove the spec tag, its history and its entry in the import record. */
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
  // The tag's entry in the import record goes with it (an empty record, and then empty annotations, go too).
  const metadata = isRecord(value.metadata) ? value.metadata : undefined;
  const notes = metadata && isRecord(metadata.annotations) ? metadata.annotations : undefined;
  if (metadata && notes && typeof notes[importRecordAnnotation] === 'string') {
    const record = readImportRecord(notes);
    if (record.delete(tag)) {
      if (record.size > 0) notes[importRecordAnnotation] = formatImportRecord(record);
      else delete notes[importRecordAnnotation];
      if (Object.keys(notes).length === 0) delete metadata.annotations;
    }
  }
  return { value, found };
}

/** `spec.lookupPolicy.local` of a stream, as `oc set image-lookup` lists it. */
export function lookupEnabled(stream: Readonly<Record<string, unknown>>): boolean {
  const spec = isRecord(stream.spec) ? stream.spec : {};
  return isRecord(spec.lookupPolicy) && spec.lookupPolicy.local === true;
}

export function withLookup(stream: Record<string, unknown>, enabled: boolean): Record<string, unknown> {
  const value = structuredClone(stream);
  const spec = isRecord(value.spec) ? value.spec : (value.spec = {});
  spec.lookupPolicy = { ...(isRecord(spec.lookupPolicy) ? spec.lookupPolicy : {}), local: enabled };
  return value;
}

/** What `set triggers KIND/NAME --from-image=… -c …` asks for. */
export interface TriggerRequest {
  /** `stream:tag`, and the stream's namespace when it is not the workload's. */
  readonly from: { readonly name: string; readonly namespace?: string };
  /** Container names (checked to exist by the caller). */
  readonly containers: readonly string[];
  /** `--manual`: a paused annotation entry, a DeploymentConfig trigger with `automatic: false`. */
  readonly manual: boolean;
}

/** An edit of the annotation's array: the caller splices it into the text, so untouched entries keep their bytes. */
export type TriggerEntryEdit =
  | { readonly op: 'replace'; readonly index: number; readonly value: Record<string, unknown> }
  | { readonly op: 'remove'; readonly index: number }
  | { readonly op: 'append'; readonly value: Record<string, unknown> };

const fromOf = (request: TriggerRequest): Record<string, unknown> => ({
  kind: 'ImageStreamTag',
  name: request.from.name,
  ...(request.from.namespace ? { namespace: request.from.namespace } : {}),
});

/**
 * `image.openshift.io/triggers` entries for the request: one entry per container. An entry that already sets the
 * container's field, in any accepted form (an index, either name quoting), is replaced where it stands (its
 * fieldPath kept unless it is the documentation's quoting, which the cluster rejects); further entries on the same
 * field are removed; a container without one gets a new entry in the form the in-cluster controller accepts.
 */
export function annotationTriggerEdits(
  kind: string,
  podSpec: PodSpecContainers,
  entries: readonly unknown[],
  request: TriggerRequest,
): TriggerEntryEdit[] {
  const targets = annotationTriggerTargets(kind, podSpec, entries);
  const edits: TriggerEntryEdit[] = [];
  const touched = new Set<number>();
  for (const name of new Set(request.containers)) {
    const list = (podSpec.containers ?? []).some((c) => c.name === name) ? 'containers' : 'initContainers';
    const canonical = formatFieldPath(kind, name, list);
    const parsed = canonical === undefined ? undefined : parseFieldPath(kind, canonical);
    const field = parsed?.kind === 'ok' && canonical !== undefined ? findContainer(podSpec, parsed, canonical) : undefined;
    if (!field || 'error' in field || canonical === undefined) throw new AuthoringError(`container "${name}" not found`);
    const on = targets.filter((t) => t.list === field.list && t.index === field.index && !touched.has(t.trigger));
    const [existing, ...others] = on;
    const keep =
      existing?.fieldPath !== undefined &&
      (() => {
        const p = parseFieldPath(kind, existing.fieldPath);
        return p.kind === 'ok' && !(p.selector.kind === 'name' && p.selector.quoteStyle === 'documented');
      })();
    const entry = {
      from: fromOf(request),
      fieldPath: keep && existing?.fieldPath !== undefined ? existing.fieldPath : canonical,
      ...(request.manual ? { paused: true } : {}),
    };
    if (!existing) {
      edits.push({ op: 'append', value: entry });
      continue;
    }
    touched.add(existing.trigger);
    if (!deepEqual(entries[existing.trigger], entry)) edits.push({ op: 'replace', index: existing.trigger, value: entry });
    for (const t of others) {
      touched.add(t.trigger);
      edits.push({ op: 'remove', index: t.trigger });
    }
  }
  return edits;
}

/** `set triggers … --remove`: the entries from that stream tag, only those on the given containers when some are named. */
export function annotationTriggerRemovals(
  kind: string,
  podSpec: PodSpecContainers,
  entries: readonly unknown[],
  from: { name: string; namespace?: string },
  namespace: string,
  containers: readonly string[] | undefined,
): TriggerEntryEdit[] {
  const fields = containers?.length
    ? annotationTriggerTargets(kind, podSpec, entries).filter((t) => t.name !== undefined && containers.includes(t.name))
    : undefined;
  const out: TriggerEntryEdit[] = [];
  entries.forEach((e, index) => {
    const f = isRecord(e) && isRecord(e.from) ? e.from : undefined;
    if (!f || f.name !== from.name || ((typeof f.namespace === 'string' && f.namespace) || namespace) !== (from.namespace || namespace))
      return;
    if (fields && !fields.some((t) => t.trigger === index)) return;
    out.push({ op: 'remove', index });
  });
  return out;
}

/**
 * DeploymentConfig ImageChange triggers for the request (on a copy of the object): afterwards each named container
 * is named by exactly one ImageChange trigger, from the requested tag. A trigger that already names only requested
 * containers is changed where it stands (its lastTriggeredImage dropped when its tag changes: that image was the old
 * tag's); one that also names others keeps those; a trigger left naming none is removed.
 */
export function withImageChangeTrigger(
  value: Record<string, unknown>,
  request: TriggerRequest,
  namespace: string,
): Record<string, unknown> {
  const out = structuredClone(value);
  const spec = isRecord(out.spec) ? out.spec : (out.spec = {});
  const triggers: unknown[] = Array.isArray(spec.triggers) ? spec.triggers : [];
  const wanted = [...new Set(request.containers)];
  const automatic = !request.manual;
  const params = (t: unknown): Record<string, unknown> | undefined =>
    isRecord(t) && t.type === 'ImageChange' && isRecord(t.imageChangeParams) ? t.imageChangeParams : undefined;
  const names = (p: Record<string, unknown>): unknown[] => (Array.isArray(p.containerNames) ? p.containerNames : []);
  const sameFrom = (p: Record<string, unknown>): boolean => {
    const f = isRecord(p.from) ? p.from : {};
    return (
      f.kind === 'ImageStreamTag' &&
      f.name === request.from.name &&
      ((typeof f.namespace === 'string' && f.namespace) || namespace) === (request.from.namespace || namespace)
    );
  };
  const hits = (p: Record<string, unknown>): boolean => names(p).some((n) => typeof n === 'string' && wanted.includes(n));
  const onlyWanted = (p: Record<string, unknown>): boolean => hits(p) && names(p).every((n) => typeof n === 'string' && wanted.includes(n));
  const follows = (p: Record<string, unknown>): boolean => sameFrom(p) && (p.automatic === true) === automatic;
  const indexes = triggers
    .map((t, i) => [i, params(t)] as const)
    .filter((x): x is readonly [number, Record<string, unknown>] => x[1] !== undefined);
  // Who carries the containers: one that already follows the tag and names some of them, else one naming only
  // them (changed in place), else one that follows the tag, else a new trigger.
  const carrier =
    indexes.find(([, p]) => follows(p) && hits(p)) ?? indexes.find(([, p]) => onlyWanted(p)) ?? indexes.find(([, p]) => follows(p));
  if (carrier) {
    const [, p] = carrier;
    if (!sameFrom(p)) {
      p.from = isRecord(p.from) ? mergeFrom(p.from, fromOf(request)) : fromOf(request);
      delete p.lastTriggeredImage;
    }
    p.automatic = automatic;
    const have = names(p);
    p.containerNames = [...have, ...wanted.filter((n) => !have.includes(n))];
  }
  const kept = triggers.filter((t, i) => {
    const p = params(t);
    if (!p || i === carrier?.[0] || !hits(p)) return true;
    p.containerNames = names(p).filter((n) => !(typeof n === 'string' && wanted.includes(n)));
    return names(p).length > 0;
  });
  if (!carrier) kept.push({ type: 'ImageChange', imageChangeParams: { automatic, containerNames: wanted, from: fromOf(request) } });
  spec.triggers = kept;
  return out;
}

/** `set triggers dc/NAME --remove`: the ImageChange triggers from that tag (only the named containers, when given). */
export function withoutImageChangeTrigger(
  value: Record<string, unknown>,
  from: { name: string; namespace?: string } | undefined,
  namespace: string,
  containers: readonly string[] | undefined,
): Record<string, unknown> {
  const out = structuredClone(value);
  const spec = isRecord(out.spec) ? out.spec : undefined;
  if (!spec || !Array.isArray(spec.triggers)) return out;
  spec.triggers = spec.triggers.filter((t: unknown) => {
    const p = isRecord(t) && t.type === 'ImageChange' && isRecord(t.imageChangeParams) ? t.imageChangeParams : undefined;
    if (!p || !isRecord(p.from)) return true;
    if (
      from &&
      (p.from.name !== from.name ||
        ((typeof p.from.namespace === 'string' && p.from.namespace) || namespace) !== (from.namespace || namespace))
    )
      return true;
    if (!from || !containers?.length) return false;
    const left = (Array.isArray(p.containerNames) ? p.containerNames : []).filter(
      (n: unknown) => !(typeof n === 'string' && containers.includes(n)),
    );
    p.containerNames = left;
    return left.length > 0;
  });
  return out;
}
