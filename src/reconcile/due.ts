/**
 * Which imports are due now, and why (semantics.md §6.1–6.3, §6.13, §13.5). Pure: `now` and the daemon's memory of
 * its own last checks come in; a one-shot run passes no memory, so every scheduled tag is checked (one HEAD each).
 * Scheduled tags are checked again after an interval, or at the times of a per-stream cron schedule.
 */
import { parseGoDuration } from './duration.js';
import { annotationsOf, findStatusTag, importable, importModeOf, specOf, specTagsOf, statusTagsOf } from './accessors.js';
import { readImportRecord, SpecHashes } from './import-record.js';
import type { ImportMode, NamedTagEventList, TagReference } from './model.js';
import { annotations as knownAnnotations } from './model.js';
import { isRecord } from './objects.js';
import { isDigest, parseOpenShiftReference } from './reference.js';
import { observedGeneration } from './status.js';
import { heldAt } from './holds.js';
import { policyRepository, readPolicy } from './policy.js';

/** A stream the planner may change, with where it is (the key is opaque to the core). */
export interface StreamInput {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export type DueReason =
  | 'never-imported'
  | 'spec-changed'
  | 'generation-zero'
  | 'pending-generation'
  | 'scheduled'
  | 'forced'
  | 'notified'
  | 'repository';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface DueTagImport {
  readonly kind: 'tag';
  readonly stream: string;
  readonly tag: string;
  readonly from: string;
  readonly importMode: ImportMode;
  readonly insecure: boolean;
  readonly preferArch?: string;
  readonly preferOs?: string;
  readonly reason: DueReason;
  /**
   * A scheduled check of a tag whose last import succeeded for this spec: the image its status shows. The importer
   * may stop at the HEAD that confirms it (the result would be this same image).
   */
  readonly known?: string;
}

export interface DueRepositoryImport {
  readonly kind: 'repository';
  readonly stream: string;
  readonly from: string;
  readonly insecure: boolean;
  readonly cap: number;
  readonly reason: DueReason;
}

/**
 * A tag with a policy (policy.ts): its repository's tags are listed, the policy picks one, and that one is imported
 * for the tag (ImportWork.policies). Due by the same rules as a scheduled tag: a policy tag is always watched.
 */
export interface DuePolicyCheck extends Omit<DueTagImport, 'kind'> {
  readonly kind: 'policy';
  /** The repository listed: `from.name` without its tag. */
  readonly repository: string;
  /** The tag `from.name` names now. */
  readonly current: string;
}

export type DueImport = DueTagImport | DueRepositoryImport | DuePolicyCheck;

export interface DueOptions {
  readonly now: string;
  /** When each scheduled tag (`namespace/name:tag`) was last checked; absent = due now. */
  readonly lastChecked?: ReadonlyMap<string, string>;
  /** Default 15 minutes (OpenShift's minimum interval). */
  readonly scheduleIntervalMs?: number;
  readonly forceImport?: boolean;
  /** Tags taken from a whole-repository import (default 50; -1 = all). */
  readonly repositoryTagCap?: number;
  /** Import now the tags whose `from.name` this accepts (registry notifications: a push to that source). */
  readonly forceSources?: (from: string) => boolean;
  /**
   * Reads `imagestreams.dev/import-schedule` cron expressions; injected by the caller (the core knows no cron
   * dialect). Without it, or for an expression it refuses, a stream's scheduled tags follow the interval.
   */
  readonly parseSchedule?: ScheduleParser;
  /** The pass's spec hashes (planning reads them again); a new set when absent. */
  readonly specHashes?: SpecHashes;
}

/** A cron schedule: the first scheduled time strictly after a time (milliseconds since the epoch), if there is one. */
export interface Schedule {
  next(afterMs: number): number | undefined;
}

export type ScheduleParser = (
  expression: string,
) => { readonly ok: true; readonly schedule: Schedule } | { readonly ok: false; readonly error: string };

/**
 * Per-stream cron schedule for its scheduled tags: `imagestreams.dev/import-schedule: "0 6 * * 1-5"` (read as
 * node-cron reads it, in UTC). It takes the place of the interval: setting both is a validation error, and a core
 * caller that did not validate gets the schedule.
 */
export const importScheduleAnnotation = 'imagestreams.dev/import-schedule';

/** When a scheduled tag is checked again: a fixed interval after its last check, or the next time of a schedule. */
export type ImportTiming = { readonly kind: 'interval'; readonly ms: number } | { readonly kind: 'schedule'; readonly schedule: Schedule };

/** The next check after one at `lastMs` (undefined: a schedule that never fires again). */
export function nextCheck(timing: ImportTiming, lastMs: number): number | undefined {
  return timing.kind === 'interval' ? lastMs + timing.ms : timing.schedule.next(lastMs);
}

/** Per-stream schedule interval: `imagestreams.dev/import-interval: 5m` (a Go duration such as 1m30s; at least 1 minute). */
export const importIntervalAnnotation = 'imagestreams.dev/import-interval';

export function parseInterval(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  // Go's duration form (1m30s, 1.5h), as oc's duration flags take it.
  const ms = parseGoDuration(value.trim());
  return ms !== undefined && ms >= 60_000 ? Math.round(ms) : undefined;
}

export const defaultScheduleIntervalMs = 15 * 60_000;

/** A tag pinned by digest stops being scheduled once an import of it succeeded (§6.13). */
function pinnedAndImported(t: TagReference, entry: NamedTagEventList | undefined): boolean {
  const name = t.from?.name ?? '';
  if (!name.includes('@')) return false; // no digest: not pinned (the common case, without a parse)
  const parsed = parseOpenShiftReference(name);
  if (!parsed.ok || !isDigest(parsed.value.id)) return false;
  const head = entry?.items?.[0];
  if (!head) return false;
  return head.image === parsed.value.id || (typeof t.generation === 'number' && head.generation === t.generation);
}

export function scheduleKey(namespace: string, name: string, tag: string): string {
  return `${namespace}/${name}:${tag}`;
}

/** A spec tag as due reads it: its status entry, and whether it is pinned and imported (looked up once). */
interface TagFacts {
  readonly entry: NamedTagEventList | undefined;
  readonly pinned: boolean;
}

/** Why a tag needs an import now, or undefined. */
function tagDue(
  stream: StreamInput,
  t: TagReference,
  { entry, pinned }: TagFacts,
  record: ReadonlyMap<string, string>,
  options: DueOptions,
  timing: ImportTiming,
  hashes: SpecHashes,
): DueReason | undefined {
  if (!importable(t)) return undefined;
  if (options.forceImport) return 'forced';
  if (options.forceSources?.(t.from?.name ?? '')) return 'notified';
  if (t.generation === 0) return 'generation-zero';
  // OpenShift's own rule (§6.3), for files that carry spec generations (exported from a cluster, or ours).
  if (typeof t.generation === 'number' && t.generation > observedGeneration(entry)) return 'pending-generation';
  const recorded = record.get(t.name);
  const hasItems = (entry?.items?.length ?? 0) > 0;
  if (recorded === undefined) {
    // Never imported by imagestreams: import unless earlier status (say, a cluster's) already answers this spec.
    if (!hasItems && !entry?.conditions?.length) return 'never-imported';
    const observedBySpecGeneration = typeof t.generation === 'number' && t.generation <= observedGeneration(entry);
    if (!observedBySpecGeneration) {
      if (!hasItems) return undefined; // a failure recorded by someone else for this spec: like §6.3, wait
      if (!sameRepository(entry?.items?.[0]?.dockerImageReference ?? '', t.from?.name ?? '')) return 'spec-changed';
    }
  } else if (recorded !== hashes.of(t, stream.namespace)) {
    return 'spec-changed';
  }
  if (t.importPolicy?.scheduled && !pinned) {
    // Due when a scheduled time has come since the last check (the interval: when it has run out).
    const last = options.lastChecked?.get(scheduleKey(stream.namespace, stream.name, t.name));
    const next = last === undefined ? undefined : nextCheck(timing, Date.parse(last));
    if (last === undefined || (next !== undefined && next <= Date.parse(options.now))) return 'scheduled';
  }
  return undefined;
}

/** The image a tag's last import gave, when nothing since says it failed (a failed import leaves a condition). */
function confirmedImage(entry: NamedTagEventList | undefined): string | undefined {
  if (!entry || (entry.conditions?.length ?? 0) > 0) return undefined;
  const image = entry.items?.[0]?.image;
  return typeof image === 'string' && isDigest(image) ? image : undefined;
}

function sameRepository(pullSpec: string, from: string): boolean {
  const a = parseOpenShiftReference(pullSpec);
  const b = parseOpenShiftReference(from);
  if (!a.ok || !b.ok) return false;
  return a.value.registry === b.value.registry && a.value.namespace === b.value.namespace && a.value.name === b.value.name;
}

export function streamInterval(stream: StreamInput, options: DueOptions): number {
  return parseInterval(annotationsOf(stream.value)[importIntervalAnnotation]) ?? options.scheduleIntervalMs ?? defaultScheduleIntervalMs;
}

/** The stream's schedule when it has one the injected parser reads, else its interval. */
export function streamTiming(stream: StreamInput, options: DueOptions): ImportTiming {
  const expression = annotationsOf(stream.value)[importScheduleAnnotation];
  const parsed = typeof expression === 'string' && options.parseSchedule ? options.parseSchedule(expression) : undefined;
  return parsed?.ok ? { kind: 'schedule', schedule: parsed.schedule } : { kind: 'interval', ms: streamInterval(stream, options) };
}

/** Every import due now across the streams, and when the next scheduled one comes due. */
export function dueImports(streams: readonly StreamInput[], options: DueOptions): { imports: DueImport[]; nextDueAt: string | undefined } {
  const imports: DueImport[] = [];
  let next: number | undefined;
  const now = Date.parse(options.now);
  const hashes = options.specHashes ?? new SpecHashes();
  for (const stream of streams) {
    const notes = annotationsOf(stream.value);
    const streamInsecure = notes[knownAnnotations.insecureRepository] === 'true';
    const record = readImportRecord(notes);
    const status = statusTagsOf(stream.value);
    const timing = streamTiming(stream, options);
    const spec = specOf(stream.value);
    const repository = typeof spec.dockerImageRepository === 'string' ? spec.dockerImageRepository : '';
    const checked = notes[knownAnnotations.dockerRepositoryCheck];
    const fullImport = repository !== '' && (options.forceImport || typeof checked !== 'string' || checked === '');
    if (fullImport) {
      imports.push({
        kind: 'repository',
        stream: stream.key,
        from: repository,
        insecure: streamInsecure,
        cap: options.repositoryTagCap ?? 50,
        reason: options.forceImport ? 'forced' : 'repository',
      });
    }
    for (const spec of specTagsOf(stream.value)) {
      if (heldAt(spec, options.now)) continue; // a held tag is not imported (holds.ts)
      const policy = readPolicy(spec);
      const repo = policy?.ok ? policyRepository(spec) : undefined;
      const policyRepo = repo && !('error' in repo) ? repo : undefined;
      // A policy tag is watched like a scheduled one.
      const t: TagReference = policyRepo ? { ...spec, importPolicy: { ...spec.importPolicy, scheduled: true } } : spec;
      const entry = findStatusTag(status, t.name);
      const facts = { entry, pinned: pinnedAndImported(t, entry) };
      const reason =
        fullImport && importable(t)
          ? options.forceImport
            ? 'forced'
            : 'repository'
          : tagDue(stream, t, facts, record, options, timing, hashes);
      if (t.importPolicy?.scheduled && importable(t) && !facts.pinned) {
        const last = reason ? now : Date.parse(options.lastChecked?.get(scheduleKey(stream.namespace, stream.name, t.name)) ?? options.now);
        const at = nextCheck(timing, last);
        if (at !== undefined) next = Math.min(next ?? Infinity, at);
      }
      if (!reason) continue;
      const notesOfTag = isRecord(t.annotations) ? t.annotations : undefined;
      const preferArch =
        notesOfTag && typeof notesOfTag[knownAnnotations.preferArch] === 'string'
          ? (notesOfTag[knownAnnotations.preferArch] as string)
          : '';
      const preferOs =
        notesOfTag && typeof notesOfTag[knownAnnotations.preferOs] === 'string' ? (notesOfTag[knownAnnotations.preferOs] as string) : '';
      // One object per due tag (built, then given its optional fields): a pass makes one for every tag.
      const due: Mutable<DueTagImport> = {
        kind: 'tag',
        stream: stream.key,
        tag: t.name,
        from: t.from?.name ?? '',
        importMode: importModeOf(t),
        insecure: t.importPolicy?.insecure === true || streamInsecure,
        reason,
      };
      if (preferArch) due.preferArch = preferArch;
      if (preferOs) due.preferOs = preferOs;
      if (policyRepo) {
        const { kind: _tag, ...rest } = due;
        imports.push({ kind: 'policy', ...rest, repository: policyRepo.repository, current: policyRepo.current });
        continue;
      }
      const known = reason === 'scheduled' ? confirmedImage(entry) : undefined;
      if (known) due.known = known;
      imports.push(due);
    }
  }
  return { imports, nextDueAt: next === undefined || !Number.isFinite(next) ? undefined : new Date(next).toISOString() };
}
