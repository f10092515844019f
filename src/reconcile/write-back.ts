/**
 * Where a resolved image is written: the seam for write-back targets. A target looks at the objects of a pass and
 * the statuses planned in it, and returns edits (pointers from each object's root) with the changes and skips that
 * explain them. Today there is one target, the pod templates of the known kinds (annotation triggers, image lookup)
 * and DeploymentConfig image change triggers; setter markers, kustomize `images:` and Helm values are next, each a
 * target of its own added to `writeBackTargets`.
 */
import type { ReconcileSettings } from './settings.js';
import type { ResolvedStream, WorkloadInput, WorkloadPlan, WorkloadSkip } from './workloads.js';
import { planWorkloads } from './workloads.js';

export interface WriteBackTarget {
  /** For reports and tests. */
  readonly name: string;
  plan(
    objects: readonly WorkloadInput[],
    streams: readonly ResolvedStream[],
    settings: ReconcileSettings,
  ): { readonly plans: readonly WorkloadPlan[]; readonly skips: readonly WorkloadSkip[] };
}

/** Pod templates (semantics.md §9) and DeploymentConfig triggers (§13.2). */
export const podTemplateTarget: WriteBackTarget = {
  name: 'pod-template',
  plan: (objects, streams, settings) =>
    planWorkloads(objects, streams, settings.imagePullers ? { imagePullers: settings.imagePullers } : {}),
};

export const writeBackTargets: readonly WriteBackTarget[] = [podTemplateTarget];

/** Every target's plan, in target order. */
export function planWriteBack(
  objects: readonly WorkloadInput[],
  streams: readonly ResolvedStream[],
  settings: ReconcileSettings,
  targets: readonly WriteBackTarget[] = writeBackTargets,
): { plans: WorkloadPlan[]; skips: WorkloadSkip[] } {
  const plans: WorkloadPlan[] = [];
  const skips: WorkloadSkip[] = [];
  for (const t of targets) {
    const r = t.plan(objects, streams, settings);
    plans.push(...r.plans);
    skips.push(...r.skips);
  }
  return { plans, skips };
}
