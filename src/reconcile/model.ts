/**
 * The ImageStream API in OpenShift's own spelling (api `image/v1/types.go`; semantics.md §1). These types describe
 * what a file may hold after schema validation: optional fields stay optional and `null` is kept where OpenShift
 * emits it, because the core must be able to tell "absent" from "null" to leave files byte-for-byte alone.
 */

export type FromKind = 'DockerImage' | 'ImageStreamTag' | 'ImageStreamImage';
export type ImportMode = 'Legacy' | 'PreserveOriginal' | '';
export type ReferencePolicyType = 'Source' | 'Local' | '';

export interface ObjectReference {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export interface TagImportPolicy {
  readonly insecure?: boolean;
  readonly scheduled?: boolean;
  readonly importMode?: ImportMode;
}

export interface TagReferencePolicy {
  readonly type?: ReferencePolicyType;
}

export interface TagReference {
  readonly name: string;
  readonly annotations?: Readonly<Record<string, string>> | null;
  readonly from?: ObjectReference | null;
  readonly reference?: boolean;
  readonly generation?: number | null;
  readonly importPolicy?: TagImportPolicy;
  readonly referencePolicy?: TagReferencePolicy;
}

export interface TagEvent {
  readonly created: string;
  readonly dockerImageReference: string;
  readonly image: string;
  readonly generation: number;
}

export interface TagEventCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly lastTransitionTime?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly generation: number;
}

export interface NamedTagEventList {
  readonly tag: string;
  readonly items: readonly TagEvent[] | null;
  readonly conditions?: readonly TagEventCondition[];
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>> | null;
  readonly creationTimestamp?: string | null;
}

export interface ImageStream {
  readonly apiVersion: string;
  readonly kind: 'ImageStream';
  readonly metadata: ObjectMeta;
  readonly spec?: {
    readonly lookupPolicy?: { readonly local?: boolean };
    readonly dockerImageRepository?: string;
    readonly tags?: readonly TagReference[] | null;
  };
  readonly status?: {
    readonly dockerImageRepository?: string;
    readonly publicDockerImageRepository?: string;
    readonly tags?: readonly NamedTagEventList[] | null;
  };
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

/** Where an object came from: enough to name it in a finding and to find it again in its file. */
export interface ObjectLocation {
  readonly file: string;
  readonly documentIndex: number;
  /** JSON pointer of the object inside its document ('' for a top-level object, '/items/3' inside a List). */
  readonly pointer: string;
}
