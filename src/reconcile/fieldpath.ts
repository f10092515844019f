/**
 * The trigger annotation's `fieldPath` grammar, exactly as the in-cluster controller reads it (semantics.md §9.5),
 * plus the selector quoting OpenShift's documentation shows (§13.1), which upstream rejects.
 */

/** Where each kind keeps its pod spec (§9.3). */
export const podSpecPathByKind = {
  Pod: 'spec',
  PodTemplate: 'template.spec',
  ReplicationController: 'spec.template.spec',
  Deployment: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
} as const satisfies Readonly<Record<string, string>>;

/**
 * Where every workload kind imagestreams handles keeps its pod spec, as path segments: the upstream table plus
 * DeploymentConfig (its own ImageChange triggers, §13.2). One table for validation, planning and the verbs.
 */
export const workloadPodSpec: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(Object.entries(podSpecPathByKind).map(([kind, p]) => [kind, p.split('.')])),
  DeploymentConfig: ['spec', 'template', 'spec'],
};

/** The pod spec segments of a kind, or undefined for kinds without a pod template. */
export function podSpecSegments(kind: string): readonly string[] | undefined {
  return Object.hasOwn(workloadPodSpec, kind) ? workloadPodSpec[kind] : undefined;
}

/**
 * A kind of custom resource with a pod template (`reconcile.workloadKinds`), so that triggers and image lookup work
 * on it as on a Deployment. `apiVersion` is `group/version`, or `group/*` for every version of the group.
 */
export interface CustomWorkloadKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Dotted path of the pod spec from the object's root, e.g. `spec.template.spec`. */
  readonly podSpecPath: string;
}

/** Custom kinds known without configuration: Argo Rollouts and Knative Serving Services. */
export const defaultWorkloadKinds: readonly CustomWorkloadKind[] = Object.freeze([
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', podSpecPath: 'spec.template.spec' },
  { apiVersion: 'serving.knative.dev/v1', kind: 'Service', podSpecPath: 'spec.template.spec' },
]);

/**
 * The dotted pod spec path of an object: a configured custom kind (matched on apiVersion and kind) first, then the
 * built-in table by kind; undefined for objects without a pod template.
 */
export function podSpecPathOf(
  object: { readonly apiVersion: string; readonly kind: string },
  custom: readonly CustomWorkloadKind[] = defaultWorkloadKinds,
): string | undefined {
  const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
  const own = custom.find((k) => k.kind === object.kind && (k.apiVersion === object.apiVersion || k.apiVersion === `${group}/*`));
  if (own) return own.podSpecPath;
  return podSpecSegments(object.kind)?.join('.');
}

export type ContainerList = 'containers' | 'initContainers';

export type Selector =
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'name'; readonly name: string; readonly quoteStyle: 'upstream' | 'documented' }
  | { readonly kind: 'unrecognized' };

export type ParsedFieldPath =
  | { readonly kind: 'outside-pod-spec' }
  | { readonly kind: 'invalid'; readonly error: string }
  | { readonly kind: 'ok'; readonly list: ContainerList; readonly selector: Selector };

export interface FieldPathOptions {
  /** Accept `[?(@.name=='x')]`, `[?(@.name="x")]`, `[?(@.name='x')]` (§13.1). Default true. */
  readonly documentedSelectors?: boolean;
  /** The object's pod spec path when it is not the built-in one of its kind (a custom kind, podSpecPathOf). */
  readonly podSpecPath?: string | undefined;
}

/** Go's strconv.Atoi: optional sign, decimal digits, 64-bit range. */
function goAtoi(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return Number(n);
}

const upstreamPrefix = '?(@.name=="';
const upstreamSuffix = '")';
const documentedForm = /^\?\(@\.name(?:==|=)(['"])(.*)\1\)$/s;

function parseSelector(text: string, documented: boolean): Selector {
  const index = goAtoi(text);
  if (index !== undefined) return { kind: 'index', index };
  const exactUpstream =
    text.startsWith(upstreamPrefix) && text.endsWith(upstreamSuffix) && text.length >= upstreamPrefix.length + upstreamSuffix.length;
  if (documented && !exactUpstream) {
    const m = documentedForm.exec(text);
    if (m) return { kind: 'name', name: m[2] ?? '', quoteStyle: 'documented' };
  }
  // Upstream strips the prefix and/or the suffix; if either was there, the rest is taken as a name.
  let name = text.startsWith(upstreamPrefix) ? text.slice(upstreamPrefix.length) : text;
  name = name.endsWith(upstreamSuffix) ? name.slice(0, -upstreamSuffix.length) : name;
  if (name !== text) return { kind: 'name', name, quoteStyle: 'upstream' };
  return { kind: 'unrecognized' };
}

/** Parses a fieldPath for an object of `kind`; `kind` must have a pod spec path. */
export function parseFieldPath(kind: string, fieldPath: string, options: FieldPathOptions = {}): ParsedFieldPath {
  const base = options.podSpecPath ?? (podSpecPathByKind as Readonly<Record<string, string>>)[kind];
  if (base === undefined || !fieldPath.startsWith(`${base}.`)) return { kind: 'outside-pod-spec' };
  const invalid: ParsedFieldPath = { kind: 'invalid', error: `field path is not valid: ${fieldPath}` };
  let rest = fieldPath.slice(base.length + 1);
  let list: ContainerList;
  if (rest.startsWith('containers[')) {
    list = 'containers';
    rest = rest.slice('containers['.length);
  } else if (rest.startsWith('initContainers[')) {
    list = 'initContainers';
    rest = rest.slice('initContainers['.length);
  } else {
    return invalid;
  }
  const end = rest.indexOf(']');
  if (end === -1) return invalid;
  const selectorText = rest.slice(0, end);
  let remainder = rest.slice(end + 1);
  if (remainder.startsWith('.')) remainder = remainder.slice(1);
  if (remainder !== 'image') return invalid;
  return { kind: 'ok', list, selector: parseSelector(selectorText, options.documentedSelectors ?? true) };
}

export interface PodSpecContainers {
  readonly containers?: ReadonlyArray<{ readonly name?: string }>;
  readonly initContainers?: ReadonlyArray<{ readonly name?: string }>;
}

export type ContainerMatch =
  | { readonly list: ContainerList; readonly index: number; readonly name: string | undefined }
  | { readonly error: string };

/**
 * Finds the container a parsed fieldPath designates. An index selects from the named list; a name is looked
 * up in initContainers first, then containers, whichever list the path named (upstream behaviour).
 */
export function findContainer(
  podSpec: PodSpecContainers,
  parsed: Extract<ParsedFieldPath, { kind: 'ok' }>,
  fieldPath: string,
): ContainerMatch {
  const notFound = { error: `no such container: ${fieldPath}` };
  const { selector } = parsed;
  if (selector.kind === 'index') {
    const items = podSpec[parsed.list] ?? [];
    const item = selector.index >= 0 ? items[selector.index] : undefined;
    return item ? { list: parsed.list, index: selector.index, name: item.name } : notFound;
  }
  if (selector.kind === 'name') {
    for (const list of ['initContainers', 'containers'] as const) {
      const index = (podSpec[list] ?? []).findIndex((c) => c.name === selector.name);
      if (index !== -1) return { list, index, name: selector.name };
    }
  }
  return notFound;
}

/** Writes the canonical, upstream-accepted fieldPath for a container (used by the authoring verbs). */
export function formatFieldPath(
  kind: string,
  container: string,
  list: ContainerList = 'containers',
  podSpecPath?: string,
): string | undefined {
  const base = podSpecPath ?? (podSpecPathByKind as Readonly<Record<string, string>>)[kind];
  return base === undefined ? undefined : `${base}.${list}[?(@.name=="${container}")].image`;
}

/** A container field that one trigger writes, found the way the planner finds it (§9.5, §13.2). */
export interface TriggerTarget {
  /** An entry of the `image.openshift.io/triggers` annotation, or a DeploymentConfig `spec.triggers` item. */
  readonly source: 'annotation' | 'deployment-config';
  /** Index of the entry in the annotation's array, or in `spec.triggers`. */
  readonly trigger: number;
  /** DeploymentConfig: which `containerNames` item named the container. */
  readonly nameIndex?: number;
  readonly list: ContainerList;
  readonly index: number;
  readonly name: string | undefined;
  /** An annotation entry's fieldPath, as written. */
  readonly fieldPath?: string;
}

const recordOf = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * The container field each annotation entry designates, in any accepted form (an index, the upstream name
 * selector, the documented quotings). Entries whose fieldPath is outside the pod spec, does not parse or finds no
 * container designate nothing; paused entries count (unpausing one must not start a fight).
 */
export function annotationTriggerTargets(
  kind: string,
  podSpec: PodSpecContainers,
  triggers: readonly unknown[],
  podSpecPath?: string,
): TriggerTarget[] {
  const out: TriggerTarget[] = [];
  triggers.forEach((entry, trigger) => {
    const fieldPath = recordOf(entry)?.fieldPath;
    if (typeof fieldPath !== 'string') return;
    const parsed = parseFieldPath(kind, fieldPath, { podSpecPath });
    if (parsed.kind !== 'ok') return;
    const found = findContainer(podSpec, parsed, fieldPath);
    if ('error' in found) return;
    out.push({ source: 'annotation', trigger, list: found.list, index: found.index, name: found.name, fieldPath });
  });
  return out;
}

/** The container fields each DeploymentConfig ImageChange trigger writes: every container its containerNames name. */
export function deploymentConfigTriggerTargets(podSpec: PodSpecContainers, triggers: readonly unknown[]): TriggerTarget[] {
  const out: TriggerTarget[] = [];
  triggers.forEach((t, trigger) => {
    const item = recordOf(t);
    const params = recordOf(item?.imageChangeParams);
    if (item?.type !== 'ImageChange' || !params || !Array.isArray(params.containerNames)) return;
    params.containerNames.forEach((name: unknown, nameIndex: number) => {
      if (typeof name !== 'string') return;
      for (const list of ['initContainers', 'containers'] as const) {
        (podSpec[list] ?? []).forEach((c, index) => {
          if (c.name === name) out.push({ source: 'deployment-config', trigger, nameIndex, list, index, name });
        });
      }
    });
  });
  return out;
}

/** `containers[0].image` ("web"): the field a target names, for messages. */
export function describeTarget(t: Pick<TriggerTarget, 'list' | 'index' | 'name'>): string {
  return `${t.list}[${t.index}].image${t.name === undefined ? '' : ` (container "${t.name}")`}`;
}

/**
 * Triggers that write the same container field, each later one paired with the first that took the field. Two
 * names in one DeploymentConfig trigger are not a pair (one value), nor are two annotation entries with the same
 * fieldPath text: §9.1 refuses those already ("duplicate triggers are not allowed").
 */
export function conflictingTargets(
  targets: readonly TriggerTarget[],
): Array<{ readonly first: TriggerTarget; readonly second: TriggerTarget }> {
  const taken = new Map<string, TriggerTarget>();
  const out: Array<{ first: TriggerTarget; second: TriggerTarget }> = [];
  for (const t of targets) {
    const key = `${t.list}/${t.index}`;
    const first = taken.get(key);
    if (!first) taken.set(key, t);
    else if (!(first.source === t.source && first.trigger === t.trigger) && !(t.fieldPath !== undefined && t.fieldPath === first.fieldPath))
      out.push({ first, second: t });
  }
  return out;
}
