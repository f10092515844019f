/**
 * The ImageStream API in OpenShift's own spelling (api `image/v1/types.go`; semantics.md §1): the one set of types
 * the core reads streams through. They describe what a file may hold after schema validation: optional fields stay
 * optional and `null` is kept where OpenShift emits it, because the core must be able to tell "absent" from "null"
 * to leave files byte-for-byte alone. Spec types are read-only (the planner never edits a spec through them); the
 * status types are not, because the status model edits working copies of them in place (status.ts).
 * Reading them out of a parsed object is accessors.ts's job.
 */

/** OpenShift's ImportModeType: what an import does with a manifest list. This is what the importer takes. */
export type ImportMode = 'Legacy' | 'PreserveOriginal';
export type ReferencePolicyType = 'Source' | 'Local' | '';

export interface ObjectReference {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export interface TagImportPolicy {
  readonly insecure?: boolean;
  readonly scheduled?: boolean;
  /** What a file may say: unset or '' means Legacy (accessors.ts `importModeOf`). */
  readonly importMode?: ImportMode | '';
}

export interface TagReferencePolicy {
  readonly type?: ReferencePolicyType;
}

/** A spec tag. */
export interface TagReference {
  readonly name: string;
  readonly annotations?: Readonly<Record<string, string>> | null;
  readonly from?: ObjectReference | null;
  readonly reference?: boolean;
  readonly generation?: number | null;
  readonly importPolicy?: TagImportPolicy;
  readonly referencePolicy?: TagReferencePolicy;
}

/** One item of a tag's history. `created` is optional here because the status model compares events without it. */
export interface TagEvent {
  created?: string;
  dockerImageReference: string;
  image: string;
  generation: number;
}

export interface TagEventCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
  generation: number;
}

/** A status tag: a tag's history, newest first, and its conditions. */
export interface NamedTagEventList {
  tag: string;
  items: TagEvent[] | null;
  conditions?: TagEventCondition[];
}

export interface ImageStreamSpec {
  readonly lookupPolicy?: { readonly local?: boolean };
  readonly dockerImageRepository?: string;
  readonly tags?: readonly TagReference[] | null;
}

export interface ImageStreamStatus {
  readonly dockerImageRepository?: string;
  readonly publicDockerImageRepository?: string;
  readonly tags?: readonly NamedTagEventList[] | null;
}

/** apiVersions under which OpenShift serves ImageStreams (semantics.md §1; the corpus holds both). */
export const imageStreamApiVersions: readonly string[] = ['image.openshift.io/v1', 'v1'];

/** Annotation names (api `image/v1/consts.go`, lgo `pkg/image/trigger/types.go`, alg imagepolicy types). */
export const annotations = {
  dockerRepositoryCheck: 'openshift.io/image.dockerRepositoryCheck',
  insecureRepository: 'openshift.io/image.insecureRepository',
  preferArch: 'importer.image.openshift.io/prefer-arch',
  preferOs: 'importer.image.openshift.io/prefer-os',
  triggers: 'image.openshift.io/triggers',
  resolveNames: 'alpha.image.policy.openshift.io/resolve-names',
} as const;

/** The default tag name (api `image/v1/consts.go` DefaultImageTag). */
export const defaultImageTag = 'latest';

/**
 * Kind names the core and the verbs speak of: the image API's own kinds and the `from` kinds of a tag (api
 * `image/v1`), OpenShift's DeploymentConfig, and `List` (what `oc get -o yaml` writes). The workload kinds with a
 * pod template are fieldpath.ts's table (`workloadPodSpec`).
 */
export const kinds = {
  imageStream: 'ImageStream',
  imageStreamTag: 'ImageStreamTag',
  imageStreamImage: 'ImageStreamImage',
  dockerImage: 'DockerImage',
  deploymentConfig: 'DeploymentConfig',
  list: 'List',
} as const;

/** oc's `resource.group` name of a stream, as it prints it before `/NAME` (`imagestream.image.openshift.io/ruby`). */
export const imageStreamResource = 'imagestream.image.openshift.io';

/**
 * The names `oc` takes for a kind on the command line (`oc api-resources`: the plural, the singular and the short
 * names), case-insensitive: the streams' resources and every workload kind the verbs edit.
 */
const kindAliases: Readonly<Record<string, string>> = {
  is: kinds.imageStream,
  imagestream: kinds.imageStream,
  imagestreams: kinds.imageStream,
  istag: kinds.imageStreamTag,
  imagestreamtag: kinds.imageStreamTag,
};
const workloadKindAliases: Readonly<Record<string, string>> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  deployments: 'Deployment',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  ds: 'DaemonSet',
  daemonset: 'DaemonSet',
  rs: 'ReplicaSet',
  replicaset: 'ReplicaSet',
  rc: 'ReplicationController',
  replicationcontroller: 'ReplicationController',
  job: 'Job',
  cj: 'CronJob',
  cronjob: 'CronJob',
  pod: 'Pod',
  po: 'Pod',
  dc: kinds.deploymentConfig,
  deploymentconfig: kinds.deploymentConfig,
};

/** The workload kind an oc resource name stands for (`deploy` → Deployment, `dc` → DeploymentConfig), or undefined. */
export function workloadKindForAlias(alias: string): string | undefined {
  const key = alias.toLowerCase();
  return Object.hasOwn(workloadKindAliases, key) ? workloadKindAliases[key] : undefined;
}

/** The stream kind an oc resource name stands for (`is` → ImageStream, `istag` → ImageStreamTag), or undefined. */
export function streamKindForAlias(alias: string): typeof kinds.imageStream | typeof kinds.imageStreamTag | undefined {
  const key = alias.toLowerCase();
  return Object.hasOwn(kindAliases, key) ? (kindAliases[key] as typeof kinds.imageStream | typeof kinds.imageStreamTag) : undefined;
}

/** The reference policy types (api `image/v1` TagReferencePolicyType). */
export const referencePolicies = { local: 'Local', source: 'Source' } as const;

/** `--reference-policy local|source` (any case) as the policy type it writes, or undefined for anything else. */
export function referencePolicyFor(flag: string): Exclude<ReferencePolicyType, ''> | undefined {
  const key = flag.toLowerCase();
  return key === 'local' ? referencePolicies.local : key === 'source' ? referencePolicies.source : undefined;
}

/** The import modes, the default (what an unset or empty mode means) first. */
export const importModes: readonly ImportMode[] = ['Legacy', 'PreserveOriginal'];
/** The mode of a tag that sets none, and of the imports that are not a tag's (`describe` metadata, `inspect`). */
export const defaultImportMode: ImportMode = 'Legacy';

/** Where an object came from: enough to name it in a finding and to find it again in its file. */
export interface ObjectLocation {
  readonly file: string;
  readonly documentIndex: number;
  /** JSON pointer of the object inside its document ('' for a top-level object, '/items/3' inside a List). */
  readonly pointer: string;
}
