import { annotationsOf, nameOf, objectNamespace, streamTagNames } from './accessors.js';
import { checkStreamMetadata } from './validate-metadata.js';
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import type { LocatedFinding, ManifestObject } from './objects.js';
import { holdsTemplateParameter, isRecord, locate } from './objects.js';
import { parseOpenShiftReference } from './reference.js';
import { parseImageSource, parseTagSource } from './tag-names.js';
import { importIntervalAnnotation, importScheduleAnnotation, parseInterval } from './due.js';
import type { ScheduleParser } from './due.js';
import { joinPointer } from './values.js';
import type { StreamIndex } from './stream-index.js';
import { describeEntry } from './stream-index.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface SpecTagView {
  readonly index: number;
  readonly name: string | undefined;
  readonly value: Readonly<Record<string, unknown>>;
}

function specTags(stream: Readonly<Record<string, unknown>>): SpecTagView[] {
  const spec = stream.spec;
  if (!isRecord(spec) || !Array.isArray(spec.tags)) return [];
  return spec.tags.flatMap((t, index) => (isRecord(t) ? [{ index, name: str(t.name), value: t }] : []));
}

/** The label upstream uses for a spec tag in messages: spec.tags[<name>]. */
const tagLabel = (t: SpecTagView): string => `spec.tags[${t.name ?? t.index}]`;

function checkRepository(stream: Readonly<Record<string, unknown>>, out: Finding[]): void {
  const spec = stream.spec;
  const repo = isRecord(spec) ? str(spec.dockerImageRepository) : undefined;
  if (repo === undefined || repo === '' || holdsTemplateParameter(repo)) return;
  const pointer = '/spec/dockerImageRepository';
  const parsed = parseOpenShiftReference(repo);
  if (!parsed.ok) {
    out.push(finding('invalid-repository', pointer, `spec.dockerImageRepository: Invalid value: "${repo}": ${parsed.error}`));
    return;
  }
  if (parsed.value.tag !== '')
    out.push(
      finding(
        'repository-with-tag',
        pointer,
        `spec.dockerImageRepository: Invalid value: "${repo}": the repository name may not contain a tag`,
      ),
    );
  if (parsed.value.id !== '')
    out.push(
      finding(
        'repository-with-id',
        pointer,
        `spec.dockerImageRepository: Invalid value: "${repo}": the repository name may not contain an ID`,
      ),
    );
}

/** Same-stream tracking edges, for self-reference and cycle detection (§3.3, §13.9). */
function checkTracking(tags: readonly SpecTagView[], streamName: string | undefined, namespace: string, out: Finding[]): void {
  const edges = new Map<string, { target: string; tag: SpecTagView }>();
  for (const t of tags) {
    const from = t.value.from;
    if (!isRecord(from) || from.kind !== 'ImageStreamTag' || t.name === undefined) continue;
    const name = str(from.name);
    if (!name || holdsTemplateParameter(name)) continue;
    const fromNs = str(from.namespace);
    if (fromNs && fromNs !== namespace) continue;
    const source = parseTagSource(name);
    if ('error' in source) continue;
    if (source.stream !== undefined && source.stream !== streamName) continue;
    edges.set(t.name, { target: source.tag, tag: t });
  }
  const reported = new Set<string>();
  for (const [start, edge] of edges) {
    if (edge.target === start) {
      out.push(
        finding(
          'tag-tracks-itself',
          `/spec/tags/${edge.tag.index}/from/name`,
          `${tagLabel(edge.tag)}.from.name: the tag "${start}" tracks itself`,
        ),
      );
      reported.add(start);
      continue;
    }
    // Walk the chain from this tag; a return to it is a cycle (reported once, on every member, in chain order).
    const path = [start];
    let next = edge.target;
    while (edges.has(next) && !path.includes(next)) {
      path.push(next);
      next = (edges.get(next) as { target: string }).target;
    }
    if (next === start && !reported.has(start) && path.length > 1) {
      const cycle = `${path.join(' -> ')} -> ${start}`;
      for (const member of path) {
        reported.add(member);
        const e = edges.get(member) as { tag: SpecTagView };
        out.push(
          finding(
            'tracking-cycle',
            `/spec/tags/${e.tag.index}/from/name`,
            `${tagLabel(e.tag)}.from.name: tags track each other in a cycle: ${cycle}`,
          ),
        );
      }
    }
  }
}

export interface StreamCheckContext {
  readonly index: StreamIndex;
  /** Reads `imagestreams.dev/import-schedule` (node-cron lives at the edge); without it only the conflict is checked. */
  readonly parseSchedule?: ScheduleParser;
}

/** Resolve another stream named by a tag's source, reporting what cannot be resolved. */
function checkOtherStream(
  ctx: StreamCheckContext,
  namespace: string,
  name: string,
  tag: string | undefined,
  pointer: string,
  label: string,
  out: Finding[],
): void {
  const found = ctx.index.lookup(namespace, name);
  if (found.kind === 'missing') {
    out.push(finding('stream-not-found', pointer, `${label}: the image stream "${namespace}/${name}" is not defined in the repository`));
  } else if (found.kind === 'ambiguous') {
    out.push(
      finding(
        'ambiguous-stream',
        pointer,
        `${label}: the image stream "${namespace}/${name}" is defined more than once (${found.entries.map(describeEntry).join(', ')})`,
      ),
    );
  } else if (tag !== undefined && !streamTagNames(found.entry.object.value).has(tag)) {
    out.push(finding('tag-not-found', pointer, `${label}: the image stream "${namespace}/${name}" has no tag "${tag}"`));
  }
}

function checkSpecTags(stream: Readonly<Record<string, unknown>>, namespace: string, ctx: StreamCheckContext, out: Finding[]): void {
  const streamName = nameOf(stream);
  const tags = specTags(stream);
  const firstByName = new Map<string, SpecTagView>();
  const ownTags = streamTagNames(stream);
  for (const t of tags) {
    const base = `/spec/tags/${t.index}`;
    if (t.name === '') {
      out.push(
        finding(
          'empty-tag-name',
          `${base}/name`,
          `spec.tags[${t.index}].name: Required value (a tag is addressed as <stream>:<tag>, which an empty name cannot be)`,
        ),
      );
    } else if (t.name !== undefined) {
      const first = firstByName.get(t.name);
      if (first) {
        out.push(
          finding(
            'duplicate-tag',
            `${base}/name`,
            `spec.tags[${t.index}].name: Duplicate value: "${t.name}" (also spec.tags[${first.index}]; OpenShift keeps only the last)`,
          ),
        );
      } else firstByName.set(t.name, t);
    }
    const from = t.value.from;
    const policy = t.value.importPolicy;
    const kind = isRecord(from) ? str(from.kind) : undefined;
    // Upstream checks `scheduled` only for the two stream kinds: without from, or with another kind, it is not judged.
    if (isRecord(policy) && policy.scheduled === true && (kind === 'ImageStreamTag' || kind === 'ImageStreamImage')) {
      out.push(
        finding(
          'scheduled-non-docker',
          `${base}/importPolicy/scheduled`,
          `${tagLabel(t)}.importPolicy.scheduled: Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import`,
        ),
      );
    }
    if (!isRecord(from)) continue;
    const name = str(from.name);
    if (name === undefined) continue; // the schema reports the missing field
    if (name === '') {
      out.push(finding('missing-from-name', `${base}/from/name`, `${tagLabel(t)}.from.name: Required value`));
      continue;
    }
    if (holdsTemplateParameter(name) || holdsTemplateParameter(str(from.namespace))) continue;
    const fromNamespace = str(from.namespace) || namespace;
    if (kind === 'DockerImage') {
      const parsed = parseOpenShiftReference(name);
      if (!parsed.ok)
        out.push(finding('invalid-reference', `${base}/from/name`, `${tagLabel(t)}.from.name: Invalid value: "${name}": ${parsed.error}`));
    } else if (kind === 'ImageStreamTag') {
      const source = parseTagSource(name);
      if ('error' in source) {
        out.push(finding('invalid-istag-name', `${base}/from/name`, `${tagLabel(t)}.from.name: Invalid value: "${name}": ${source.error}`));
        continue;
      }
      const sameStream = fromNamespace === namespace && (source.stream === undefined || source.stream === streamName);
      if (sameStream) {
        if (source.tag !== t.name && !ownTags.has(source.tag)) {
          out.push(
            finding('tag-not-found', `${base}/from/name`, `${tagLabel(t)}.from.name: this stream has no tag "${source.tag}" to track`),
          );
        }
      } else {
        checkOtherStream(
          ctx,
          fromNamespace,
          source.stream ?? streamName ?? '',
          source.tag,
          `${base}/from/name`,
          `${tagLabel(t)}.from.name`,
          out,
        );
      }
    } else if (kind === 'ImageStreamImage') {
      const source = parseImageSource(name);
      if ('error' in source) {
        out.push(
          finding('invalid-isimage-name', `${base}/from/name`, `${tagLabel(t)}.from.name: Invalid value: "${name}": ${source.error}`),
        );
        continue;
      }
      const other = source.stream !== undefined && (source.stream !== streamName || fromNamespace !== namespace);
      if (other)
        checkOtherStream(ctx, fromNamespace, source.stream as string, undefined, `${base}/from/name`, `${tagLabel(t)}.from.name`, out);
    }
  }
  checkTracking(tags, streamName, namespace, out);
}

function checkStatus(stream: Readonly<Record<string, unknown>>, out: Finding[]): void {
  const status = stream.status;
  if (!isRecord(status) || !Array.isArray(status.tags)) return;
  const first = new Map<string, number>();
  status.tags.forEach((t, i) => {
    if (!isRecord(t)) return;
    const tag = str(t.tag);
    if (tag === '') out.push(finding('empty-tag-name', `/status/tags/${i}/tag`, `status.tags[${i}].tag: Required value`));
    else if (tag !== undefined) {
      const j = first.get(tag);
      if (j !== undefined)
        out.push(
          finding(
            'duplicate-status-tag',
            `/status/tags/${i}/tag`,
            `status.tags[${i}].tag: Duplicate value: "${tag}" (also status.tags[${j}])`,
          ),
        );
      else first.set(tag, i);
    }
    if (!Array.isArray(t.items)) return;
    t.items.forEach((item, k) => {
      if (!isRecord(item)) return;
      const ref = item.dockerImageReference;
      const pointer = `/status/tags/${i}/items/${k}/dockerImageReference`;
      const label = `status.tags[${tag ?? i}].items[${k}].dockerImageReference`;
      if (typeof ref !== 'string' || ref === '') {
        if (typeof ref === 'string' || ref === undefined)
          out.push(
            finding('invalid-status-reference', ref === undefined ? `/status/tags/${i}/items/${k}` : pointer, `${label}: Required value`),
          );
        return;
      }
      if (holdsTemplateParameter(ref)) return;
      const parsed = parseOpenShiftReference(ref);
      if (!parsed.ok) out.push(finding('invalid-status-reference', pointer, `${label}: Invalid value: "${ref}": ${parsed.error}`));
    });
  });
}

/** imagestreams' own annotations: a value the tool cannot read would silently fall back to a default. */
function checkOwnAnnotations(stream: Readonly<Record<string, unknown>>, ctx: StreamCheckContext, out: Finding[]): void {
  const notes = annotationsOf(stream);
  const interval = notes[importIntervalAnnotation];
  if (interval !== undefined && !holdsTemplateParameter(interval) && parseInterval(interval) === undefined) {
    out.push(
      finding(
        'invalid-import-interval',
        joinPointer('/metadata/annotations', importIntervalAnnotation),
        `annotation "${importIntervalAnnotation}": ${JSON.stringify(interval)} is not a duration such as 90s, 1m30s or 1h of at least one minute; the default interval is used`,
      ),
    );
  }
  const schedule = notes[importScheduleAnnotation];
  if (schedule === undefined) return;
  const at = joinPointer('/metadata/annotations', importScheduleAnnotation);
  if (!holdsTemplateParameter(schedule)) {
    const parsed = typeof schedule === 'string' ? ctx.parseSchedule?.(schedule) : { ok: false as const, error: 'not a string' };
    if (parsed && !parsed.ok)
      out.push(
        finding(
          'invalid-import-schedule',
          at,
          `annotation "${importScheduleAnnotation}": ${JSON.stringify(schedule)} is not a cron expression imagestreams can use: ${parsed.error}`,
        ),
      );
  }
  if (interval !== undefined) {
    // Reported at whichever of the two is written second.
    const keys = Object.keys(notes);
    const later =
      keys.indexOf(importIntervalAnnotation) > keys.indexOf(importScheduleAnnotation) ? importIntervalAnnotation : importScheduleAnnotation;
    out.push(
      finding(
        'import-schedule-conflict',
        joinPointer('/metadata/annotations', later),
        `annotations "${importScheduleAnnotation}" and "${importIntervalAnnotation}" are both set: they say two different things about when to import; keep one`,
      ),
    );
  }
}

/** The ImageStream rules of semantics.md §1.9, §2 and §3 that need no registry, for every stream. */
export function validateStreams(objects: readonly ManifestObject[], ctx: StreamCheckContext): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  for (const object of objects) {
    if (object.kind !== 'ImageStream') continue;
    const findings: Finding[] = [];
    const namespace = objectNamespace(object, ctx.index.defaultNamespace);
    checkStreamMetadata(object.value, namespace, findings);
    checkRepository(object.value, findings);
    checkSpecTags(object.value, namespace, ctx, findings);
    checkStatus(object.value, findings);
    checkOwnAnnotations(object.value, ctx, findings);
    for (const f of findings) out.push(locate(object, f));
  }
  for (const entries of ctx.index.duplicates()) {
    const where = entries.map(describeEntry);
    entries.forEach((entry, i) => {
      const others = where.filter((_, j) => j !== i).join(', ');
      out.push(
        locate(
          entry.object,
          finding(
            'duplicate-stream',
            '/metadata/name',
            `the image stream "${entry.namespace}/${entry.name}" is also defined in ${others}; references to it are ambiguous`,
          ),
        ),
      );
    });
  }
  return out;
}
