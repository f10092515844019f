/** The workload rules' inputs and results (workloads.ts): what a pass asks about an object and what it gets back. */
import type { FieldEdit } from './json-diff.js';
export interface WorkloadInput {
  readonly key: string;
  readonly kind: string;
  /** The dotted pod spec path when the object is a custom kind (reconcile.workloadKinds); else the kind's own. */
  readonly podSpecPath?: string | undefined;
  readonly namespace: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export interface ResolvedStream {
  readonly namespace: string;
  readonly name: string;
  /** The stream after this pass's status changes. */
  readonly value: Readonly<Record<string, unknown>>;
}

export interface WorkloadOptions {
  /** Source namespace → consumer namespaces allowed to reference its streams ('*' = all); absent = allowed. */
  readonly imagePullers?: ReadonlyMap<string, readonly string[]>;
}

export interface WorkloadChange {
  readonly path: string;
  readonly old: string;
  readonly new: string;
  /** `namespace/stream:tag` that caused it, and how. */
  readonly cause: string;
  readonly via: 'trigger' | 'deployment-config' | 'lookup' | 'marker' | 'kustomize';
}

export interface WorkloadPlan {
  readonly workload: string;
  readonly edits: readonly FieldEdit[];
  readonly changes: readonly WorkloadChange[];
}

/**
 * Why a workload, or one of its triggers, was skipped, for programs (`reason` is the sentence for people). Where a
 * validation code means the same thing, the skip uses it. Codes whose skip starts with "left unchanged:" mean the
 * whole object was left alone; the others skip one trigger.
 */
export type WorkloadSkipCode =
  // one trigger skipped
  | 'trigger-paused'
  | 'trigger-unsupported-kind'
  | 'trigger-outside-pod-spec'
  | 'no-image-yet'
  | 'trigger-stream-not-found'
  | 'manual-trigger'
  // a setter marker or kustomize image skipped (markers.ts, kustomize.ts)
  | 'marker-stream-not-found'
  | 'marker-no-tag'
  | 'kustomize-stream-not-found'
  // the whole object left unchanged
  | 'triggers-invalid-json'
  | 'invalid-trigger'
  | 'trigger-duplicate-fieldpath'
  | 'duplicate-trigger-target'
  | 'trigger-invalid-fieldpath'
  | 'trigger-container-not-found'
  | 'trigger-unresolved'
  | 'ambiguous-stream'
  | 'cross-namespace-not-allowed'
  | 'template-parameters';

export interface WorkloadSkip {
  readonly workload: string;
  /** Machine-readable; tests and reports match on it, never on the reason's wording. */
  readonly code: WorkloadSkipCode;
  readonly reason: string;
}

/** Why a whole object is left unchanged. */
