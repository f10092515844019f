/**
 * Setter markers (docs/write-back.md): a line comment on any YAML scalar, in any YAML file, that names a stream tag
 * and the part of its resolved image to write there:
 *
 *     tag: "1.4.2" # {"$imagestreamtag": "web:prod", "part": "tag"}
 *
 * The text edge finds the comments and where their scalars are (src/render/markers.ts); this module reads a
 * marker's words, checks what it names, and decides the value, through the same stream status as triggers.
 */
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import type { FieldEdit } from './json-diff.js';
import type { ManifestObject } from './objects.js';
import { isRecord } from './objects.js';
import { objectNamespace } from './accessors.js';
import { findSpecTag } from './accessors.js';
import { defaultImageTag } from './model.js';
import { parseOpenShiftReference, repositoryOf } from './reference.js';
import { latestTaggedImage } from './status.js';
import type { StreamIndex } from './stream-index.js';
import { StreamTable } from './stream-table.js';
import { parseTagSource } from './tag-names.js';
import type { ResolvedStream, WorkloadOptions, WorkloadPlan, WorkloadSkip } from './workload-types.js';

/** The key of a marker's JSON object that makes it ours (Flux's is `$imagepolicy`). */
export const markerKey = '$imagestreamtag';

/**
 * Which part of the resolved image a marker writes. `name` + `tag` and `name` + `digest` each pull the image the
 * stream tag points at now; `registry` + `repository` make up `name`.
 */
export const markerParts = ['image', 'name', 'registry', 'repository', 'tag', 'digest'] as const;
export type MarkerPart = (typeof markerParts)[number];

/** A marker as the text edge found it: on the scalar at `pointer` (from the document's root). */
export interface MarkerSite {
  readonly file: string;
  readonly document: number;
  readonly pointer: string;
  /** 1-based line of the marked scalar (for reports). */
  readonly line: number;
  /** `[namespace/]stream:tag`, as written. */
  readonly streamTag: string;
  readonly part: MarkerPart;
  /** The scalar's value now. */
  readonly current: unknown;
}

export type MarkerWords =
  | { readonly ok: true; readonly streamTag: string; readonly part: MarkerPart }
  | { readonly ok: false; readonly error: string };

/** The words of a marker comment (the text after `#`); undefined when the comment is not a marker of ours. */
export function readMarker(comment: string): MarkerWords | undefined {
  const text = comment.trim();
  if (!text.startsWith('{') || !text.includes(markerKey)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: `the marker is not a JSON object: write it as {"${markerKey}": "stream:tag"}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'the marker is not a JSON object' };
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => k !== markerKey && k !== 'part');
  if (unknown.length > 0)
    return {
      ok: false,
      error: `the marker has unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `"${k}"`).join(', ')}`,
    };
  const streamTag = record[markerKey];
  if (typeof streamTag !== 'string' || !/^([^/:@\s]+\/)?[^/:@\s]+:[^/:@\s]+$/.test(streamTag))
    return { ok: false, error: `"${markerKey}" must name a stream tag as stream:tag or namespace/stream:tag` };
  const part = record.part ?? 'image';
  if (typeof part !== 'string' || !(markerParts as readonly string[]).includes(part))
    return { ok: false, error: `"part" must be one of ${markerParts.join(', ')}` };
  return { ok: true, streamTag, part: part as MarkerPart };
}

/** `namespace/stream:tag` split; the namespace defaults to the enclosing object's, else the configured default. */
export function markerTarget(
  site: Pick<MarkerSite, 'file' | 'document' | 'pointer' | 'streamTag'>,
  objects: readonly ManifestObject[],
  defaultNamespace: string,
): { readonly namespace: string; readonly stream: string; readonly tag: string } {
  const slash = site.streamTag.indexOf('/');
  const named = slash === -1 ? undefined : site.streamTag.slice(0, slash);
  const rest = slash === -1 ? site.streamTag : site.streamTag.slice(slash + 1);
  const colon = rest.indexOf(':');
  const enclosing = objects.find(
    (o) =>
      o.location.file === site.file &&
      o.location.documentIndex === site.document &&
      (site.pointer === o.location.pointer || site.pointer.startsWith(`${o.location.pointer}/`)),
  );
  const namespace = named ?? (enclosing ? objectNamespace(enclosing, defaultNamespace) : defaultNamespace);
  return { namespace, stream: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

/** Marker findings (placed by the text edge): a stream or tag the repository does not hold. */
export function validateMarkers(
  sites: readonly MarkerSite[],
  objects: readonly ManifestObject[],
  index: StreamIndex,
): Array<Finding & { readonly file: string; readonly document: number }> {
  const out: Array<Finding & { readonly file: string; readonly document: number }> = [];
  for (const site of sites) {
    const t = markerTarget(site, objects, index.defaultNamespace);
    const found = index.lookup(t.namespace, t.stream);
    const at = { file: site.file, document: site.document };
    if (found.kind === 'missing') {
      out.push({
        ...at,
        ...finding(
          'marker-stream-not-found',
          site.pointer,
          `marker names ${t.namespace}/${t.stream}:${t.tag}: no image stream ${t.namespace}/${t.stream} in the repository`,
        ),
      });
      continue;
    }
    if (found.kind === 'ambiguous') {
      out.push({
        ...at,
        ...finding(
          'ambiguous-stream',
          site.pointer,
          `marker names ${t.namespace}/${t.stream}, which is defined ${found.entries.length} times`,
        ),
      });
      continue;
    }
    if (!streamMayHaveTag(found.entry.object.value, t.tag))
      out.push({
        ...at,
        ...finding(
          'marker-tag-not-found',
          site.pointer,
          `marker names ${t.namespace}/${t.stream}:${t.tag}: the stream has no tag "${t.tag}"`,
        ),
      });
  }
  return out;
}

/**
 * Whether a stream has, or may get, a tag: a spec or status tag of that name, or any tag when it imports a whole
 * repository (`spec.dockerImageRepository`), whose tags are only known once listed. Markers and kustomize rules ask.
 */
export function streamMayHaveTag(value: Readonly<Record<string, unknown>>, tag: string): boolean {
  const spec = isRecord(value.spec) ? value.spec : {};
  if (typeof spec.dockerImageRepository === 'string' && spec.dockerImageRepository !== '') return true;
  const status = isRecord(value.status) ? value.status : {};
  const named = (list: unknown, field: 'name' | 'tag'): boolean => Array.isArray(list) && list.some((x) => isRecord(x) && x[field] === tag);
  return named(spec.tags, 'name') || named(status.tags, 'tag');
}

/** The registry host of a repository name, as a container runtime reads it (Docker Hub when the first part is not a host). */
function splitRegistry(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost'))
    return { registry: first, repository: name.slice(slash + 1) };
  return { registry: 'docker.io', repository: name };
}

/** The tag a `tag` marker writes under Source: the registry tag the stream tag was imported from, following tracking tags. */
function sourceTag(table: StreamTable, stream: ResolvedStream, tag: string, namespace: string, hops = 0): string | undefined {
  const p = table.partsOf(stream);
  const spec = findSpecTag(p.spec, tag);
  if (!spec?.from)
    return typeof (stream.value.spec as { dockerImageRepository?: unknown } | undefined)?.dockerImageRepository === 'string'
      ? tag
      : undefined;
  if (spec.from.kind === 'DockerImage') {
    const ref = parseOpenShiftReference(spec.from.name ?? '');
    return ref.ok && ref.value.id === '' ? ref.value.tag || defaultImageTag : undefined;
  }
  if (spec.from.kind === 'ImageStreamTag' && hops < 10) {
    const src = parseTagSource(spec.from.name ?? '');
    if ('error' in src) return undefined;
    const ns = spec.from.namespace || namespace;
    const next = src.stream === undefined ? { stream } : table.find(ns, src.stream, namespace);
    return next && 'stream' in next ? sourceTag(table, next.stream, src.tag, ns, hops + 1) : undefined;
  }
  return undefined;
}

/** The value a marker writes (or a kustomize image takes), or why there is none yet. */
export function markerValue(
  table: StreamTable,
  stream: ResolvedStream,
  tag: string,
  part: MarkerPart,
): { value: string } | { skip: 'no-image-yet' | 'marker-no-tag' } {
  const p = table.partsOf(stream);
  const head = latestTaggedImage(p.status, tag);
  if (!head) return { skip: 'no-image-yet' };
  const local = findSpecTag(p.spec, tag)?.referencePolicy?.type === 'Local' && p.repo !== '' && head.image !== '';
  const localRepo = local ? parseOpenShiftReference(p.repo) : undefined;
  const name = localRepo?.ok ? repositoryOf(localRepo.value) : head.dockerImageReference.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const digest = head.image || (/@(.+)$/.exec(head.dockerImageReference)?.[1] ?? '');
  switch (part) {
    case 'image':
      return { value: localRepo?.ok ? `${name}@${head.image}` : head.dockerImageReference };
    case 'name':
      return { value: name };
    case 'registry':
      return { value: splitRegistry(name).registry };
    case 'repository':
      return { value: splitRegistry(name).repository };
    case 'digest':
      return digest === '' ? { skip: 'no-image-yet' } : { value: digest };
    case 'tag': {
      const t = localRepo?.ok ? tag : sourceTag(table, stream, tag, stream.namespace);
      return t === undefined ? { skip: 'marker-no-tag' } : { value: t };
    }
  }
}

/** The key a marker has in plans and reports: `file#document/pointer`, like an object's. */
export const markerKeyOf = (site: Pick<MarkerSite, 'file' | 'document' | 'pointer'>): string =>
  `${site.file}#${site.document}${site.pointer}`;

/**
 * What every marker writes: a plan per marker whose value differs (one `replace` at its pointer, from the document's
 * root), and a coded skip for each that cannot be resolved yet.
 */
export function planMarkers(
  sites: readonly MarkerSite[],
  objects: readonly ManifestObject[],
  streams: readonly ResolvedStream[],
  defaultNamespace: string,
  options: WorkloadOptions,
): { plans: WorkloadPlan[]; skips: WorkloadSkip[] } {
  const table = new StreamTable(streams, options);
  const plans: WorkloadPlan[] = [];
  const skips: WorkloadSkip[] = [];
  for (const site of sites) {
    const key = markerKeyOf(site);
    const t = markerTarget(site, objects, defaultNamespace);
    const cause = `${t.namespace}/${t.stream}:${t.tag}`;
    const consumer = markerTarget({ ...site, streamTag: 'x:y' }, objects, defaultNamespace).namespace;
    const found = table.find(t.namespace, t.stream, consumer);
    if (!found) {
      skips.push({
        workload: key,
        code: 'marker-stream-not-found',
        reason: `marker ${cause}: image stream ${t.namespace}/${t.stream} not found in the repository`,
      });
      continue;
    }
    if ('skip' in found) {
      skips.push({ workload: key, code: found.code, reason: `marker ${cause}: ${found.skip}` });
      continue;
    }
    const v = markerValue(table, found.stream, t.tag, site.part);
    if ('skip' in v) {
      skips.push({
        workload: key,
        code: v.skip,
        reason:
          v.skip === 'no-image-yet'
            ? `marker ${cause}: no image yet`
            : `marker ${cause}: part "tag" needs a registry tag, and ${cause} was not imported from one (it names a digest); mark the digest instead`,
      });
      continue;
    }
    if (v.value === site.current) continue;
    const edit: FieldEdit = { op: 'replace', path: site.pointer, value: v.value };
    plans.push({
      workload: key,
      edits: [edit],
      changes: [
        {
          path: site.pointer,
          old: typeof site.current === 'string' ? site.current : String(site.current ?? ''),
          new: v.value,
          cause,
          via: 'marker',
        },
      ],
    });
  }
  return { plans, skips };
}
