/**
 * What the import layer takes and gives back. An import never throws for one image: every request yields an
 * Observation, either the image or a failure with a reason a person can act on (semantics.md §6.9).
 */
import type { ImportMode } from '../reconcile/model.js';
import type { ImportDeferral } from '../reconcile/plan.js';

/** The core's ImportMode, which the importer takes, and its deferral; re-exported for the edge's callers. */
export type { ImportMode, ImportDeferral };
import type { ImageImportRequest } from '../reconcile/pass.js';

/**
 * One image to import: the core decides it (src/reconcile/pass.ts): `from` exactly as written in `from.name` (never
 * normalized, §6.6), the import mode, insecure (importPolicy.insecure or the stream's insecureRepository annotation),
 * and the spec tag's prefer-arch / prefer-os annotations.
 */
export type ImportRequest = ImageImportRequest;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | undefined;
}

export interface ImageLayer {
  readonly name: string;
  readonly size: number;
  readonly mediaType: string;
}

/** What OpenShift shows as `dockerImageMetadata` (the subset a config blob gives). */
export interface DockerImageMetadata {
  readonly Architecture?: string;
  readonly Os?: string;
  readonly Variant?: string;
  readonly Created?: string;
  readonly Author?: string;
  readonly Config?: {
    readonly Cmd?: readonly string[];
    readonly Entrypoint?: readonly string[];
    readonly Env?: readonly string[];
    readonly ExposedPorts?: Readonly<Record<string, object>>;
    readonly Labels?: Readonly<Record<string, string>>;
    readonly User?: string;
    readonly WorkingDir?: string;
  };
  readonly Size: number;
}

/** One imported image: a single-platform manifest, or a list kept whole (PreserveOriginal). */
export interface ImportedImage {
  /** The image name: the manifest digest (for Legacy on a list, the chosen child's digest). */
  readonly digest: string;
  /** The user's reference with the tag replaced by `digest` (§6.6). */
  readonly dockerImageReference: string;
  readonly manifestMediaType: string;
  /** Absent for a list kept whole. */
  readonly metadata?: DockerImageMetadata;
  readonly layers: readonly ImageLayer[];
  /** For a list kept whole (PreserveOriginal): each child, imported too. */
  readonly children?: ReadonlyArray<{
    readonly digest: string;
    readonly platform: Platform;
    readonly manifestMediaType: string;
    readonly metadata?: DockerImageMetadata;
  }>;
  /** When `digest` is a child chosen from a list (Legacy), the list's digest. */
  readonly listDigest?: string;
  readonly platform?: Platform;
}

/**
 * The image a request said it already knew (`ImportRequest.known`), confirmed by the tag's HEAD alone: the
 * registry still serves that digest, so a full import would give this same image. Nothing else was read (no
 * manifest, no config: no metadata).
 */
export interface ConfirmedImage {
  readonly confirmed: true;
  readonly digest: string;
  readonly dockerImageReference: string;
  /** When `digest` is the child chosen from a list (Legacy), the list's digest (the HEAD's). */
  readonly listDigest?: string;
}

/** Why an import failed, in our words; `reason` is OpenShift's Status reason written into the condition. */
export type FailureKind =
  | 'invalid'
  | 'forbidden'
  | 'insecure-required'
  | 'unauthorized'
  | 'not-found'
  | 'rate-limited'
  | 'unavailable'
  | 'bad-response'
  | 'timeout'
  | 'unsupported';

export type StatusReason = 'Invalid' | 'Forbidden' | 'BadRequest' | 'Unauthorized' | 'NotFound' | 'InternalError' | 'NotV2Registry';

export interface ImportFailure {
  readonly kind: FailureKind;
  readonly reason: StatusReason;
  /** OpenShift's message text (semantics.md §6.9), which goes into the ImportSuccess=False condition. */
  readonly message: string;
  /** Our own detail where it helps (the Retry-After we waited, the HTTP status), for logs and `inspect`. */
  readonly detail?: string;
}

/**
 * What one import gave: the image, a failure (written as ImportSuccess=False), or a deferral: the registry's request
 * budget is spent or it asked to wait longer than a pass waits, so the import is not run now (nothing is written for
 * it, and it is due again at `retryAt`).
 */
export type Observation =
  | { readonly ok: true; readonly image: ImportedImage }
  | { readonly ok: false; readonly failure: ImportFailure }
  | { readonly ok: false; readonly deferred: ImportDeferral };

/** A request that wants the whole image (metadata, layers): one with no `known` image. */
export type FullImportRequest = ImportRequest & { readonly known?: undefined };

/** What an import that may stop at a confirming HEAD gives: an Observation, or the known image confirmed. */
export type CheckObservation =
  | { readonly ok: true; readonly image: ImportedImage | ConfirmedImage }
  | Exclude<Observation, { readonly ok: true }>;
