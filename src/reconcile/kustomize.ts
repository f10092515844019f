/**
 * kustomize `images:` (docs/write-back.md#kustomize): a Kustomization says which of its image names follow which
 * stream tag, in the `imagestreams.dev/images` annotation:
 *
 *     metadata:
 *       annotations:
 *         imagestreams.dev/images: '[{"name": "quay.io/shop/web", "from": {"kind": "ImageStreamTag", "name": "web:prod"}}]'
 *
 * and the pass writes what `kustomize edit set image NAME=NEWNAME@DIGEST` (or `NAME=NEWNAME:TAG` with
 * `"reference": "tag"`) would: the entry with that `name` replaced in place (`newName` only where it differs from
 * `name`; a digest clears `newTag`, a tag clears `digest`), or a new entry inserted in `name` order.
 */
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import type { FieldEdit } from './json-diff.js';
import { markerValue, streamMayHaveTag } from './markers.js';
import { isRecord } from './objects.js';
import type { StreamIndex } from './stream-index.js';
import { StreamTable } from './stream-table.js';
import { joinPointer } from './values.js';
import type { ResolvedStream, WorkloadOptions, WorkloadPlan, WorkloadSkip } from './workload-types.js';

export const kustomizeImagesAnnotation = 'imagestreams.dev/images';

/** The file names kustomize reads a kustomization from. */
export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** A kustomization file's document (with or without apiVersion and kind). */
export interface KustomizationInput {
  readonly file: string;
  readonly document: number;
  readonly value: Readonly<Record<string, unknown>>;
}

export interface KustomizeImageRule {
  readonly name: string;
  readonly stream: { readonly namespace: string | undefined; readonly name: string; readonly tag: string };
  readonly reference: 'digest' | 'tag';
  /** Index in the annotation's array (for messages). */
  readonly index: number;
}

type Rules = { readonly ok: true; readonly rules: readonly KustomizeImageRule[] } | { readonly ok: false; readonly error: string };

/** The annotation's rules, or what is wrong with it; no annotation is no rules. */
export function readImageRules(k: KustomizationInput): Rules {
  const metadata = isRecord(k.value.metadata) ? k.value.metadata : {};
  const notes = isRecord(metadata.annotations) ? metadata.annotations : {};
  const raw = notes[kustomizeImagesAnnotation];
  if (raw === undefined) return { ok: true, rules: [] };
  if (typeof raw !== 'string') return { ok: false, error: `${kustomizeImagesAnnotation} must be a string holding a JSON array` };
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return { ok: false, error: `${kustomizeImagesAnnotation} is not valid JSON` };
  }
  if (!Array.isArray(list)) return { ok: false, error: `${kustomizeImagesAnnotation} is not a JSON array` };
  const rules: KustomizeImageRule[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of list.entries()) {
    const at = `${kustomizeImagesAnnotation}[${index}]`;
    if (!isRecord(entry)) return { ok: false, error: `${at} is not an object` };
    const extra = Object.keys(entry).filter((key) => !['name', 'from', 'reference'].includes(key));
    if (extra.length > 0) return { ok: false, error: `${at} has unknown field ${extra.map((key) => `"${key}"`).join(', ')}` };
    if (typeof entry.name !== 'string' || entry.name === '' || /[@:]/.test(entry.name.split('/').pop() ?? ''))
      return { ok: false, error: `${at}.name must be the image name of the kustomize images entry, without a tag or digest` };
    if (seen.has(entry.name)) return { ok: false, error: `${at}.name "${entry.name}" is listed twice` };
    seen.add(entry.name);
    const from = entry.from;
    if (!isRecord(from) || from.kind !== 'ImageStreamTag' || typeof from.name !== 'string')
      return { ok: false, error: `${at}.from must be {"kind": "ImageStreamTag", "name": "stream:tag"}` };
    const m = /^([^:@/]+):([^:@/]+)$/.exec(from.name);
    if (!m) return { ok: false, error: `${at}.from.name "${from.name}" is not of the form stream:tag` };
    if (from.namespace !== undefined && (typeof from.namespace !== 'string' || from.namespace === ''))
      return { ok: false, error: `${at}.from.namespace must be a non-empty string` };
    const reference = entry.reference ?? 'digest';
    if (reference !== 'digest' && reference !== 'tag') return { ok: false, error: `${at}.reference must be "digest" or "tag"` };
    rules.push({
      name: entry.name,
      stream: { namespace: from.namespace as string | undefined, name: m[1] as string, tag: m[2] as string },
      reference,
      index,
    });
  }
  return { ok: true, rules };
}

/** The namespace a rule's stream is looked up in: its own, the kustomization's `namespace`, the default. */
function ruleNamespace(rule: KustomizeImageRule, k: KustomizationInput, defaultNamespace: string): string {
  if (rule.stream.namespace) return rule.stream.namespace;
  return typeof k.value.namespace === 'string' && k.value.namespace !== '' ? k.value.namespace : defaultNamespace;
}

const annotationPointer = `/metadata/annotations/${kustomizeImagesAnnotation.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Findings for one kustomization: a malformed annotation (error), a stream or tag the repository lacks (warning). */
export function validateKustomization(k: KustomizationInput, index: StreamIndex): Finding[] {
  const read = readImageRules(k);
  if (!read.ok) return [finding('kustomize-images-invalid', annotationPointer, read.error)];
  const out: Finding[] = [];
  for (const rule of read.rules) {
    const namespace = ruleNamespace(rule, k, index.defaultNamespace);
    const name = `${namespace}/${rule.stream.name}:${rule.stream.tag}`;
    const found = index.lookup(namespace, rule.stream.name);
    if (found.kind === 'missing')
      out.push(
        finding(
          'kustomize-stream-not-found',
          annotationPointer,
          `${kustomizeImagesAnnotation}[${rule.index}] follows ${name}: no such image stream in the repository`,
        ),
      );
    else if (found.kind === 'found') {
      if (!streamMayHaveTag(found.entry.object.value, rule.stream.tag))
        out.push(
          finding(
            'kustomize-tag-not-found',
            annotationPointer,
            `${kustomizeImagesAnnotation}[${rule.index}] follows ${name}: the stream has no tag "${rule.stream.tag}"`,
          ),
        );
    }
  }
  return out;
}

/** An images entry as kustomize's image transformer reads it, for reports: `newName:newTag@digest`. */
function describeEntry(e: Readonly<Record<string, unknown>> | undefined, name: string): string {
  if (!e) return '';
  const base = typeof e.newName === 'string' && e.newName !== '' ? e.newName : name;
  const tag = typeof e.newTag === 'string' && e.newTag !== '' ? `:${e.newTag}` : '';
  const digest = typeof e.digest === 'string' && e.digest !== '' ? `@${e.digest}` : '';
  return `${base}${tag}${digest}`;
}

/** The key of a kustomization's image plan: `file#document/images`. */
export const kustomizationKey = (k: Pick<KustomizationInput, 'file' | 'document'>): string => `${k.file}#${k.document}/images`;

/**
 * What every kustomization's rules write: for each, the entry as `kustomize edit set image` leaves it, as edits from
 * the document's root (field edits of existing entries first, then insertions at rising indexes).
 */
export function planKustomizations(
  kustomizations: readonly KustomizationInput[],
  streams: readonly ResolvedStream[],
  defaultNamespace: string,
  options: WorkloadOptions,
): { plans: WorkloadPlan[]; skips: WorkloadSkip[] } {
  const table = new StreamTable(streams, options);
  const plans: WorkloadPlan[] = [];
  const skips: WorkloadSkip[] = [];
  for (const k of kustomizations) {
    const read = readImageRules(k);
    if (!read.ok || read.rules.length === 0) continue;
    const key = kustomizationKey(k);
    const images = Array.isArray(k.value.images) ? k.value.images : undefined;
    const edits: FieldEdit[] = [];
    const inserts: Array<{ readonly name: string } & Record<string, string>> = [];
    const changes: WorkloadPlan['changes'][number][] = [];
    for (const rule of read.rules) {
      const namespace = ruleNamespace(rule, k, defaultNamespace);
      const cause = `${namespace}/${rule.stream.name}:${rule.stream.tag}`;
      const consumer = typeof k.value.namespace === 'string' && k.value.namespace !== '' ? k.value.namespace : defaultNamespace;
      const found = table.find(namespace, rule.stream.name, consumer);
      if (!found || 'skip' in found) {
        skips.push(
          found
            ? { workload: key, code: found.code, reason: `images "${rule.name}" (${cause}): ${found.skip}` }
            : {
                workload: key,
                code: 'kustomize-stream-not-found',
                reason: `images "${rule.name}" (${cause}): image stream not found in the repository`,
              },
        );
        continue;
      }
      const name = markerValue(table, found.stream, rule.stream.tag, 'name');
      const ref = markerValue(table, found.stream, rule.stream.tag, rule.reference);
      if ('skip' in name || 'skip' in ref) {
        const code = 'skip' in ref ? ref.skip : 'no-image-yet';
        skips.push({
          workload: key,
          code,
          reason:
            code === 'marker-no-tag'
              ? `images "${rule.name}" (${cause}): "reference": "tag" needs a registry tag, and ${cause} names a digest`
              : `images "${rule.name}" (${cause}): no image yet`,
        });
        continue;
      }
      const want: { readonly name: string } & Record<string, string> = { name: rule.name };
      if (name.value !== rule.name) want.newName = name.value;
      want[rule.reference === 'digest' ? 'digest' : 'newTag'] = ref.value;
      const at = images?.findIndex((e) => isRecord(e) && e.name === rule.name) ?? -1;
      const current = at === -1 ? undefined : (images?.[at] as Record<string, unknown>);
      const before = edits.length;
      if (current) {
        const base = `/images/${at}`;
        for (const field of ['newName', 'newTag', 'digest'] as const) {
          const has = Object.hasOwn(current, field);
          if (want[field] === undefined) {
            if (has) edits.push({ op: 'remove', path: joinPointer(base, field) });
          } else if (!has) edits.push({ op: 'add', path: joinPointer(base, field), value: want[field] });
          else if (current[field] !== want[field]) edits.push({ op: 'replace', path: joinPointer(base, field), value: want[field] });
        }
        if (edits.length > before)
          changes.push({
            path: base,
            old: describeEntry(current, rule.name),
            new: describeEntry(want, rule.name),
            cause,
            via: 'kustomize',
          });
      } else {
        inserts.push(want);
        changes.push({ path: '/images', old: '', new: `${rule.name} -> ${describeEntry(want, rule.name)}`, cause, via: 'kustomize' });
      }
    }
    // New entries in name order among the existing ones, as kustomize sorts them; indexes rise as they are inserted.
    if (inserts.length > 0) {
      if (!images) edits.push({ op: 'add', path: '/images', value: inserts.sort((a, b) => (a.name < b.name ? -1 : 1)) });
      else {
        const names = images.map((e) => (isRecord(e) && typeof e.name === 'string' ? e.name : ''));
        for (const entry of inserts.sort((a, b) => (a.name < b.name ? -1 : 1))) {
          let i = names.findIndex((n) => n > entry.name);
          if (i === -1) i = names.length;
          names.splice(i, 0, entry.name);
          edits.push({ op: 'add', path: `/images/${i}`, value: entry });
        }
      }
    }
    if (edits.length > 0) plans.push({ workload: key, edits, changes });
  }
  return { plans, skips };
}
