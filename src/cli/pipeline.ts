/**
 * One reconcile pass over a repository, as data. This file only sequences I/O; every decision is the core's
 * (src/reconcile/pass.ts) and every edit is the renderer's (src/render/edits.ts):
 *
 * 1. load the repository (text edge) and validate it;
 * 2. ask the core what the pass may change (`selectPassInputs`) and what to import (`importsToRun`);
 * 3. run those imports (registry edge), unless offline;
 * 4. ask the core for the whole result (`planPass`);
 * 5. render its edits per file, verified (text edge).
 *
 * Writes nothing: the caller decides (write, diff, check, commit). The one-shot `reconcile` and the daemon share it.
 * Never throws for a file, an import or a render: those are diagnostics, reports and render failures in the result;
 * it throws only when the repository itself cannot be read, or for a bug.
 */
import path from 'node:path';
import type { CheckObservation, Importer } from '../import/index.js';
import type { DueImport } from '../reconcile/due.js';
import type {
  ImportFailure,
  ImportReport as CoreImportReport,
  ImportWork,
  Listing,
  PassObservations,
  PassPlan,
  SelectedStream,
} from '../reconcile/pass.js';
import { decidePolicies, importsToRun, planPass, repositoryTagRequests, selectPassInputs } from '../reconcile/pass.js';
import type { Plan, Skip } from '../reconcile/plan.js';
import type { ReconcileSettings } from '../reconcile/settings.js';
import type { WorkloadPlan, WorkloadSkip } from '../reconcile/workloads.js';
import type { Diagnostic } from '../render/diagnostic.js';
import type { FileChange, RenderFailure } from '../render/edits.js';
import { renderEdits } from '../render/edits.js';
import type { LoadLimits } from '../render/limits.js';
import { loadRepository } from '../render/repository.js';
import type { LoadCache } from '../render/repository.js';
import { ParseStore } from '../render/parse-store.js';
import type { ParsedFile } from '../render/source.js';
import { parseCronSchedule } from '../render/cron.js';
import { validateRepository } from '../render/validate.js';
import type { ValidationMemo } from '../render/validate.js';
import type { WalkOptions } from '../render/walk.js';

export type { FileChange } from '../render/edits.js';

export interface PassOptions {
  readonly repoDir: string;
  /** Base for the file names in reports (the working directory). */
  readonly displayBase: string;
  readonly walk: WalkOptions;
  readonly limits: LoadLimits;
  /** Everything the core decides by (src/reconcile/settings.ts), settled once by src/cli/config.ts. */
  readonly settings: ReconcileSettings;
  readonly now: string;
  readonly offline: boolean;
  readonly forceImport: boolean;
  readonly lastChecked?: ReadonlyMap<string, string>;
  /** When pending images were first seen (the daemon's memory; see PassMemory in src/reconcile/pass.ts). */
  readonly firstSeen?: ReadonlyMap<string, string>;
  /** Import now the tags whose from.name this accepts (registry notifications). */
  readonly forceSources?: ((from: string) => boolean) | undefined;
  /** Parsed files kept across passes (the daemon's; see LoadCache). */
  readonly loadCache?: LoadCache | undefined;
  /** The last validation, reused while no file changed (the daemon's; see ValidationMemo). */
  readonly validationMemo?: ValidationMemo | undefined;
  /** Parses kept on disk between runs (src/render/parse-store.ts); the caller saves it. */
  readonly parseStore?: ParseStore | undefined;
  /** Where observations come from: the registry importer (absent when offline). */
  readonly importer?: ImportSource | undefined;
}

/** The import layer as the pass uses it; the Importer is one, a recorded set of observations is another. */
/** `listTags` is needed only by policy tags (a recorded source without it lists nothing). */
export type ImportSource = Pick<Importer, 'importImages' | 'repositoryTags'> & Partial<Pick<Importer, 'listTags'>>;

export type ImportReport = CoreImportReport<CheckObservation>;

export interface PassResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly files: ReadonlyMap<string, ParsedFile>;
  readonly streams: readonly SelectedStream[];
  readonly due: readonly DueImport[];
  readonly nextDueAt: string | undefined;
  readonly imports: readonly ImportReport[];
  readonly plan: Plan;
  readonly workloads: readonly WorkloadPlan[];
  readonly workloadSkips: readonly WorkloadSkip[];
  /** A readable name for each workload key: `file: Kind namespace/name`. */
  readonly workloadNames: ReadonlyMap<string, string>;
  /** Holds the pass placed (a person's rollback of a workload, kept). */
  readonly holds: PassPlan['holds'];
  /** New images held back until they are old enough (reconcile.minAge, imagestreams.dev/min-age). */
  readonly pending: PassPlan['pending'];
  readonly skips: readonly Skip[];
  readonly changes: readonly FileChange[];
  readonly renderErrors: readonly RenderFailure[];
}

/** Step 3: the registry edge runs what the core asked for, in its order. */
async function runImports(
  work: ImportWork,
  importer: ImportSource,
  streams: readonly SelectedStream[],
  now: string,
  minAgeMs: number,
): Promise<PassObservations<CheckObservation>> {
  const tags = work.tags.length > 0 ? await importer.importImages(work.tags.map((t) => t.request)) : [];
  const repositories: Array<PassObservations<CheckObservation>['repositories'][number]> = [];
  for (const d of work.repositories) {
    const listed = await importer.repositoryTags(d.from, d.insecure, d.cap);
    if (!listed.ok) {
      const why =
        'deferred' in listed
          ? { ok: false as const, deferred: listed.deferred }
          : ({ ok: false, failure: listed.failure } satisfies ImportFailure);
      repositories.push({ listed: why, outcomes: [] });
      continue;
    }
    repositories.push({
      listed: { ok: true, tags: listed.tags },
      outcomes: await importer.importImages(repositoryTagRequests(d, listed.tags)),
    });
  }
  // Policy tags: list each repository, let the core pick a tag, import the picks (one HEAD each when unchanged).
  const listings: Listing[] = [];
  for (const p of work.policies) {
    const listed = importer.listTags
      ? await importer.listTags(p.repository, p.insecure)
      : { ok: false as const, failure: { reason: 'InternalError', message: 'this import source cannot list tags' } };
    listings.push(
      listed.ok
        ? { ok: true, tags: listed.tags }
        : 'deferred' in listed
          ? { ok: false, deferred: listed.deferred }
          : { ok: false, failure: listed.failure },
    );
  }
  const decisions = decidePolicies(work.policies, listings, streams, now, minAgeMs);
  const wanted = decisions.flatMap((d) => (d.request ? [d.request] : []));
  const imported = wanted.length > 0 ? await importer.importImages(wanted) : [];
  let k = 0;
  const policies = decisions.map((decision) => ({ decision, outcome: decision.request ? imported[k++] : undefined }));
  return { tags, repositories, policies };
}

/**
 * Runs one pass. Outcomes, all in the result (never thrown):
 * - invalid files: `diagnostics` (errors), their streams in `skips` (`invalid-file`), left alone;
 * - imports: `imports`, each an observation (success, or a failure with OpenShift's reason);
 * - streams and workloads that could not be reconciled: `skips` / `workloadSkips`, each with a code;
 * - files to write: `changes` (verified new text); files that could not be rendered: `renderErrors` (with a code;
 *   that file is not in `changes`);
 * - `nextDueAt`: when the next scheduled tag comes due.
 * Throws only when the repository cannot be read at all (the root is missing) or for a bug.
 */
export async function reconcilePass(options: PassOptions): Promise<PassResult> {
  const { settings } = options;
  const repo = await loadRepository([options.repoDir], {
    walk: options.walk,
    limits: options.limits,
    displayBase: options.displayBase,
    ...(options.loadCache ? { cache: options.loadCache } : {}),
    ...(options.parseStore ? { store: options.parseStore } : {}),
  });
  const diagnostics = validateRepository(
    repo,
    { defaultNamespace: settings.defaultNamespace, workloadKinds: settings.workloadKinds },
    { memo: options.validationMemo, store: options.parseStore },
  );
  const invalidFiles = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));
  const selection = selectPassInputs(repo.objects, invalidFiles, settings, repo.markers, repo.kustomizations);
  const work = importsToRun(
    selection,
    {
      now: options.now,
      forceImport: options.forceImport,
      lastChecked: options.lastChecked,
      forceSources: options.forceSources,
      parseSchedule: parseCronSchedule,
    },
    settings,
  );
  const observed =
    !options.offline && options.importer && work.due.length > 0
      ? await runImports(work, options.importer, selection.streams, options.now, settings.minAgeMs)
      : { tags: [], repositories: [] };
  const pass = planPass(selection, work, observed, repo.objects, options.now, settings, {
    ...(options.firstSeen ? { firstSeen: options.firstSeen } : {}),
  });
  const rendered = renderEdits(repo.files, pass.files, {
    displayBase: options.displayBase,
    maxBytes: options.limits.maxFileBytes,
    explainTooLarge: pass.tooLarge,
  });
  return {
    diagnostics,
    files: repo.files,
    streams: selection.streams,
    due: work.due,
    nextDueAt: pass.nextDueAt,
    imports: pass.imports,
    plan: pass.plan,
    workloads: pass.workloads,
    workloadSkips: pass.workloadSkips,
    workloadNames: pass.workloadNames,
    holds: pass.holds,
    pending: pass.pending,
    skips: pass.skips,
    changes: rendered.changes,
    renderErrors: rendered.failures,
  };
}

/**
 * The parse store of a repository under the cache directory (`<cache dir>/parsed/`): one per repository and
 * display base, since diagnostics and markers carry the names files are shown by. None without a cache directory,
 * or when it lies inside the repository.
 */
export function parseStoreFor(cacheDir: string | undefined, repoDir: string, displayBase: string): ParseStore | undefined {
  if (cacheDir === undefined) return undefined;
  // A cache directory inside the repository (HOME at the checkout): no store, the repository's tree is the user's.
  const inside = path.relative(path.resolve(repoDir), path.resolve(cacheDir));
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) return undefined;
  return new ParseStore(path.join(cacheDir, 'parsed'), `${path.resolve(repoDir)}\0${path.resolve(displayBase)}`);
}
