/**
 * Where a resolved image is written: the seam for write-back targets (docs/write-back.md). A target looks at what a
 * pass may change and the statuses planned in it, and returns plans, each placed in its file and document with the
 * pointer its edits are relative to, plus coded skips and a readable name for each plan's key. The targets:
 *
 * - `pod-template`: the pod templates of the known and configured kinds (annotation triggers, image lookup) and
 *   DeploymentConfig image change triggers (workloads.ts);
 * - `marker`: setter markers on any YAML scalar (markers.ts);
 * - `kustomize`: the `images:` of Kustomizations that say which names follow which stream tag (kustomize.ts).
 *
 * Adding a target: its inputs in WriteBackInputs (selected by selectPassInputs), its planner, and a line in
 * `writeBackTargets`. The pass renders every target's edits with the one renderer; nothing else changes.
 */
import { isRecord } from './objects.js';
import type { KustomizationInput } from './kustomize.js';
import { kustomizationKey, planKustomizations } from './kustomize.js';
import type { MarkerSite } from './markers.js';
import { markerKeyOf, planMarkers } from './markers.js';
import type { ManifestObject } from './objects.js';
import type { ReconcileSettings } from './settings.js';
import type { ResolvedStream, WorkloadInput, WorkloadOptions, WorkloadPlan, WorkloadSkip } from './workloads.js';
import { planWorkloads } from './workloads.js';

/** What the targets may write to in a pass (files with errors already left out). */
export interface WriteBackInputs {
  readonly workloads: ReadonlyArray<{ readonly input: WorkloadInput; readonly object: ManifestObject }>;
  readonly markers: readonly MarkerSite[];
  readonly kustomizations: readonly KustomizationInput[];
  /** Every object of the repository (markers take the namespace of the object they sit in). */
  readonly objects: readonly ManifestObject[];
}

/** A plan and where its edits go: `base` is the pointer (from the document's root) its edit paths are relative to. */
export interface PlacedPlan {
  readonly plan: WorkloadPlan;
  readonly file: string;
  readonly document: number;
  readonly base: string;
}

export interface WriteBackResult {
  readonly plans: readonly PlacedPlan[];
  readonly skips: readonly WorkloadSkip[];
  /** A readable name for each plan or skip key, for reports. */
  readonly names: ReadonlyMap<string, string>;
}

export interface WriteBackTarget {
  /** For reports and tests. */
  readonly name: string;
  plan(inputs: WriteBackInputs, streams: readonly ResolvedStream[], settings: ReconcileSettings): WriteBackResult;
}

const workloadOptions = (settings: ReconcileSettings): WorkloadOptions =>
  settings.imagePullers ? { imagePullers: settings.imagePullers } : {};

/** Pod templates (semantics.md §9) and DeploymentConfig triggers (§13.2). */
export const podTemplateTarget: WriteBackTarget = {
  name: 'pod-template',
  plan: (inputs, streams, settings) => {
    const byKey = new Map(inputs.workloads.map((w) => [w.input.key, w] as const));
    const r = planWorkloads(
      inputs.workloads.map((w) => w.input),
      streams,
      workloadOptions(settings),
    );
    const plans = r.plans.flatMap((plan) => {
      const w = byKey.get(plan.workload);
      return w ? [{ plan, file: w.object.location.file, document: w.object.location.documentIndex, base: w.object.location.pointer }] : [];
    });
    const names = new Map(
      inputs.workloads.map((w) => {
        const metadata = isRecord(w.object.value.metadata) ? w.object.value.metadata : {};
        return [w.input.key, `${w.object.location.file}: ${w.object.kind} ${w.input.namespace}/${String(metadata.name ?? '')}`] as const;
      }),
    );
    return { plans, skips: r.skips, names };
  },
};

/** Setter markers on any YAML scalar (docs/write-back.md#setter-markers). */
export const markerTarget: WriteBackTarget = {
  name: 'marker',
  plan: (inputs, streams, settings) => {
    const byKey = new Map(inputs.markers.map((m) => [markerKeyOf(m), m] as const));
    const r = planMarkers(inputs.markers, inputs.objects, streams, settings.defaultNamespace, workloadOptions(settings));
    const plans = r.plans.flatMap((plan) => {
      const m = byKey.get(plan.workload);
      return m ? [{ plan, file: m.file, document: m.document, base: '' }] : [];
    });
    return { plans, skips: r.skips, names: new Map(inputs.markers.map((m) => [markerKeyOf(m), `${m.file}:${m.line}: marker`] as const)) };
  },
};

/** kustomize `images:` (docs/write-back.md#kustomize). */
export const kustomizeTarget: WriteBackTarget = {
  name: 'kustomize',
  plan: (inputs, streams, settings) => {
    const byKey = new Map(inputs.kustomizations.map((k) => [kustomizationKey(k), k] as const));
    const r = planKustomizations(inputs.kustomizations, streams, settings.defaultNamespace, workloadOptions(settings));
    const plans = r.plans.flatMap((plan) => {
      const k = byKey.get(plan.workload);
      return k ? [{ plan, file: k.file, document: k.document, base: '' }] : [];
    });
    return {
      plans,
      skips: r.skips,
      names: new Map(inputs.kustomizations.map((k) => [kustomizationKey(k), `${k.file}: kustomize`] as const)),
    };
  },
};

export const writeBackTargets: readonly WriteBackTarget[] = [podTemplateTarget, markerTarget, kustomizeTarget];

/** Every target's plan, in target order. */
export function planWriteBack(
  inputs: WriteBackInputs,
  streams: readonly ResolvedStream[],
  settings: ReconcileSettings,
  targets: readonly WriteBackTarget[] = writeBackTargets,
): { plans: PlacedPlan[]; skips: WorkloadSkip[]; names: Map<string, string> } {
  const plans: PlacedPlan[] = [];
  const skips: WorkloadSkip[] = [];
  const names = new Map<string, string>();
  for (const t of targets) {
    const r = t.plan(inputs, streams, settings);
    plans.push(...r.plans);
    skips.push(...r.skips);
    for (const [k, v] of r.names) names.set(k, v);
  }
  return { plans, skips, names };
}
