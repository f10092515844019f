/**
 * Workloads (semantics.md §8, §9, §13.1, §13.2): the image values the in-cluster controllers would set, computed in
 * Git. Triggers (`image.openshift.io/triggers`), DeploymentConfig ImageChange triggers, and image lookup
 * (`lookupPolicy.local`, `resolve-names`). Any error in an object's triggers leaves the whole object unchanged (§9.6).
 */
import {
  annotationTriggerTargets,
  conflictingTargets,
  deploymentConfigTriggerTargets,
  describeTarget,
  findContainer,
  parseFieldPath,
  podSpecSegments,
} from './fieldpath.js';
import type { PodSpecContainers } from './fieldpath.js';
import type { FieldEdit } from './json-diff.js';
import { annotationsOf, metadataOf, specOf } from './accessors.js';
import { annotations as knownAnnotations } from './model.js';
import { isRecord } from './objects.js';
import { joinPointer } from './values.js';
import { isDigest, parseOpenShiftReference, repositoryOf } from './reference.js';
import { latestTaggedImage, resolveLatestTaggedImage } from './status.js';
import { splitImageStreamTag } from './tag-names.js';

export type * from './workload-types.js';
import type {
  ResolvedStream,
  WorkloadChange,
  WorkloadInput,
  WorkloadOptions,
  WorkloadPlan,
  WorkloadSkip,
  WorkloadSkipCode,
} from './workload-types.js';
import { StreamTable } from './stream-table.js';
import { imageChangeSource } from './dc-triggers.js';

interface Refusal {
  readonly error: string;
  readonly code: WorkloadSkipCode;
}

export const lookupRecordAnnotation = 'imagestreams.dev/image-lookup';

const at = (v: unknown, segments: readonly string[]): unknown => segments.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), v);
const containersOf = (spec: unknown, list: 'containers' | 'initContainers'): Array<Record<string, unknown>> => {
  const l = isRecord(spec) ? spec[list] : undefined;
  return Array.isArray(l) ? l.map((c) => (isRecord(c) ? c : {})) : [];
};

/**
 * The image a trigger's `stream:tag` resolves to (§9.7), as both kinds of trigger resolve it; undefined (with a skip
 * recorded) when the stream is missing or the tag has no image yet; a Refusal when the stream may not be used.
 */
function resolveTrigger(
  w: WorkloadInput,
  table: StreamTable,
  fromNamespace: unknown,
  name: string,
  isStreamTag: boolean,
  label: string,
  skips: WorkloadSkip[],
): Refusal | { readonly value: string | undefined; readonly cause: string } {
  const split = splitImageStreamTag(name);
  const namespace = typeof fromNamespace === 'string' && fromNamespace !== '' ? fromNamespace : w.namespace;
  const found = isStreamTag && split.ok ? table.find(namespace, split.stream, w.namespace) : undefined;
  if (found && 'skip' in found) return { error: `${label}: ${found.skip}`, code: found.code };
  const value = found ? triggerValue(table, found.stream, split.tag) : undefined;
  if (value === undefined) {
    skips.push(
      found
        ? { workload: w.key, code: 'no-image-yet', reason: `${label}: no image yet for ${namespace}/${name}` }
        : {
            workload: w.key,
            code: 'trigger-stream-not-found',
            reason: `${label}: image stream ${namespace}/${split.stream} not found in the repository`,
          },
    );
  }
  return { value, cause: `${namespace}/${split.stream}:${split.tag}` };
}

/** §9.7: the value a trigger sets, or undefined when the tag has no image yet. */
function triggerValue(table: StreamTable, s: ResolvedStream, tag: string): string | undefined {
  const p = table.partsOf(s);
  return resolveLatestTaggedImage(p.status, p.spec, p.repo, tag);
}

interface Pending {
  readonly path: string;
  readonly value: string;
  /** The current image; undefined when the container has no `image` field yet (it is added). */
  readonly old: string | undefined;
  readonly cause: string;
  readonly via: WorkloadChange['via'];
}

/** `image.openshift.io/triggers` (§9.1, §9.5, §9.6). Returns the writes, or a reason the object is left alone. */
function annotationTriggers(w: WorkloadInput, segments: readonly string[], table: StreamTable, skips: WorkloadSkip[]): Pending[] | Refusal {
  const raw = annotationsOf(w.value)[knownAnnotations.triggers];
  if (typeof raw !== 'string') return [];
  let triggers: unknown;
  try {
    triggers = JSON.parse(raw);
  } catch {
    return { error: `the ${knownAnnotations.triggers} annotation is not valid JSON`, code: 'triggers-invalid-json' };
  }
  if (!Array.isArray(triggers))
    return { error: `the ${knownAnnotations.triggers} annotation is not a JSON array`, code: 'triggers-invalid-json' };
  const spec = at(w.value, segments);
  const pod = {
    containers: containersOf(spec, 'containers').map((c) => ({ name: c.name as string })),
    initContainers: containersOf(spec, 'initContainers').map((c) => ({ name: c.name as string })),
  };
  const out: Pending[] = [];
  const seen = new Set<string>();
  for (const [i, t] of triggers.entries()) {
    if (!isRecord(t) || !isRecord(t.from)) return { error: `trigger [${i}] has no from`, code: 'invalid-trigger' };
    const fieldPath = typeof t.fieldPath === 'string' ? t.fieldPath : '';
    if (seen.has(fieldPath)) return { error: 'duplicate triggers are not allowed', code: 'trigger-duplicate-fieldpath' };
    seen.add(fieldPath);
    const name = typeof t.from.name === 'string' ? t.from.name : '';
    const label = `trigger [${i}] (${name})`;
    if (t.paused === true || t.paused === 'true') {
      skips.push({ workload: w.key, code: 'trigger-paused', reason: `${label}: paused` });
      continue;
    }
    if (t.from.kind !== 'ImageStreamTag') {
      skips.push({
        workload: w.key,
        code: 'trigger-unsupported-kind',
        reason: `${label}: from.kind ${String(t.from.kind)} is not ImageStreamTag`,
      });
      continue;
    }
    const parsedPath = parseFieldPath(w.kind, fieldPath, { podSpecPath: w.podSpecPath });
    if (parsedPath.kind === 'outside-pod-spec') {
      skips.push({
        workload: w.key,
        code: 'trigger-outside-pod-spec',
        reason: `${label}: fieldPath ${fieldPath} is outside this ${w.kind}'s pod spec; ignored, as OpenShift ignores it`,
      });
      continue;
    }
    const resolved = resolveTrigger(w, table, t.from.namespace, name, true, label, skips);
    if ('error' in resolved) return resolved;
    const { value, cause } = resolved;
    if (value === undefined) {
      continue; // §9.6: a tag without an image is skipped before its fieldPath is looked at
    }
    if (parsedPath.kind === 'invalid') return { error: parsedPath.error, code: 'trigger-invalid-fieldpath' };
    const container = findContainer(pod, parsedPath, fieldPath);
    if ('error' in container) return { error: container.error, code: 'trigger-container-not-found' };
    const c = containersOf(spec, container.list)[container.index] ?? {};
    out.push({
      path: `/${[...segments, container.list, String(container.index), 'image'].join('/')}`,
      value,
      old: typeof c.image === 'string' ? c.image : undefined,
      cause,
      via: 'trigger',
    });
  }
  return out;
}

/**
 * DeploymentConfig ImageChange triggers (§13.2), as the trigger controller applies them (openshift-controller-manager
 * `pkg/image/trigger/deploymentconfigs` UpdateDeploymentConfigImages): only automatic triggers set images (a manual
 * one is never set, not even the first time, and its containers are left alone); an automatic trigger whose tag has
 * no image resolves to its lastTriggeredImage; while one has neither, no container of the object is updated.
 */
function deploymentConfigTriggers(
  w: WorkloadInput,
  table: StreamTable,
  skips: WorkloadSkip[],
): { pending: Pending[]; params: FieldEdit[]; held: string[] } | Refusal {
  const spec = specOf(w.value);
  const triggers = Array.isArray(spec.triggers) ? spec.triggers : [];
  const pod = at(w.value, ['spec', 'template', 'spec']);
  const pending: Pending[] = [];
  const params: FieldEdit[] = [];
  // Containers of a manual trigger: the controller never sets them, and image lookup leaves them alone too.
  const held: string[] = [];
  const fieldsOf = (names: readonly unknown[]): Array<{ path: string; image: unknown }> => {
    const out: Array<{ path: string; image: unknown }> = [];
    for (const list of ['initContainers', 'containers'] as const)
      containersOf(pod, list).forEach((c, index) => {
        if (names.includes(c.name)) out.push({ path: `/spec/template/spec/${list}/${index}/image`, image: c.image });
      });
    return out;
  };
  let unresolved: string | undefined;
  for (const [i, t] of triggers.entries()) {
    if (!isRecord(t) || t.type !== 'ImageChange' || !isRecord(t.imageChangeParams)) continue;
    const p = t.imageChangeParams;
    const from = imageChangeSource(p.from);
    if (from?.kind !== 'ImageStreamTag') continue;
    const label = `spec.triggers[${i}] (${from.name})`;
    const names = Array.isArray(p.containerNames) ? p.containerNames : [];
    if (p.automatic !== true) {
      skips.push({
        workload: w.key,
        code: 'manual-trigger',
        reason: `${label}: automatic is false; the trigger controller does not set its image (set it by hand, or set automatic: true)`,
      });
      held.push(...fieldsOf(names).map((f) => f.path));
      continue;
    }
    const last = typeof p.lastTriggeredImage === 'string' ? p.lastTriggeredImage : '';
    const resolved = resolveTrigger(w, table, from.namespace, from.name, true, label, skips);
    if ('error' in resolved) return resolved;
    const value = resolved.value ?? (last === '' ? undefined : last);
    if (value === undefined) {
      unresolved ??= `${label}: its tag has no image and it has no lastTriggeredImage; no container is updated until every automatic trigger resolves`;
      continue;
    }
    for (const cname of names)
      if (typeof cname === 'string' && fieldsOf([cname]).length === 0)
        return { error: `${label}: no such container: ${cname}`, code: 'trigger-container-not-found' };
    for (const f of fieldsOf(names))
      pending.push({
        path: f.path,
        value,
        old: typeof f.image === 'string' ? f.image : undefined,
        cause: resolved.cause,
        via: 'deployment-config',
      });
    if (last !== value)
      params.push({
        op: last === '' && !('lastTriggeredImage' in p) ? 'add' : 'replace',
        path: `/spec/triggers/${i}/imageChangeParams/lastTriggeredImage`,
        value,
      });
  }
  if (unresolved !== undefined) return { error: unresolved, code: 'trigger-unresolved' };
  return { pending, params, held };
}

const podContainers = (spec: unknown): PodSpecContainers => ({
  containers: containersOf(spec, 'containers').map((c) => (typeof c.name === 'string' ? { name: c.name } : {})),
  initContainers: containersOf(spec, 'initContainers').map((c) => (typeof c.name === 'string' ? { name: c.name } : {})),
});

/**
 * Two triggers that set one container field, in whatever form they name it (an index and a name, two quotings, a
 * DeploymentConfig trigger naming a container another one names): the image would flip between them on every
 * pass, so the object is left unchanged. The annotation is read only if it parses; otherwise its own error says so.
 */
function targetConflict(w: WorkloadInput, segments: readonly string[]): Refusal | undefined {
  const pod = podContainers(at(w.value, segments));
  const raw = annotationsOf(w.value)[knownAnnotations.triggers];
  let entries: unknown;
  try {
    entries = typeof raw === 'string' ? JSON.parse(raw) : [];
  } catch {
    entries = [];
  }
  const fromAnnotation = Array.isArray(entries) ? annotationTriggerTargets(w.kind, pod, entries, w.podSpecPath) : [];
  const spec = specOf(w.value);
  const fromConfig =
    w.kind === 'DeploymentConfig' && Array.isArray(spec.triggers) ? deploymentConfigTriggerTargets(pod, spec.triggers) : [];
  const [pair] = conflictingTargets([...fromAnnotation, ...fromConfig]);
  if (!pair) return undefined;
  const label = (t: typeof pair.first): string => {
    const list = t.source === 'annotation' ? (Array.isArray(entries) ? entries : []) : Array.isArray(spec.triggers) ? spec.triggers : [];
    const item: unknown = list[t.trigger];
    const from = isRecord(item)
      ? t.source === 'annotation'
        ? item.from
        : isRecord(item.imageChangeParams)
          ? item.imageChangeParams.from
          : undefined
      : undefined;
    const name = isRecord(from) && typeof from.name === 'string' ? from.name : '';
    return `${t.source === 'annotation' ? 'trigger ' : 'spec.triggers'}[${t.trigger}] (${name})`;
  };
  return {
    error: `${label(pair.second)} and ${label(pair.first)} both set ${describeTarget(pair.second)}; keep one trigger per container`,
    code: 'duplicate-trigger-target',
  };
}

const lookupRecord = (v: unknown): Map<string, string> => {
  const out = new Map<string, string>();
  if (typeof v !== 'string') return out;
  for (const part of v.split(',')) {
    const m = /^\s*(containers|initContainers)\.([^=]+)=(.+?)\s*$/.exec(part);
    if (m) out.set(`${m[1]}.${m[2]}`, m[3] as string);
  }
  return out;
};

/** What a short name (or, under resolve-names, any digest-less name) resolves to through a stream (§8.3–8.6). */
function resolveLookup(
  w: WorkloadInput,
  table: StreamTable,
  source: string,
  resolveNames: boolean,
): { value: string; name: string; tag: string } | undefined {
  const ref = parseOpenShiftReference(source);
  if (!ref.ok) return undefined;
  const found = table.find(w.namespace, ref.value.name, w.namespace);
  if (!found || 'skip' in found) return undefined;
  const p = table.partsOf(found.stream);
  if (!p.lookup && !resolveNames) return undefined;
  const tag = ref.value.tag || 'latest';
  const head = latestTaggedImage(p.status, tag);
  if (head && head.image !== '') {
    const resolved = parseOpenShiftReference(resolveLatestTaggedImage(p.status, p.spec, p.repo, tag) ?? '');
    return resolved.ok ? { value: `${repositoryOf(resolved.value)}@${head.image}`, name: ref.value.name, tag } : undefined;
  }
  return p.repo !== '' ? { value: `${p.repo}:${tag}`, name: ref.value.name, tag } : undefined;
}

/**
 * Image lookup (§8). A short name that a stream with `lookupPolicy.local` answers (or any digest-less name under
 * `resolve-names: '*'`) becomes the tag's pull spec with `@<digest>`. The short name is kept in the annotation
 * `imagestreams.dev/image-lookup` (`containers.web=ruby:3.3,...`) so the next pass can resolve it again.
 */
function lookups(
  w: WorkloadInput,
  segments: readonly string[],
  table: StreamTable,
  taken: ReadonlySet<string>,
): { pending: Pending[]; record: Map<string, string> } {
  const notes = annotationsOf(w.value);
  const templateMeta = at(w.value, [...segments.slice(0, -1), 'metadata']);
  const templateNotes = isRecord(templateMeta) && isRecord(templateMeta.annotations) ? templateMeta.annotations : {};
  const resolveNames = notes[knownAnnotations.resolveNames] === '*' || templateNotes[knownAnnotations.resolveNames] === '*';
  const record = lookupRecord(notes[lookupRecordAnnotation]);
  const pending: Pending[] = [];
  const spec = at(w.value, segments);
  for (const list of ['initContainers', 'containers'] as const) {
    containersOf(spec, list).forEach((c, index) => {
      const path = `/${[...segments, list, String(index), 'image'].join('/')}`;
      const image = typeof c.image === 'string' ? c.image : '';
      const key = `${list}.${String(c.name)}`;
      if (taken.has(path) || image === '') return;
      const parsed = parseOpenShiftReference(image);
      const candidate =
        parsed.ok &&
        parsed.value.name !== '' &&
        !isDigest(parsed.value.id) &&
        (resolveNames || (parsed.value.registry === '' && parsed.value.namespace === ''));
      const recorded = record.get(key);
      const resolved = candidate
        ? resolveLookup(w, table, image, resolveNames)
        : recorded === undefined
          ? undefined
          : resolveLookup(w, table, recorded, resolveNames);
      if (!resolved) return;
      const { value, name, tag } = resolved;
      // Under resolve-names, a digest-less image naming the stream tag the record names (`<repository>:<tag>`, written
      // while the tag had no image, §8.6) is this tool's own output: the short name stays recorded, or the next
      // pass would replace it with the long one.
      const own =
        candidate &&
        recorded !== undefined &&
        recorded !== image &&
        (() => {
          const r = resolveLookup(w, table, recorded, resolveNames);
          return r !== undefined && r.name === name && r.tag === tag;
        })();
      const source = candidate && !own ? image : (recorded as string);
      if (!candidate) {
        // A recorded short name: follow it only while the image still comes from that stream's repository.
        const now = parseOpenShiftReference(image);
        const next = parseOpenShiftReference(value);
        if (!now.ok || !next.ok || repositoryOf(now.value) !== repositoryOf(next.value)) return;
      }
      record.set(key, source);
      pending.push({ path, value, old: image, cause: `${w.namespace}/${name}:${tag}`, via: 'lookup' });
    });
  }
  return { pending, record };
}

export function planWorkloads(
  workloads: readonly WorkloadInput[],
  streams: readonly ResolvedStream[],
  options: WorkloadOptions = {},
): { plans: WorkloadPlan[]; skips: WorkloadSkip[] } {
  const table = new StreamTable(streams, options);
  const plans: WorkloadPlan[] = [];
  const skips: WorkloadSkip[] = [];
  for (const w of workloads) {
    const segments = w.podSpecPath === undefined ? podSpecSegments(w.kind) : w.podSpecPath.split('.');
    if (!segments) continue;
    const local: WorkloadSkip[] = [];
    const refused = (r: Refusal): void => void skips.push({ workload: w.key, code: r.code, reason: `left unchanged: ${r.error}` });
    const conflict = targetConflict(w, segments);
    if (conflict) {
      refused(conflict);
      continue;
    }
    const fromTriggers = annotationTriggers(w, segments, table, local);
    if ('error' in fromTriggers) {
      refused(fromTriggers);
      continue;
    }
    const dc = w.kind === 'DeploymentConfig' ? deploymentConfigTriggers(w, table, local) : { pending: [], params: [], held: [] };
    if ('error' in dc) {
      refused(dc);
      continue;
    }
    skips.push(...local);
    const pending = [...fromTriggers, ...dc.pending];
    const taken = new Set([...pending.map((p) => p.path), ...dc.held]);
    const looked = lookups(w, segments, table, taken);
    pending.push(...looked.pending);
    const edits: FieldEdit[] = [];
    const changes: WorkloadChange[] = [];
    for (const p of pending) {
      if (p.old === p.value) continue;
      edits.push({ op: p.old === undefined ? 'add' : 'replace', path: p.path, value: p.value });
      changes.push({ path: p.path, old: p.old ?? '', new: p.value, cause: p.cause, via: p.via });
    }
    edits.push(...dc.params);
    const metadata = metadataOf(w.value);
    const notes = isRecord(metadata.annotations) ? metadata.annotations : undefined;
    const recordText = [...looked.record.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const before = notes?.[lookupRecordAnnotation];
    if (looked.record.size > 0 && before !== recordText) {
      if (!notes) edits.push({ op: 'add', path: '/metadata/annotations', value: { [lookupRecordAnnotation]: recordText } });
      else
        edits.push({
          op: before === undefined ? 'add' : 'replace',
          path: joinPointer('/metadata/annotations', lookupRecordAnnotation),
          value: recordText,
        });
    }
    if (edits.length > 0) plans.push({ workload: w.key, edits, changes });
  }
  return { plans, skips };
}
