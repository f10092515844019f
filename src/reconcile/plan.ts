/**
 * `plan`: stream definitions + what the registries said + `now` → field edits and skips (semantics.md §3–§7).
 * Pure and deterministic; planning again over its own output with the same observations gives no edits.
 */
import { annotationsOf, findStatusTag, metadataOf, specOf, specTagsOf, statusTagsOf } from './accessors.js';
import type { DueImport, StreamInput } from './due.js';
import { formatImportRecord, importRecordAnnotation, readImportRecord, SpecHashes } from './import-record.js';
import type { FieldEdit } from './json-diff.js';
import { diffValues } from './json-diff.js';
import type { NamedTagEventList, TagEvent, TagReference } from './model.js';
import { annotations as knownAnnotations } from './model.js';
import { isRecord } from './objects.js';
import { ambiguousStream, ByName } from './stream-index.js';
import {
  addTagEvent,
  applyImportFailure,
  applyImportSuccess,
  importSuccessChanges,
  resolveImageID,
  tagEventChanges,
  trackedTag,
} from './status.js';
import { parseImageSource, parseTagSource } from './tag-names.js';
import { cloneValue } from './values.js';

/**
 * Why the registry edge put an import off to a later pass instead of running it: the registry's request budget
 * (configured, or what its rate-limit headers say is left) is spent, or it answered 429 for longer than a pass waits.
 */
export type DeferralCode = 'registry-budget-spent' | 'registry-rate-limited';

/** An import not run in this pass: it changes nothing (no status, no condition, no record) and the tag stays due. */
export interface ImportDeferral {
  readonly code: DeferralCode;
  /** The registry whose budget is spent (`docker.io`, `quay.io`, `host:port`). */
  readonly registry: string;
  readonly message: string;
  /** When the registry is expected to take the request (RFC 3339): the pass's next due time is no later. */
  readonly retryAt: string;
}

/** What one import gave, as the core needs it (the registry edge's Observation fits this shape). */
export type ImportOutcome =
  | { readonly ok: true; readonly image: { readonly digest: string; readonly dockerImageReference: string } }
  | { readonly ok: false; readonly failure: { readonly reason: string; readonly message: string } }
  | { readonly ok: false; readonly deferred: ImportDeferral };

/** Whether an outcome is a deferral (not a failure: nothing is written for it and it is due again). */
export const isDeferred = (o: { readonly ok: boolean }): o is { readonly ok: false; readonly deferred: ImportDeferral } =>
  !o.ok && 'deferred' in o;

export interface RepositoryOutcome {
  readonly ok: boolean;
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly outcome: ImportOutcome }>;
  readonly failure?: { readonly reason: string; readonly message: string };
}

export interface ReconcilePolicy {
  /** Integrated-registry stand-in for `Local` reference policy and status.dockerImageRepository (§6.14, §13.4). */
  readonly localRegistry?: string | undefined;
  /** Keep at most this many history items per tag (our policy; 0 or undefined = no cap, as OpenShift). */
  readonly historyLimit?: number | undefined;
}

export interface PlanInput {
  readonly streams: readonly StreamInput[];
  /** The imports that ran, with their outcomes, by stream key then tag. */
  readonly tagResults: ReadonlyMap<string, ReadonlyMap<string, ImportOutcome>>;
  readonly repositoryResults: ReadonlyMap<string, RepositoryOutcome>;
  readonly now: string;
  readonly policy: ReconcilePolicy;
  /** The pass's spec hashes, shared with due (a new set when absent). */
  readonly specHashes?: SpecHashes;
}

export interface TagChange {
  readonly tag: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly kind: 'imported' | 'import-failed' | 'derived' | 'tracked';
  readonly detail?: string;
}

/** Why a stream or one of its tags was not reconciled; `code` is for machines (reports, tests), `reason` for people. */
export type SkipCode = 'invalid-file' | 'template-parameters' | 'image-not-found' | 'source-stream-not-found' | 'ambiguous-stream';

export interface Skip {
  readonly stream: string;
  readonly tag?: string;
  readonly code: SkipCode;
  readonly reason: string;
}

export interface StreamPlan {
  readonly stream: string;
  /** The stream as it will be after the edits (what workloads resolve against in the same pass). */
  readonly value: Readonly<Record<string, unknown>>;
  readonly edits: readonly FieldEdit[];
  readonly changes: readonly TagChange[];
}

export interface Plan {
  readonly streams: readonly StreamPlan[];
  readonly skips: readonly Skip[];
}

interface Work {
  readonly input: StreamInput;
  readonly spec: readonly TagReference[];
  /**
   * The status tags: the input's own (read-only) until the first change, then a copy of them (`writableStatus`).
   * A pass with nothing new copies no stream's status.
   */
  status: NamedTagEventList[];
  ownStatus: boolean;
  readonly record: Map<string, string>;
  /** Each spec tag's hash (tagSpecHash), computed once a pass: spec tags are not written while planning. */
  readonly hashes: SpecHashes;
  readonly nextGeneration: number;
  readonly changes: TagChange[];
  readonly generationWrites: Map<string, number>;
  imported: boolean;
  statusChanged: boolean;
  /** Some tags of its whole-repository import were deferred (the repository import stays due). */
  repositoryDeferred?: boolean;
}

/** The highest generation written anywhere in the stream (there is no server to keep one, §13.3). */
function streamGeneration(
  value: Readonly<Record<string, unknown>>,
  spec: readonly TagReference[],
  status: readonly NamedTagEventList[],
): number {
  const metadata = metadataOf(value);
  let g = typeof metadata.generation === 'number' ? metadata.generation : 1;
  for (const t of spec) if (typeof t.generation === 'number') g = Math.max(g, t.generation);
  for (const t of status) {
    for (const i of t.items ?? []) if (typeof i.generation === 'number') g = Math.max(g, i.generation);
    for (const c of t.conditions ?? []) if (typeof c.generation === 'number') g = Math.max(g, c.generation);
  }
  return g;
}

const specHash = (w: Work, t: TagReference): string => w.hashes.of(t, w.input.namespace);

/** The stream's status tags to change: copied from the input on the first call. */
function writableStatus(w: Work): NamedTagEventList[] {
  if (!w.ownStatus) {
    w.status = cloneValue(w.status);
    w.ownStatus = true;
  }
  return w.status;
}

const head = (w: Work, tag: string): TagEvent | undefined => findStatusTag(w.status, tag)?.items?.[0];

/** What a tag showed before this pass changed it, as its report names it (undefined: it had no image yet). */
const previous = (w: Work, tag: string): string | undefined => {
  const h = head(w, tag);
  return h ? h.image || h.dockerImageReference : undefined;
};

function event(now: string, ref: string, image: string, generation: number): TagEvent {
  return { created: now, dockerImageReference: ref, image, generation };
}

function applyImports(w: Work, input: PlanInput): void {
  const results = input.tagResults.get(w.input.key);
  const specByName = new Map<string, TagReference>();
  for (const t of w.spec) if (!specByName.has(t.name)) specByName.set(t.name, t);
  for (const [tag, outcome] of results ?? []) {
    const spec = specByName.get(tag);
    if (!spec || 'deferred' in outcome) continue; // a deferred import changes nothing: the tag stays due
    const before = head(w, tag)?.image;
    w.imported = true;
    if (outcome.ok) {
      // `generation: 0` means "re-import": the update that asked for it gives the tag the new generation (§5.2).
      const specGeneration = spec.generation === 0 ? w.nextGeneration : (spec.generation ?? head(w, tag)?.generation ?? null);
      const e = event(input.now, outcome.image.dockerImageReference, outcome.image.digest, w.nextGeneration);
      if (importSuccessChanges(w.status, tag, specGeneration, e) && applyImportSuccess(writableStatus(w), tag, specGeneration, e)) {
        w.statusChanged = true;
        if (before !== outcome.image.digest) w.changes.push({ tag, from: before, to: outcome.image.digest, kind: 'imported' });
      }
    } else if (applyImportFailure(writableStatus(w), tag, outcome.failure, w.nextGeneration, input.now)) {
      w.statusChanged = true;
      w.changes.push({
        tag,
        from: before,
        to: before,
        kind: 'import-failed',
        detail: `${outcome.failure.reason}: ${outcome.failure.message}`,
      });
    }
    // The tool's own bookkeeping (§6.7): an explicit `generation: 0` asked for this import; now it has happened.
    if (spec.generation === 0) w.generationWrites.set(tag, w.nextGeneration);
    w.record.set(tag, specHash(w, spec));
  }
  const repo = input.repositoryResults.get(w.input.key);
  if (repo) {
    w.imported = true;
    for (const { tag, outcome } of repo.tags) {
      // A tag the spec names is governed by its own spec tag (its source, policy and import); the repository listing
      // never overrides it, so the result does not depend on which import ran in this pass (one pass converges).
      if ('deferred' in outcome) w.repositoryDeferred = true;
      if (specByName.has(tag) || 'deferred' in outcome) continue;
      const before = head(w, tag)?.image;
      if (outcome.ok) {
        if (
          applyImportSuccess(
            writableStatus(w),
            tag,
            head(w, tag)?.generation ?? null,
            event(input.now, outcome.image.dockerImageReference, outcome.image.digest, w.nextGeneration),
          )
        ) {
          w.statusChanged = true;
          if (before !== outcome.image.digest) w.changes.push({ tag, from: before, to: outcome.image.digest, kind: 'imported' });
        }
      } else if (applyImportFailure(writableStatus(w), tag, outcome.failure, w.nextGeneration, input.now)) {
        w.statusChanged = true;
      }
    }
  }
}

/** §3.2–3.5 for changed tags, and §3.7 tracking for all; returns whether anything changed. */
function derive(w: Work, works: ByName<Work>, input: PlanInput, skips: Skip[]): boolean {
  let any = false;
  const ns = w.input.namespace;
  for (const t of w.spec) {
    const from = t.from;
    if (!from?.name || !from.kind) continue;
    const changed = w.record.get(t.name) !== specHash(w, t);
    if (from.kind === 'DockerImage') {
      if (!t.reference || !changed) continue;
      const before = previous(w, t.name);
      if (addTagEvent(writableStatus(w), t.name, event(input.now, from.name, '', w.nextGeneration))) {
        w.changes.push({ tag: t.name, from: before, to: from.name, kind: 'derived' });
        any = true;
      }
      w.record.set(t.name, specHash(w, t));
      continue;
    }
    if (from.kind === 'ImageStreamTag') {
      const own = trackedTag(t, w.input.name, ns);
      if (own !== undefined) {
        const target = head(w, own);
        const before = previous(w, t.name);
        if (target && tagEventChanges(w.status, t.name, target) && addTagEvent(writableStatus(w), t.name, { ...target })) {
          w.changes.push({ tag: t.name, from: before, to: target.image || target.dockerImageReference, kind: 'tracked' });
          any = true;
        }
        continue;
      }
      if (!changed) continue;
      const parsed = parseTagSource(from.name);
      if ('error' in parsed || parsed.stream === undefined) continue;
      const source = findStream(works, from.namespace || ns, parsed.stream, w, t, skips);
      const copied = source ? head(source, parsed.tag) : undefined;
      if (!copied) continue; // nothing to copy yet: tried again on the next pass (§13)
      const before = previous(w, t.name);
      if (addTagEvent(writableStatus(w), t.name, { ...copied, generation: w.nextGeneration })) {
        w.changes.push({ tag: t.name, from: before, to: copied.image || copied.dockerImageReference, kind: 'derived' });
        any = true;
      }
      w.record.set(t.name, specHash(w, t));
      continue;
    }
    if (from.kind === 'ImageStreamImage' && changed) {
      const parsed = parseImageSource(from.name);
      if ('error' in parsed) continue;
      const source =
        parsed.stream === undefined || (parsed.stream === w.input.name && (from.namespace || ns) === ns)
          ? w
          : findStream(works, from.namespace || ns, parsed.stream, w, t, skips);
      if (!source) continue;
      const resolved = resolveImageID(source.status, parsed.id);
      if (!resolved.ok) {
        addSkip(skips, {
          stream: w.input.key,
          tag: t.name,
          code: 'image-not-found',
          reason: `error generating tag event: ${resolved.message}`,
        });
        continue;
      }
      const before = previous(w, t.name);
      if (
        addTagEvent(
          writableStatus(w),
          t.name,
          event(input.now, resolved.event.dockerImageReference, resolved.event.image, w.nextGeneration),
        )
      ) {
        w.changes.push({ tag: t.name, from: before, to: resolved.event.image, kind: 'derived' });
        any = true;
      }
      w.record.set(t.name, specHash(w, t));
    }
  }
  if (any) w.statusChanged = true;
  return any;
}

function findStream(works: ByName<Work>, namespace: string, name: string, w: Work, t: TagReference, skips: Skip[]): Work | undefined {
  const found = works.lookup(namespace, name);
  if (found.kind === 'found') return found.entry;
  const reason =
    found.kind === 'missing'
      ? `spec.tags[${t.name}].from.name: Not found: "${t.from?.name ?? ''}" (no stream ${namespace}/${name} in the repository)`
      : `spec.tags[${t.name}].from.name: ${ambiguousStream(namespace, name, found.entries.length)}`;
  addSkip(skips, {
    stream: w.input.key,
    tag: t.name,
    code: found.kind === 'missing' ? 'source-stream-not-found' : 'ambiguous-stream',
    reason,
  });
  return undefined;
}

/** Derivation runs in rounds; a skip is reported once. */
function addSkip(skips: Skip[], skip: Skip): void {
  if (!skips.some((s) => s.stream === skip.stream && s.tag === skip.tag && s.reason === skip.reason)) skips.push(skip);
}

/** The new object value for a stream, changed only where the plan changed something. */
function streamValueAfter(w: Work, input: PlanInput): Readonly<Record<string, unknown>> {
  const inputNotes = annotationsOf(w.input.value);
  const checkMissingBefore =
    typeof inputNotes[knownAnnotations.dockerRepositoryCheck] !== 'string' || inputNotes[knownAnnotations.dockerRepositoryCheck] === '';
  // A check that finds nothing new writes nothing (§6.10); first contact with a stream records the check.
  // Nothing to write: the input itself (read-only from here on, like every plan value).
  if (!w.statusChanged && w.generationWrites.size === 0 && !(w.imported && checkMissingBefore)) return w.input.value;
  // The old status tags are replaced by the working copy below: not worth copying first (there may be thousands).
  const source = w.input.value;
  const value = cloneValue(
    w.statusChanged && isRecord(source.status) ? { ...source, status: { ...source.status, tags: [] } } : source,
  ) as Record<string, unknown>;
  const metadata = isRecord(value.metadata) ? value.metadata : (value.metadata = {});
  const notes = annotationsOf(value);
  const originalRecord = readImportRecord(annotationsOf(w.input.value));
  const specNames = new Set(w.spec.map((t) => t.name));
  for (const k of [...w.record.keys()]) if (!specNames.has(k)) w.record.delete(k);
  const recordChanged =
    formatImportRecord(w.record) !== formatImportRecord(originalRecord) ||
    typeof annotationsOf(w.input.value)[importRecordAnnotation] !== 'string';
  const checkMissing =
    typeof notes[knownAnnotations.dockerRepositoryCheck] !== 'string' || notes[knownAnnotations.dockerRepositoryCheck] === '';
  if ((w.imported && (w.statusChanged || checkMissing)) || recordChanged) {
    // A whole-repository import with deferred tags is not done: no check is recorded, so it is due again.
    if (w.imported && !w.repositoryDeferred && (w.statusChanged || checkMissing)) notes[knownAnnotations.dockerRepositoryCheck] = input.now;
    if (w.record.size > 0) notes[importRecordAnnotation] = formatImportRecord(w.record);
    metadata.annotations = notes;
  }
  if (w.generationWrites.size > 0) {
    const tags = isRecord(value.spec) && Array.isArray(value.spec.tags) ? value.spec.tags : [];
    for (const t of tags)
      if (isRecord(t) && typeof t.name === 'string' && w.generationWrites.has(t.name)) t.generation = w.generationWrites.get(t.name);
  }
  if (w.statusChanged) {
    // A changed repository alone (a local registry) changes no tag, but the new value still gets its own copy.
    const tags = writableStatus(w);
    const limit = input.policy.historyLimit ?? 0;
    if (limit > 0) for (const t of tags) if (t.items && t.items.length > limit) t.items = t.items.slice(0, limit);
    const status = isRecord(value.status) ? value.status : undefined;
    const repository = input.policy.localRegistry ? `${input.policy.localRegistry}/${w.input.namespace}/${w.input.name}` : undefined;
    if (status) {
      status.tags = tags;
      if (repository !== undefined && status.dockerImageRepository !== repository) status.dockerImageRepository = repository;
    } else {
      const spec = specOf(value);
      value.status = {
        dockerImageRepository: repository ?? (typeof spec.dockerImageRepository === 'string' ? spec.dockerImageRepository : ''),
        tags,
      };
    }
  }
  return value;
}

export function planStreams(input: PlanInput): Plan {
  const skips: Skip[] = [];
  const hashes = input.specHashes ?? new SpecHashes();
  const works: Work[] = input.streams.map((s) => {
    const spec = specTagsOf(s.value); // only read: the new value gets its own copy in render
    const status = statusTagsOf(s.value) as NamedTagEventList[]; // read-only until `writableStatus`
    return {
      input: s,
      spec,
      status,
      ownStatus: false,
      record: readImportRecord(annotationsOf(s.value)),
      hashes,
      nextGeneration: streamGeneration(s.value, spec, status) + 1,
      changes: [],
      generationWrites: new Map(),
      imported: false,
      statusChanged: false,
    };
  });
  const byName = new ByName(works, (w) => w.input);
  for (const w of works) applyImports(w, input);
  // A local registry configured after the status was written: its repository (and so every Local pull spec
  // resolved from it) is brought up to date, whatever else the pass does (docs/reconcile.md).
  if (input.policy.localRegistry)
    for (const w of works) {
      const status = w.input.value.status;
      const repository = `${input.policy.localRegistry}/${w.input.namespace}/${w.input.name}`;
      if (isRecord(status) && status.dockerImageRepository !== repository) w.statusChanged = true;
    }
  // Tracking and copies settle across streams in a few rounds (a chain of n streams needs n).
  for (let round = 0; round <= works.length; round += 1) {
    let changed = false;
    for (const w of works) if (derive(w, byName, input, skips)) changed = true;
    if (!changed) break;
  }
  const streams = works.map((w) => {
    const value = streamValueAfter(w, input);
    return { stream: w.input.key, value, edits: diffValues(w.input.value, value), changes: w.changes };
  });
  return { streams, skips };
}

export type { DueImport };
