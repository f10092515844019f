/**
 * One reconcile pass over a repository, as data: load → validate → due imports → import → plan → render. Writes
 * nothing: the caller decides (write, diff, check). The one-shot `reconcile` and the daemon share it.
 */
import path from 'node:path';
import type { Importer, ImportRequest, Observation } from '../import/index.js';
import type { DueImport, DueTagImport, StreamInput } from '../reconcile/due.js';
import { dueImports } from '../reconcile/due.js';
import { podSpecSegments } from '../reconcile/fieldpath.js';
import type { ImportOutcome, Plan, RepositoryOutcome, Skip } from '../reconcile/plan.js';
import { plan as planStreams } from '../reconcile/plan.js';
import { holdsTemplateParameter, isRecord } from '../reconcile/objects.js';
import { objectNamespace } from '../reconcile/stream-index.js';
import type { WorkloadInput, WorkloadPlan, WorkloadSkip } from '../reconcile/workloads.js';
import { planWorkloads } from '../reconcile/workloads.js';
import type { ManifestObject } from '../reconcile/objects.js';
import type { Diagnostic } from '../render/diagnostic.js';
import type { LoadLimits } from '../render/limits.js';
import type { DocumentPatch, PatchErrorCode, PatchOp } from '../render/patch.js';
import { applyPatches } from '../render/patch.js';
import { loadRepository } from '../render/repository.js';
import type { LoadCache } from '../render/repository.js';
import type { ParsedFile } from '../render/source.js';
import { parseCronSchedule, validateRepository } from '../render/validate.js';
import type { WalkOptions } from '../render/walk.js';

export interface PassOptions {
  readonly repoDir: string;
  /** Base for the file names in reports (the working directory). */
  readonly displayBase: string;
  readonly walk: WalkOptions;
  readonly limits: LoadLimits;
  readonly defaultNamespace: string;
  readonly now: string;
  readonly offline: boolean;
  readonly forceImport: boolean;
  readonly localRegistry?: string | undefined;
  readonly historyLimit?: number | undefined;
  readonly scheduleIntervalMs?: number | undefined;
  readonly repositoryTagCap?: number | undefined;
  readonly lastChecked?: ReadonlyMap<string, string>;
  /** Import now the tags whose from.name this accepts (registry notifications). */
  readonly forceSources?: ((from: string) => boolean) | undefined;
  /** Source namespace → namespaces allowed to use its streams (reconcile.imagePullers). */
  readonly imagePullers?: ReadonlyMap<string, readonly string[]> | undefined;
  /** Parsed files kept across passes (the daemon's; see LoadCache). */
  readonly loadCache?: LoadCache | undefined;
  /** Where observations come from: the registry importer (absent when offline). */
  readonly importer?: ImportSource | undefined;
}

/** The import layer as the pass uses it; the Importer is one, a recorded set of observations is another. */
export type ImportSource = Pick<Importer, 'importImages' | 'repositoryTags'>;

export interface ImportReport {
  readonly stream: string;
  readonly tag: string | undefined;
  readonly from: string;
  readonly reason: DueImport['reason'];
  readonly result: Observation | { ok: false; failure: { reason: string; message: string } };
}

export interface FileChange {
  /** Display path. */
  readonly file: string;
  readonly absolute: string;
  readonly before: string;
  readonly after: string;
  readonly edits: ReadonlyArray<{ readonly document: number; readonly op: PatchOp; readonly stream: string }>;
}

export interface PassResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly files: ReadonlyMap<string, ParsedFile>;
  readonly streams: readonly (StreamInput & { readonly object: ManifestObject })[];
  readonly due: readonly DueImport[];
  readonly nextDueAt: string | undefined;
  readonly imports: readonly ImportReport[];
  readonly plan: Plan;
  readonly workloads: readonly WorkloadPlan[];
  readonly workloadSkips: readonly WorkloadSkip[];
  /** A readable name for each workload key: `file: Kind namespace/name`. */
  readonly workloadNames: ReadonlyMap<string, string>;
  readonly skips: readonly Skip[];
  readonly changes: readonly FileChange[];
  readonly renderErrors: ReadonlyArray<RenderError>;
}

/** A file the pass could not render (it is left untouched): `code` for machines, `error` for people. */
export interface RenderError {
  readonly file: string;
  readonly code: PatchErrorCode;
  readonly error: string;
}

const streamKey = (o: ManifestObject): string => `${o.location.file}#${o.location.documentIndex}${o.location.pointer}`;

/** Streams a pass may change: in a file without errors, and (inside a Template) naming no `${PARAM}`. */
function reconcilableStreams(objects: readonly ManifestObject[], badFiles: ReadonlySet<string>, defaultNamespace: string, skips: Skip[]): Array<StreamInput & { object: ManifestObject }> {
  const out: Array<StreamInput & { object: ManifestObject }> = [];
  for (const o of objects) {
    if (o.kind !== 'ImageStream') continue;
    const key = streamKey(o);
    const metadata = isRecord(o.value.metadata) ? o.value.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    if (badFiles.has(o.location.file)) {
      skips.push({ stream: key, code: 'invalid-file', reason: 'the file has validation errors; fix them first (see the diagnostics)' });
      continue;
    }
    if (o.template && (holdsTemplateParameter(JSON.stringify(o.value.spec ?? {})) || holdsTemplateParameter(name) || holdsTemplateParameter(metadata.namespace))) {
      skips.push({ stream: key, code: 'template-parameters', reason: 'inside a Template with ${PARAMETER} references: only known once the template is processed' });
      continue;
    }
    out.push({ key, namespace: objectNamespace(o, defaultNamespace), name, value: o.value, object: o });
  }
  return out;
}

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
  return [metadata.namespace, notes['image.openshift.io/triggers'], notes['alpha.image.policy.openshift.io/resolve-names'], isRecord(value.spec) ? value.spec.triggers : undefined, images];
}

/** Workloads a pass may change: in a file without errors; inside a Template only when they name no `${PARAM}`. */
function reconcilableWorkloads(objects: readonly ManifestObject[], badFiles: ReadonlySet<string>, defaultNamespace: string): Array<{ input: WorkloadInput; object: ManifestObject; skip?: string }> {
  const out: Array<{ input: WorkloadInput; object: ManifestObject; skip?: string }> = [];
  for (const o of objects) {
    if (!podSpecSegments(o.kind)) continue;
    const input = { key: streamKey(o), kind: o.kind, namespace: objectNamespace(o, defaultNamespace), value: o.value };
    if (badFiles.has(o.location.file)) continue; // the file's diagnostics already say why
    if (o.template && holdsTemplateParameter(JSON.stringify(templateReferences(o.value)))) {
      out.push({ input: { ...input, kind: '' }, object: o, skip: 'inside a Template with ${PARAMETER} references: only known once the template is processed' });
      continue;
    }
    out.push({ input, object: o });
  }
  return out;
}

async function runImports(due: readonly DueImport[], importer: ImportSource): Promise<{ reports: ImportReport[]; tagResults: Map<string, Map<string, ImportOutcome>>; repositoryResults: Map<string, RepositoryOutcome> }> {
  const reports: ImportReport[] = [];
  const tagResults = new Map<string, Map<string, ImportOutcome>>();
  const repositoryResults = new Map<string, RepositoryOutcome>();
  const tagImports = due.filter((d): d is DueTagImport => d.kind === 'tag');
  const requests: ImportRequest[] = tagImports.map((d) => ({ from: d.from, importMode: d.importMode, insecure: d.insecure, preferArch: d.preferArch, preferOs: d.preferOs }));
  const observations = await importer.importImages(requests);
  tagImports.forEach((d, i) => {
    const o = observations[i] as Observation;
    const byTag = tagResults.get(d.stream) ?? new Map<string, ImportOutcome>();
    byTag.set(d.tag, o);
    tagResults.set(d.stream, byTag);
    reports.push({ stream: d.stream, tag: d.tag, from: d.from, reason: d.reason, result: o });
  });
  for (const d of due) {
    if (d.kind !== 'repository') continue;
    const listed = await importer.repositoryTags(d.from, d.insecure, d.cap);
    if (!listed.ok) {
      repositoryResults.set(d.stream, { ok: false, tags: [], failure: listed.failure });
      reports.push({ stream: d.stream, tag: undefined, from: d.from, reason: d.reason, result: { ok: false, failure: listed.failure } });
      continue;
    }
    const results = await importer.importImages(listed.tags.map((t) => ({ from: `${d.from}:${t}`, importMode: 'Legacy', insecure: d.insecure })));
    repositoryResults.set(d.stream, { ok: true, tags: listed.tags.map((tag, i) => ({ tag, outcome: results[i] as Observation })) });
    listed.tags.forEach((tag, i) => reports.push({ stream: d.stream, tag, from: `${d.from}:${tag}`, reason: d.reason, result: results[i] as Observation }));
  }
  return { reports, tagResults, repositoryResults };
}

export async function reconcilePass(options: PassOptions): Promise<PassResult> {
  const repo = await loadRepository([options.repoDir], { walk: options.walk, limits: options.limits, displayBase: options.displayBase, ...(options.loadCache ? { cache: options.loadCache } : {}) });
  const diagnostics = validateRepository(repo, { defaultNamespace: options.defaultNamespace });
  const badFiles = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));
  const skips: Skip[] = [];
  const streams = reconcilableStreams(repo.objects, badFiles, options.defaultNamespace, skips);
  const { imports: due, nextDueAt } = dueImports(streams, {
    now: options.now,
    forceImport: options.forceImport,
    ...(options.lastChecked ? { lastChecked: options.lastChecked } : {}),
    ...(options.forceSources ? { forceSources: options.forceSources } : {}),
    ...(options.scheduleIntervalMs ? { scheduleIntervalMs: options.scheduleIntervalMs } : {}),
    ...(options.repositoryTagCap !== undefined ? { repositoryTagCap: options.repositoryTagCap } : {}),
    parseSchedule: parseCronSchedule,
  });
  const ran = !options.offline && options.importer && due.length > 0 ? await runImports(due, options.importer) : { reports: [], tagResults: new Map(), repositoryResults: new Map() };
  const planned = planStreams({ streams, tagResults: ran.tagResults, repositoryResults: ran.repositoryResults, now: options.now, policy: { localRegistry: options.localRegistry, historyLimit: options.historyLimit } });
  skips.push(...planned.skips);

  // Workloads resolve against the status computed in this same pass, so one pass converges.
  const planValues = new Map(planned.streams.map((p) => [p.stream, p.value]));
  const resolved = repo.objects
    .filter((o) => o.kind === 'ImageStream' && !o.template)
    .map((o) => {
      const metadata = isRecord(o.value.metadata) ? o.value.metadata : {};
      return { namespace: objectNamespace(o, options.defaultNamespace), name: typeof metadata.name === 'string' ? metadata.name : '', value: planValues.get(streamKey(o)) ?? o.value };
    });
  const workloadInputs = reconcilableWorkloads(repo.objects, badFiles, options.defaultNamespace);
  const workloadPlan = planWorkloads(workloadInputs.map((w) => w.input), resolved, { imagePullers: options.imagePullers });
  const workloadSkips: WorkloadSkip[] = [...workloadInputs.flatMap((w) => (w.skip ? [{ workload: w.input.key, code: 'template-parameters' as const, reason: w.skip }] : [])), ...workloadPlan.skips];

  // Group the edits by file and document; render each file once, verified, or not at all.
  const byFile = new Map<string, Map<number, Array<{ op: PatchOp; stream: string }>>>();
  for (const wp of workloadPlan.plans) {
    const object = workloadInputs.find((w) => w.input.key === wp.workload)?.object;
    if (!object) continue;
    const { file, documentIndex, pointer } = object.location;
    const docs = byFile.get(file) ?? new Map<number, Array<{ op: PatchOp; stream: string }>>();
    const ops = docs.get(documentIndex) ?? [];
    for (const e of wp.edits) ops.push({ op: { ...e, path: pointer + e.path } as PatchOp, stream: wp.workload });
    docs.set(documentIndex, ops);
    byFile.set(file, docs);
  }
  for (const sp of planned.streams) {
    if (sp.edits.length === 0) continue;
    const stream = streams.find((s) => s.key === sp.stream);
    if (!stream) continue;
    const { file, documentIndex, pointer } = stream.object.location;
    const docs = byFile.get(file) ?? new Map<number, Array<{ op: PatchOp; stream: string }>>();
    const ops = docs.get(documentIndex) ?? [];
    for (const e of sp.edits) ops.push({ op: { ...e, path: pointer + e.path } as PatchOp, stream: sp.stream });
    docs.set(documentIndex, ops);
    byFile.set(file, docs);
  }
  const changes: FileChange[] = [];
  const renderErrors: RenderError[] = [];
  for (const [file, docs] of [...byFile.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parsed = repo.files.get(file);
    if (!parsed) continue;
    const patches: DocumentPatch[] = [...docs.entries()].map(([document, ops]) => ({ document, ops: ops.map((o) => o.op) }));
    // A file the next pass could not read is not written (limits.maxFileBytes is also the read limit).
    const result = applyPatches(parsed.text, parsed.format, patches, { maxBytes: options.limits.maxFileBytes });
    if (!result.ok) {
      if (result.code !== 'too-large') {
        renderErrors.push({ file, code: result.code, error: result.error });
        continue;
      }
      // Name the streams, how much status they hold, and the settings that would make the file fit.
      const named = [...new Set([...docs.values()].flatMap((ops) => ops.map((o) => o.stream)))].flatMap((key) => {
        const s = streams.find((x) => x.key === key);
        const status = planValues.get(key)?.status;
        const tags: unknown[] = isRecord(status) && Array.isArray(status.tags) ? status.tags : [];
        const items = tags.reduce((n: number, t) => n + (isRecord(t) && Array.isArray(t.items) ? t.items.length : 0), 0);
        return s ? [`${s.namespace}/${s.name} (${tags.length} status tags, ${items} history items)`] : [];
      });
      const which = named.length === 0 ? '' : ` for the stream${named.length === 1 ? '' : 's'} ${named.join(', ')}`;
      const error = `${result.error}${which}, so it is left as it is; keep fewer history items with reconcile.historyLimit, import fewer tags of a whole repository with reconcile.repositoryTagCap, or raise limits.maxFileBytes`;
      renderErrors.push({ file, code: result.code, error });
      continue;
    }
    if (result.text === parsed.text) continue;
    const edits = [...docs.entries()].flatMap(([document, ops]) => ops.map((o) => ({ document, op: o.op, stream: o.stream })));
    changes.push({ file, absolute: path.resolve(options.displayBase, file), before: parsed.text, after: result.text, edits });
  }
  const workloadNames = new Map(
    workloadInputs.map((w) => [w.input.key, `${w.object.location.file}: ${w.object.kind} ${w.input.namespace}/${String(isRecord(w.object.value.metadata) ? w.object.value.metadata.name : '')}`]),
  );
  return { diagnostics, files: repo.files, streams, due, nextDueAt, imports: ran.reports, plan: planned, workloads: workloadPlan.plans, workloadSkips, workloadNames, skips, changes, renderErrors };
}
