import { imageChangeSource } from './dc-triggers.js';
import { annotationsOf, objectNamespace, streamTagNames } from './accessors.js';
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { parseImageStreamTagName } from './tag-names.js';
import { joinPointer } from './values.js';
import {
  annotationTriggerTargets,
  conflictingTargets,
  deploymentConfigTriggerTargets,
  describeTarget,
  findContainer,
  parseFieldPath,
  podSpecPathOf,
  defaultWorkloadKinds,
} from './fieldpath.js';
import type { CustomWorkloadKind } from './fieldpath.js';
import { annotations } from './model.js';
import type { LocatedFinding, ManifestObject } from './objects.js';
import { holdsTemplateParameter, isRecord, locate } from './objects.js';
import type { StreamIndex } from './stream-index.js';
import { describeEntry } from './stream-index.js';

/** A schema check for one parsed trigger annotation, injected by the caller (ajv lives at the edge). */
export type TriggerSchemaCheck = (value: unknown) => ReadonlyArray<{ readonly pointer: string; readonly message: string }>;

export interface WorkloadCheckContext {
  readonly index: StreamIndex;
  readonly triggerSchema: TriggerSchemaCheck;
  /** Custom kinds with a pod template (reconcile.workloadKinds); default: fieldpath.ts defaultWorkloadKinds. */
  readonly workloadKinds?: readonly CustomWorkloadKind[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Kinds whose pod template we know (semantics.md §9.3) plus DeploymentConfig (its own triggers, §13.2). */
export function podSpecPath(
  object: { readonly apiVersion: string; readonly kind: string },
  ctx: Pick<WorkloadCheckContext, 'workloadKinds'>,
): string | undefined {
  return podSpecPathOf(object, ctx.workloadKinds ?? defaultWorkloadKinds);
}

function getPath(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.')) {
    if (!isRecord(v)) return undefined;
    v = v[part];
  }
  return v;
}

interface PodSpecView {
  readonly containers?: ReadonlyArray<{ readonly name?: string }>;
  readonly initContainers?: ReadonlyArray<{ readonly name?: string }>;
}

function podSpecOf(object: ManifestObject, ctx: Pick<WorkloadCheckContext, 'workloadKinds'>): PodSpecView | undefined {
  const path = podSpecPath(object, ctx);
  const spec = path ? getPath(object.value, path) : undefined;
  if (!isRecord(spec)) return undefined;
  const list = (v: unknown): Array<{ name?: string }> | undefined =>
    Array.isArray(v) ? v.map((c) => (isRecord(c) && typeof c.name === 'string' ? { name: c.name } : {})) : undefined;
  const containers = list(spec.containers);
  const initContainers = list(spec.initContainers);
  return { ...(containers ? { containers } : {}), ...(initContainers ? { initContainers } : {}) };
}

function annotationPointer(base: string, key: string): string {
  return joinPointer(base, key);
}

/** Where a referenced ImageStreamTag stands in the repository. */
function checkTarget(
  ctx: WorkloadCheckContext,
  namespace: string,
  stream: string,
  tag: string,
  pointer: string,
  label: string,
  out: Finding[],
): void {
  const found = ctx.index.lookup(namespace, stream);
  if (found.kind === 'missing') {
    out.push(
      finding('trigger-stream-not-found', pointer, `${label}: the image stream "${namespace}/${stream}" is not defined in the repository`),
    );
  } else if (found.kind === 'ambiguous') {
    out.push(
      finding(
        'ambiguous-stream',
        pointer,
        `${label}: the image stream "${namespace}/${stream}" is defined more than once (${found.entries.map(describeEntry).join(', ')})`,
      ),
    );
  } else if (!streamTagNames(found.entry.object.value).has(tag)) {
    out.push(finding('trigger-tag-not-found', pointer, `${label}: the image stream "${namespace}/${stream}" has no tag "${tag}"`));
  }
}

/** `<stream>:<tag>` with exactly one ':' and no '@' (lgo imageutil ParseImageStreamTagName). */
function checkAnnotationTriggers(object: ManifestObject, namespace: string, ctx: WorkloadCheckContext, out: Finding[]): void {
  const raw = annotationsOf(object.value)[annotations.triggers];
  if (raw === undefined) return;
  const pointer = annotationPointer('/metadata/annotations', annotations.triggers);
  const label = `metadata.annotations["${annotations.triggers}"]`;
  if (typeof raw !== 'string') return; // the object schema (annotations are strings) is Kubernetes', not ours to report twice
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    out.push(finding('triggers-invalid-json', pointer, `${label}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  const schemaErrors = ctx.triggerSchema(value);
  for (const e of schemaErrors)
    out.push(
      finding('invalid-trigger', pointer, `${label}${e.pointer.replace(/\/(\d+)/g, '[$1]').replace(/\/([^/[]+)/g, '.$1')}: ${e.message}`),
    );
  if (schemaErrors.length > 0 || !Array.isArray(value)) return;

  const kindPath = podSpecPath(object, ctx);
  const podSpec = podSpecOf(object, ctx);
  const seenPaths = new Map<string, number>();
  value.forEach((entry: unknown, i: number) => {
    if (!isRecord(entry)) return;
    const at = `${label}[${i}]`;
    const from = isRecord(entry.from) ? entry.from : {};
    const fieldPath = str(entry.fieldPath) ?? '';
    if (typeof entry.paused === 'string') {
      out.push(
        finding(
          'trigger-paused-string',
          pointer,
          `${at}.paused: "${entry.paused}" is a string; the in-cluster controller requires a boolean and would reject the whole annotation (imagestreams accepts it)`,
        ),
      );
    }
    const first = seenPaths.get(fieldPath);
    if (first !== undefined)
      out.push(
        finding(
          'trigger-duplicate-fieldpath',
          pointer,
          `${at}.fieldPath: duplicate triggers are not allowed (same fieldPath as [${first}])`,
        ),
      );
    else seenPaths.set(fieldPath, i);
    if (from.kind !== 'ImageStreamTag') {
      out.push(
        finding(
          'trigger-unsupported-kind',
          pointer,
          `${at}.from.kind: Unsupported value: "${String(from.kind)}": supported values: "ImageStreamTag"`,
        ),
      );
    }
    if (str(from.apiVersion)) {
      out.push(
        finding(
          'trigger-not-watched',
          pointer,
          `${at}.from.apiVersion: "${String(from.apiVersion)}" is set; the in-cluster trigger controller only watches triggers without apiVersion`,
        ),
      );
    }
    const name = str(from.name) ?? '';
    const fromNamespace = str(from.namespace);
    const templated = holdsTemplateParameter(name) || holdsTemplateParameter(fromNamespace);
    const target = templated ? undefined : parseImageStreamTagName(name);
    if (!templated && !target) {
      out.push(
        finding('trigger-invalid-from-name', pointer, `${at}.from.name: Invalid value: "${name}": must be of the form <stream>:<tag>`),
      );
    }
    if (holdsTemplateParameter(fieldPath)) return;
    if (!kindPath) return; // no pod template we know of: upstream ignores the trigger as well
    const parsed = parseFieldPath(object.kind, fieldPath, { podSpecPath: kindPath });
    if (parsed.kind === 'outside-pod-spec') {
      out.push(
        finding(
          'trigger-outside-pod-spec',
          pointer,
          `${at}.fieldPath: "${fieldPath}" does not start with "${kindPath}." for a ${object.kind}; OpenShift ignores this trigger`,
        ),
      );
      return;
    }
    if (parsed.kind === 'invalid') {
      out.push(finding('trigger-invalid-fieldpath', pointer, `${at}.fieldPath: ${parsed.error}`));
      return;
    }
    if (parsed.selector.kind === 'name' && parsed.selector.quoteStyle === 'documented') {
      out.push(
        finding(
          'trigger-documented-selector',
          pointer,
          `${at}.fieldPath: "${fieldPath}" uses the documentation's selector quoting; the in-cluster controller only accepts [?(@.name=="${parsed.selector.name}")]`,
        ),
      );
    }
    if (podSpec) {
      const found = findContainer(podSpec, parsed, fieldPath);
      if ('error' in found) out.push(finding('trigger-container-not-found', pointer, `${at}.fieldPath: ${found.error}`));
    }
    if (target) checkTarget(ctx, fromNamespace || namespace, target.stream, target.tag, pointer, `${at}.from`, out);
  });
  // Two entries that name one container in different words (an index and a name, two quotings) fight over it.
  if (!podSpec || !kindPath) return;
  for (const { first, second } of conflictingTargets(annotationTriggerTargets(object.kind, podSpec, value, kindPath))) {
    out.push(
      finding(
        'duplicate-trigger-target',
        pointer,
        `${label}[${second.trigger}].fieldPath: "${second.fieldPath ?? ''}" sets ${describeTarget(second)}, which [${first.trigger}] ("${first.fieldPath ?? ''}") sets already; two triggers on one field make the image flip between them: keep one`,
      ),
    );
  }
}

function checkResolveNames(object: ManifestObject, ctx: Pick<WorkloadCheckContext, 'workloadKinds'>, out: Finding[]): void {
  const places: Array<[string, unknown]> = [['/metadata', object.value.metadata]];
  const path = podSpecPath(object, ctx);
  if (path) {
    const templatePath = path.replace(/\.spec$/, '');
    places.push([`/${templatePath.split('.').join('/')}/metadata`, getPath(object.value, `${templatePath}.metadata`)]);
  }
  for (const [base, metadata] of places) {
    const notes = isRecord(metadata) ? metadata.annotations : undefined;
    if (!isRecord(notes) || !(annotations.resolveNames in notes)) continue;
    const value = notes[annotations.resolveNames];
    if (value !== '*' && !holdsTemplateParameter(value)) {
      out.push(
        finding(
          'invalid-resolve-names',
          annotationPointer(`${base}/annotations`, annotations.resolveNames),
          `annotation "${annotations.resolveNames}": Unsupported value: ${JSON.stringify(value)}: the only valid value is "*"`,
        ),
      );
    }
  }
}

/** DeploymentConfig `spec.triggers[]` of type ImageChange (apps.openshift.io/v1; semantics.md §13.2). */
function checkDeploymentConfigTriggers(object: ManifestObject, namespace: string, ctx: WorkloadCheckContext, out: Finding[]): void {
  const spec = object.value.spec;
  if (!isRecord(spec) || !Array.isArray(spec.triggers)) return;
  const podSpec = podSpecOf(object, ctx);
  const names = new Set([...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])].map((c) => c.name));
  spec.triggers.forEach((trigger: unknown, i: number) => {
    const base = `/spec/triggers/${i}`;
    // apps validation validateTrigger: every trigger has a type (the controller alone would act on an untyped one).
    if (isRecord(trigger) && (trigger.type === undefined || trigger.type === '' || trigger.type === null))
      out.push(finding('missing-field', base, `spec.triggers[${i}].type: Required value`));
    if (!isRecord(trigger) || trigger.type !== 'ImageChange') return;
    const params = trigger.imageChangeParams;
    if (!isRecord(params)) {
      out.push(finding('missing-field', base, `spec.triggers[${i}].imageChangeParams: Required value`));
      return;
    }
    // ImageStream and ImageRepository sources are read as ImageStreamTags (a bare name: its latest tag).
    const from = imageChangeSource(params.from);
    if (!from) {
      out.push(finding('missing-field', `${base}/imageChangeParams`, `spec.triggers[${i}].imageChangeParams.from: Required value`));
    } else {
      const name = from.name;
      const fromNamespace = from.namespace;
      if (from.kind !== 'ImageStreamTag') {
        out.push(
          finding(
            'trigger-unsupported-kind',
            `${base}/imageChangeParams/from`,
            `spec.triggers[${i}].imageChangeParams.from.kind: Invalid value: "${String(from.writtenKind)}": kind must be an ImageStreamTag`,
          ),
        );
      } else if (!holdsTemplateParameter(name) && !holdsTemplateParameter(fromNamespace)) {
        const target = parseImageStreamTagName(name);
        if (!target)
          out.push(
            finding(
              'trigger-invalid-from-name',
              `${base}/imageChangeParams/from/name`,
              `spec.triggers[${i}].imageChangeParams.from.name: Invalid value: "${name}": must be of the form <stream>:<tag>`,
            ),
          );
        else
          checkTarget(
            ctx,
            fromNamespace || namespace,
            target.stream,
            target.tag,
            `${base}/imageChangeParams/from/name`,
            `spec.triggers[${i}].imageChangeParams.from`,
            out,
          );
      }
    }
    const containerNames = params.containerNames;
    if (!Array.isArray(containerNames) || containerNames.length === 0) {
      out.push(
        finding(
          'trigger-no-containers',
          `${base}/imageChangeParams`,
          `spec.triggers[${i}].imageChangeParams.containerNames: Required value`,
        ),
      );
      return;
    }
    containerNames.forEach((c: unknown, k: number) => {
      if (typeof c !== 'string' || holdsTemplateParameter(c) || !podSpec) return;
      if (!names.has(c))
        out.push(
          finding(
            'trigger-container-not-found',
            `${base}/imageChangeParams/containerNames/${k}`,
            `spec.triggers[${i}].imageChangeParams.containerNames[${k}]: no such container: "${c}"`,
          ),
        );
    });
  });
  if (!podSpec) return;
  for (const { first, second } of conflictingTargets(deploymentConfigTriggerTargets(podSpec, spec.triggers))) {
    const at = `spec.triggers[${second.trigger}].imageChangeParams.containerNames[${second.nameIndex ?? 0}]`;
    out.push(
      finding(
        'duplicate-trigger-target',
        `/spec/triggers/${second.trigger}/imageChangeParams/containerNames/${second.nameIndex ?? 0}`,
        `${at}: "${second.name ?? ''}" sets ${describeTarget(second)}, which spec.triggers[${first.trigger}] sets already; two triggers on one field make the image flip between them: keep one`,
      ),
    );
  }
}

/**
 * Every container image of the pod template must be a string: an unquoted `y`, `no` or `on` is a boolean in YAML 1.1
 * (what Kubernetes reads), a number stays a number, and `image:` with nothing after it is null. Such a value is not
 * an image the API server would take, and no edit can be planned on it.
 */
function checkImageTypes(object: ManifestObject, ctx: Pick<WorkloadCheckContext, 'workloadKinds'>, out: Finding[]): void {
  const path = podSpecPath(object, ctx);
  const spec = path ? getPath(object.value, path) : undefined;
  if (!path || !isRecord(spec)) return;
  for (const list of ['initContainers', 'containers'] as const) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (!isRecord(c) || !('image' in c) || typeof c.image === 'string') return;
      const shown = c.image === null ? 'null' : JSON.stringify(c.image);
      const hint = typeof c.image === 'boolean' ? ' (YAML 1.1 reads an unquoted y, yes, on, n, no or off as a boolean: quote it)' : '';
      out.push(
        finding(
          'image-not-a-string',
          `/${path.split('.').join('/')}/${list}/${i}/image`,
          `${path}.${list}[${i}].image: Invalid value: ${shown}: must be a string${hint}`,
        ),
      );
    });
  }
}

/** The trigger, lookup and DeploymentConfig rules of semantics.md §8, §9 and §13 for every workload. */
export function validateWorkloads(objects: readonly ManifestObject[], ctx: WorkloadCheckContext): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  for (const object of objects) {
    if (object.kind === 'ImageStream') continue;
    const findings: Finding[] = [];
    const namespace = objectNamespace(object, ctx.index.defaultNamespace);
    checkAnnotationTriggers(object, namespace, ctx, findings);
    checkResolveNames(object, ctx, findings);
    checkImageTypes(object, ctx, findings);
    if (object.kind === 'DeploymentConfig') checkDeploymentConfigTriggers(object, namespace, ctx, findings);
    for (const f of findings) out.push(locate(object, f));
  }
  return out;
}
