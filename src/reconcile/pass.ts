/**
 * One pass, decided in the core. The shell only sequences I/O around these three calls:
 *
 * 1. `selectPassInputs(objects, invalidFiles, settings)`: which streams and workloads the pass may change, and a
 *    coded skip for each one it may not (a file with errors, a Template naming a `${PARAMETER}`).
 * 2. `importsToRun(selection, clock, settings)`: what is due, as requests for the registry edge (tag imports, and
 *    whole repositories to list), and when the next scheduled tag comes due.
 * 3. `planPass(selection, work, observations, objects, now, settings)`: given what the registries said, the whole
 *    result: every stream's new status, every workload image, the edits per file and document, the skips, the
 *    import reports and the names reports use.
 *
 * Workloads resolve against the statuses planned in the same pass, so one pass converges.
 */
import type { DueImport, DuePolicyCheck, DueRepositoryImport, DueTagImport, StreamInput } from './due.js';
import type { PolicyDecision } from './pass-policies.js';
import { applyPolicyDecisions, policyResults } from './pass-policies.js';
export { decidePolicies } from './pass-policies.js';
export type { Listing, PolicyDecision } from './pass-policies.js';
import { dueImports } from './due.js';
import type { ScheduleParser } from './due.js';
import { SpecHashes } from './import-record.js';
import { podSpecPathOf, podSpecSegments } from './fieldpath.js';
import type { FieldEdit } from './json-diff.js';
import { diffValues } from './json-diff.js';
import type { ImportMode } from './model.js';
import type { ManifestObject } from './objects.js';
import { holdsTemplateParameter, isRecord } from './objects.js';
import type { ImportDeferral, ImportOutcome, Plan, RepositoryOutcome, Skip } from './plan.js';
import { isDeferred, planStreams } from './plan.js';
import type { ReconcileSettings } from './settings.js';
import { objectNamespace } from './accessors.js';
import type { WorkloadInput, WorkloadPlan, WorkloadSkip } from './workloads.js';
import type { HoldReport } from './pass-holds.js';
import { planConsumers } from './pass-holds.js';
import type { PendingReport } from './pass-maturity.js';
import { applyMaturity } from './pass-maturity.js';
import type { MarkerSite } from './markers.js';
import type { KustomizationInput } from './kustomize.js';

/** `file#document/pointer`: how a pass names an object (stream or workload) in plans, edits and reports. */
export const objectKey = (o: ManifestObject): string => `${o.location.file}#${o.location.documentIndex}${o.location.pointer}`;

/** The file part of an object key. */
export const fileOfKey = (key: string): string => (key.lastIndexOf('#') === -1 ? key : key.slice(0, key.lastIndexOf('#')));

export interface SelectedStream extends StreamInput {
  readonly object: ManifestObject;
}

export interface SelectedWorkload {
  readonly input: WorkloadInput;
  readonly object: ManifestObject;
}

export interface PassSelection {
  readonly streams: readonly SelectedStream[];
  readonly workloads: readonly SelectedWorkload[];
  /** Setter markers in files without errors. */
  readonly markers: readonly MarkerSite[];
  /** Kustomization files without errors. */
  readonly kustomizations: readonly KustomizationInput[];
  readonly skips: readonly Skip[];
  readonly workloadSkips: readonly WorkloadSkip[];
}

const templateSkip = 'inside a Template with ${PARAMETER} references: only known once the template is processed';

/** What a workload's image resolution reads: its namespace, trigger annotation, DeploymentConfig triggers, images. */
function templateReferences(value: Readonly<Record<string, unknown>>): unknown {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const notes = isRecord(metadata.annotations) ? metadata.annotations : {};
  const images: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) for (const [k, x] of Object.entries(v)) k === 'image' ? images.push(x) : walk(x);
  };
  walk(value.spec);
  return [
    metadata.namespace,
    notes['image.openshift.io/triggers'],
    notes['alpha.image.policy.openshift.io/resolve-names'],
    isRecord(value.spec) ? value.spec.triggers : undefined,
    images,
  ];
}

/**
 * Streams and workloads a pass may change: in a file without errors, and (inside a Template) naming no `${PARAM}`.
 * A workload in an invalid file gets no skip of its own: the file's diagnostics already say why.
 */
export function selectPassInputs(
  objects: readonly ManifestObject[],
  invalidFiles: ReadonlySet<string>,
  settings: Pick<ReconcileSettings, 'defaultNamespace' | 'workloadKinds'>,
  markers: readonly MarkerSite[] = [],
  kustomizations: readonly KustomizationInput[] = [],
): PassSelection {
  const streams: SelectedStream[] = [];
  const workloads: SelectedWorkload[] = [];
  const skips: Skip[] = [];
  const workloadSkips: WorkloadSkip[] = [];
  for (const o of objects) {
    const key = objectKey(o);
    const namespace = objectNamespace(o, settings.defaultNamespace);
    if (o.kind === 'ImageStream') {
      const metadata = isRecord(o.value.metadata) ? o.value.metadata : {};
      const name = typeof metadata.name === 'string' ? metadata.name : '';
      if (invalidFiles.has(o.location.file))
        skips.push({ stream: key, code: 'invalid-file', reason: 'the file has validation errors; fix them first (see the diagnostics)' });
      else if (
        o.template &&
        (holdsTemplateParameter(JSON.stringify(o.value.spec ?? {})) ||
          holdsTemplateParameter(name) ||
          holdsTemplateParameter(metadata.namespace))
      )
        skips.push({ stream: key, code: 'template-parameters', reason: templateSkip });
      else streams.push({ key, namespace, name, value: o.value, object: o });
      continue;
    }
    const podSpecPath = podSpecPathOf(o, settings.workloadKinds);
    if (podSpecPath === undefined || invalidFiles.has(o.location.file)) continue;
    if (o.template && holdsTemplateParameter(JSON.stringify(templateReferences(o.value)))) {
      workloadSkips.push({ workload: key, code: 'template-parameters', reason: templateSkip });
      continue;
    }
    const custom = podSpecPath === podSpecSegments(o.kind)?.join('.') ? {} : { podSpecPath };
    workloads.push({ input: { key, kind: o.kind, namespace, value: o.value, ...custom }, object: o });
  }
  return {
    streams,
    workloads,
    markers: markers.filter((m) => !invalidFiles.has(m.file)),
    kustomizations: kustomizations.filter((k) => !invalidFiles.has(k.file)),
    skips,
    workloadSkips,
  };
}

/** An import the registry edge is asked to run (its ImportRequest has this shape). */
export interface ImageImportRequest {
  readonly from: string;
  readonly importMode: ImportMode;
  readonly insecure: boolean;
  readonly preferArch?: string | undefined;
  readonly preferOs?: string | undefined;
  /**
   * The image the tag's status already shows, for a scheduled check (DueTagImport.known): a HEAD that confirms it
   * may end the import there, since the full import would give this same image.
   */
  readonly known?: string | undefined;
}

/** The clock and memory of the caller: the one-shot run remembers nothing, the daemon its own checks and events. */
export interface PassClock {
  readonly now: string;
  readonly forceImport: boolean;
  /** When each scheduled tag (`namespace/name:tag`) was last checked. */
  readonly lastChecked?: ReadonlyMap<string, string> | undefined;
  /** Import now the tags whose from.name this accepts (registry notifications). */
  readonly forceSources?: ((from: string) => boolean) | undefined;
  /** Cron schedules (imagestreams.dev/import-schedule), parsed at the edge. */
  readonly parseSchedule?: ScheduleParser | undefined;
}

export interface ImportWork {
  readonly due: readonly DueImport[];
  readonly nextDueAt: string | undefined;
  /** Tag imports, each with the request the registry edge runs. */
  readonly tags: ReadonlyArray<{ readonly due: DueTagImport; readonly request: ImageImportRequest }>;
  /** Whole repositories to list; their tags are imported with `repositoryTagRequests`. */
  readonly repositories: readonly DueRepositoryImport[];
  /** Policy tags: their repositories are listed, `decidePolicies` picks a tag each, and that one is imported. */
  readonly policies: readonly DuePolicyCheck[];
  /** The spec hashes due computed, for planning to read again. */
  readonly specHashes?: SpecHashes;
}

export function importsToRun(selection: PassSelection, clock: PassClock, settings: ReconcileSettings): ImportWork {
  const specHashes = new SpecHashes();
  const { imports: due, nextDueAt } = dueImports(selection.streams, {
    now: clock.now,
    forceImport: clock.forceImport,
    scheduleIntervalMs: settings.scheduleIntervalMs,
    repositoryTagCap: settings.repositoryTagCap,
    ...(clock.lastChecked ? { lastChecked: clock.lastChecked } : {}),
    ...(clock.forceSources ? { forceSources: clock.forceSources } : {}),
    ...(clock.parseSchedule ? { parseSchedule: clock.parseSchedule } : {}),
    specHashes,
  });
  // A due tag is its own import request (it holds every field of one; no copy per tag).
  const tags = due.filter((d): d is DueTagImport => d.kind === 'tag').map((d) => ({ due: d, request: d as ImageImportRequest }));
  return {
    due,
    nextDueAt,
    tags,
    repositories: due.filter((d): d is DueRepositoryImport => d.kind === 'repository'),
    policies: due.filter((d): d is DuePolicyCheck => d.kind === 'policy'),
    specHashes,
  };
}

/** A listed repository's tags are imported one by one, as OpenShift does (Legacy: one image per tag, §6.12). */
export function repositoryTagRequests(d: DueRepositoryImport, tags: readonly string[]): ImageImportRequest[] {
  return tags.map((t) => ({ from: `${d.from}:${t}`, importMode: 'Legacy', insecure: d.insecure }));
}

export type ImportFailure = { readonly ok: false; readonly failure: { readonly reason: string; readonly message: string } };
/** A listing (or import) the registry edge put off to a later pass (plan.ts `ImportDeferral`). */
export type ImportDeferred = { readonly ok: false; readonly deferred: ImportDeferral };

/** What the registries said, in the order of the ImportWork. */
export interface PassObservations<O extends ImportOutcome = ImportOutcome> {
  readonly tags: readonly O[];
  readonly repositories: ReadonlyArray<{
    readonly listed: { readonly ok: true; readonly tags: readonly string[] } | ImportFailure | ImportDeferred;
    readonly outcomes: readonly O[];
  }>;
  /** Policy checks in the order of `work.policies`: what `decidePolicies` decided and the chosen tag's import. */
  readonly policies?: ReadonlyArray<{ readonly decision: PolicyDecision; readonly outcome: O | undefined }>;
}

export interface ImportReport<O extends ImportOutcome = ImportOutcome> {
  readonly stream: string;
  readonly tag: string | undefined;
  readonly from: string;
  readonly reason: DueImport['reason'];
  readonly result: O | ImportFailure | ImportDeferred;
  /** For a policy tag: which tag the policy chose and why, or why from.name was held. */
  readonly policy?: {
    readonly previous: string;
    readonly chosen: string;
    readonly reason: string;
    readonly considered: number;
    readonly next: readonly string[];
  };
}

/** The deferred imports of a pass, one entry per registry and code (how they are reported: once, not per tag). */
export function deferralsByRegistry(
  imports: ReadonlyArray<{ readonly result: { readonly ok: boolean } }>,
): Array<ImportDeferral & { readonly imports: number }> {
  const by = new Map<string, { first: ImportDeferral; imports: number; retryAt: string }>();
  for (const { result } of imports) {
    if (!isDeferred(result)) continue;
    const d = result.deferred;
    const seen = by.get(`${d.registry} ${d.code}`);
    if (seen) {
      seen.imports += 1;
      if (d.retryAt > seen.retryAt) seen.retryAt = d.retryAt;
    } else by.set(`${d.registry} ${d.code}`, { first: d, imports: 1, retryAt: d.retryAt });
  }
  return [...by.values()].map((e) => ({ ...e.first, retryAt: e.retryAt, imports: e.imports }));
}

/** One edit of one object, addressed in its file: the document and a pointer from the document's root. */
export interface ObjectEdit {
  readonly document: number;
  readonly op: FieldEdit;
  /** The stream or workload the edit belongs to (its object key). */
  readonly object: string;
}

export interface FileEdits {
  readonly file: string;
  readonly edits: readonly ObjectEdit[];
}

export interface PassPlan<O extends ImportOutcome = ImportOutcome> {
  readonly imports: readonly ImportReport<O>[];
  /**
   * When the next pass is due: the next scheduled tag (ImportWork's), or earlier, when a deferred import's registry
   * is expected to take requests again (a deferred import changes nothing and is due again then).
   */
  readonly nextDueAt: string | undefined;
  readonly plan: Plan;
  readonly workloads: readonly WorkloadPlan[];
  readonly skips: readonly Skip[];
  readonly workloadSkips: readonly WorkloadSkip[];
  /** The edits of the pass, per file (sorted by file), in the order they were planned. */
  readonly files: readonly FileEdits[];
  /** A readable name for each workload key: `file: Kind namespace/name`. */
  readonly workloadNames: ReadonlyMap<string, string>;
  /** Holds the pass placed: a person's rollback of a workload, kept rather than undone (pass-holds.ts). */
  readonly holds: readonly HoldReport[];
  /** New images held back until they are old enough (pass-maturity.ts). */
  readonly pending: readonly PendingReport[];
  /** Why a file that would grow past the read limit does (its streams and their status), and what would fix it. */
  tooLarge(objects: readonly string[]): string;
}

/** What a long-running caller remembers between passes beyond the files (the daemon's memory; none in one-shot runs). */
export interface PassMemory {
  /** When each pending image was first seen (`PendingReport.key` → time), for maturity when the file lacks the record. */
  readonly firstSeen?: ReadonlyMap<string, string>;
}

/** `observations` holds what was imported, in the order of `work`; an empty one (offline) plans without imports. */
export function planPass<O extends ImportOutcome>(
  selection: PassSelection,
  work: ImportWork,
  observations: PassObservations<O>,
  objects: readonly ManifestObject[],
  now: string,
  settings: ReconcileSettings,
  memory: PassMemory = {},
): PassPlan<O> {
  const imports: ImportReport<O>[] = [];
  const tagResults = new Map<string, Map<string, ImportOutcome>>();
  const repositoryResults = new Map<string, RepositoryOutcome>();
  work.tags.forEach(({ due: d }, i) => {
    const o = observations.tags[i];
    if (o === undefined) return; // not imported (offline)
    const byTag = tagResults.get(d.stream) ?? new Map<string, ImportOutcome>();
    byTag.set(d.tag, o);
    tagResults.set(d.stream, byTag);
    imports.push({ stream: d.stream, tag: d.tag, from: d.from, reason: d.reason, result: o });
  });
  work.repositories.forEach((d, i) => {
    const r = observations.repositories[i];
    if (!r) return;
    if ('deferred' in r.listed) {
      imports.push({ stream: d.stream, tag: undefined, from: d.from, reason: d.reason, result: r.listed });
      return; // not listed: the repository import stays due
    }
    if (!r.listed.ok) {
      repositoryResults.set(d.stream, { ok: false, tags: [], failure: r.listed.failure });
      imports.push({ stream: d.stream, tag: undefined, from: d.from, reason: d.reason, result: r.listed });
      return;
    }
    const listed = r.listed.tags;
    repositoryResults.set(d.stream, { ok: true, tags: listed.map((tag, j) => ({ tag, outcome: r.outcomes[j] as O })) });
    listed.forEach((tag, j) => {
      imports.push({ stream: d.stream, tag, from: `${d.from}:${tag}`, reason: d.reason, result: r.outcomes[j] as O });
    });
  });
  // Policy tags: the chosen tag's import is the tag's result, and the decision is written into the spec first.
  const decisions = policyResults(observations.policies ?? [], tagResults, imports);
  const decided = applyPolicyDecisions(selection.streams, decisions, now, settings.minAgeMs);
  // Maturity: an image younger than its tag's minimum age is held back (a policy's new choice was aged by tag).
  const moved = new Set(
    decisions.filter((d) => d.choice && d.choice.tag !== d.check.current).map((d) => `${d.check.stream} ${d.check.tag}`),
  );
  const maturity = applyMaturity(decided, tagResults, now, settings.minAgeMs, moved, memory.firstSeen);
  const streams = maturity.streams;
  const statusPlan = planStreams({
    streams,
    tagResults,
    repositoryResults,
    now,
    policy: { localRegistry: settings.localRegistry, historyLimit: settings.historyLimit },
    ...(work.specHashes ? { specHashes: work.specHashes } : {}),
  });
  // A stream the decisions changed: its edits are against the file as it is, spec edits included.
  const original = new Map(selection.streams.map((s) => [s.key, s.value] as const));
  const planned = {
    ...statusPlan,
    streams: statusPlan.streams.map((p, i) => {
      const before = original.get(p.stream);
      return before !== undefined && streams[i]?.value !== before ? { ...p, edits: diffValues(before, p.value) } : p;
    }),
  };
  const values = new Map(planned.streams.map((p) => [p.stream, p.value]));
  const resolvedStreams = (byKey: ReadonlyMap<string, Readonly<Record<string, unknown>>>) =>
    objects
      .filter((o) => o.kind === 'ImageStream' && !o.template)
      .map((o) => {
        const metadata = isRecord(o.value.metadata) ? o.value.metadata : {};
        return {
          namespace: objectNamespace(o, settings.defaultNamespace),
          name: typeof metadata.name === 'string' ? metadata.name : '',
          value: byKey.get(objectKey(o)) ?? o.value,
        };
      });
  // Every write-back target, holds applied (a person's rollback of a workload becomes a hold on its tag).
  const consumers = planConsumers(
    planned.streams,
    selection.streams,
    resolvedStreams,
    { workloads: selection.workloads, markers: selection.markers, kustomizations: selection.kustomizations, objects },
    settings,
    now,
  );
  const writeBack = consumers.writeBack;
  const streamPlans = consumers.streams;

  // The edits per file and document, write-back first (as planned), then the streams', from each document's root.
  const byFile = new Map<string, ObjectEdit[]>();
  const add = (file: string, document: number, base: string, key: string, edits: readonly FieldEdit[]): void => {
    if (edits.length === 0) return;
    const list = byFile.get(file) ?? [];
    for (const e of edits) list.push({ document, op: { ...e, path: base + e.path }, object: key });
    byFile.set(file, list);
  };
  for (const p of writeBack.plans) add(p.file, p.document, p.base, p.plan.workload, p.plan.edits);
  const streamsByKey = new Map(selection.streams.map((s) => [s.key, s.object] as const));
  for (const sp of streamPlans) {
    const o = streamsByKey.get(sp.stream);
    if (o) add(o.location.file, o.location.documentIndex, o.location.pointer, sp.stream, sp.edits);
  }
  const files = [...byFile.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, edits]) => ({ file, edits }));
  const workloadNames = writeBack.names;
  const tooLarge = (keys: readonly string[]): string => {
    const named = [...new Set(keys)].flatMap((key) => {
      const s = selection.streams.find((x) => x.key === key);
      const status = values.get(key)?.status;
      const tags: unknown[] = isRecord(status) && Array.isArray(status.tags) ? status.tags : [];
      const items = tags.reduce((n: number, t) => n + (isRecord(t) && Array.isArray(t.items) ? t.items.length : 0), 0);
      return s ? [`${s.namespace}/${s.name} (${tags.length} status tags, ${items} history items)`] : [];
    });
    const which = named.length === 0 ? '' : ` for the stream${named.length === 1 ? '' : 's'} ${named.join(', ')}`;
    return `${which}, so it is left as it is; keep fewer history items with reconcile.historyLimit, import fewer tags of a whole repository with reconcile.repositoryTagCap, or raise limits.maxFileBytes`;
  };
  let nextDueAt =
    maturity.nextAt !== undefined && (work.nextDueAt === undefined || maturity.nextAt < work.nextDueAt) ? maturity.nextAt : work.nextDueAt;
  for (const i of imports)
    if ('deferred' in i.result && (nextDueAt === undefined || Date.parse(i.result.deferred.retryAt) < Date.parse(nextDueAt)))
      nextDueAt = i.result.deferred.retryAt;
  return {
    imports,
    nextDueAt,
    plan: { ...planned, streams: streamPlans },
    holds: consumers.holds,
    pending: maturity.pending,
    workloads: writeBack.plans.map((p) => p.plan),
    skips: [...selection.skips, ...planned.skips],
    workloadSkips: [...selection.workloadSkips, ...writeBack.skips],
    files,
    workloadNames,
    tooLarge,
  };
}
