/**
 * Holds in a pass (holds.ts): what consumers get from a held tag, and a person's rollback of a workload turned
 * into a hold instead of being undone.
 *
 * Consumers (every write-back target) resolve a tag through its status. For a tag held with an `image`, they see a
 * view of the stream whose head for that tag is the held image; the stream's real status is not changed. A
 * triggered container whose image is an older image of its tag's history as the file has it (an item after the
 * first, before this pass's imports) is a person's rollback: the tool writes a hold with that image on the tag (and says so in the report), and the container keeps
 * its image. That view is then planned again, so one pass converges.
 */
import { heldAt, holdAnnotation, holdText } from './holds.js';
import type { FieldEdit } from './json-diff.js';
import { diffValues } from './json-diff.js';
import { isRecord } from './objects.js';
import type { ReconcileSettings } from './settings.js';
import type { WriteBackInputs } from './write-back.js';
import { planWriteBack } from './write-back.js';
import type { ResolvedStream } from './workloads.js';
import { cloneValue } from './values.js';

interface TagEventLike {
  readonly created?: string;
  readonly dockerImageReference: string;
  readonly image: string;
  readonly generation?: number;
}

export interface HoldReport {
  /** `namespace/stream:tag`. */
  readonly tag: string;
  readonly image: string;
  readonly reason: string;
}

const digestOf = (pullSpec: string): string | undefined => /@(sha256:[a-f0-9]{64})$/.exec(pullSpec)?.[1];

function tagsOf(
  value: Readonly<Record<string, unknown>>,
  section: 'spec' | 'status',
  field: 'name' | 'tag',
): Array<Record<string, unknown>> {
  const part = isRecord(value[section]) ? (value[section] as Record<string, unknown>) : {};
  const tags = Array.isArray(part.tags) ? part.tags : [];
  return tags.filter((t): t is Record<string, unknown> => isRecord(t) && typeof t[field] === 'string');
}

/** The streams as consumers see them: a tag held with an image resolves to that image. */
export function heldView(streams: readonly ResolvedStream[], now: string): ResolvedStream[] {
  return streams.map((s) => {
    const held = tagsOf(s.value, 'spec', 'name').flatMap((t) => {
      const h = heldAt(t, now);
      return h?.image ? [{ tag: t.name as string, image: h.image }] : [];
    });
    if (held.length === 0) return s;
    const value = cloneValue(s.value) as Record<string, unknown>;
    const status = isRecord(value.status) ? value.status : {};
    const tags = Array.isArray(status.tags) ? status.tags : [];
    for (const h of held) {
      const entry = tags.find((t): t is Record<string, unknown> => isRecord(t) && t.tag === h.tag);
      const items = (entry && Array.isArray(entry.items) ? entry.items : []) as TagEventLike[];
      const known = items.find(
        (i) => i.dockerImageReference === h.image || (digestOf(h.image) !== undefined && i.image === digestOf(h.image)),
      );
      const head: TagEventLike = known
        ? { ...known, dockerImageReference: h.image }
        : {
            created: items[0]?.created ?? '',
            dockerImageReference: h.image,
            image: digestOf(h.image) ?? '',
            generation: items[0]?.generation ?? 0,
          };
      if (entry) entry.items = [head, ...items];
      else tags.push({ tag: h.tag, items: [head] });
    }
    value.status = { ...status, tags };
    return { ...s, value };
  });
}

interface PlannedStream {
  readonly stream: string;
  readonly value: Readonly<Record<string, unknown>>;
  readonly edits: readonly FieldEdit[];
}

/**
 * Write-back for a pass, holds applied: returns the write-back result, the stream plans (with the holds written),
 * and the holds the pass placed.
 */
export function planConsumers<P extends PlannedStream>(
  planned: readonly P[],
  selected: ReadonlyArray<{
    readonly key: string;
    readonly namespace: string;
    readonly name: string;
    readonly value: Readonly<Record<string, unknown>>;
  }>,
  resolved: (values: ReadonlyMap<string, Readonly<Record<string, unknown>>>) => ResolvedStream[],
  inputs: WriteBackInputs,
  settings: ReconcileSettings,
  now: string,
): { writeBack: ReturnType<typeof planWriteBack>; streams: P[]; holds: HoldReport[] } {
  const values = new Map(planned.map((p) => [p.stream, p.value] as const));
  let writeBack = planWriteBack(inputs, heldView(resolved(values), now), settings);
  const byName = new Map(selected.map((s) => [`${s.namespace}/${s.name}`, s] as const));
  const holds: HoldReport[] = [];
  const placed = new Map<string, Record<string, unknown>>();
  for (const { plan } of writeBack.plans) {
    for (const c of plan.changes) {
      if (c.via !== 'trigger' && c.via !== 'deployment-config') continue;
      const m = /^(.*)\/([^/:]+):([^:]+)$/.exec(c.cause);
      const s = m ? byName.get(`${m[1]}/${m[2]}`) : undefined;
      const old = digestOf(c.old);
      if (!m || !s || old === undefined) continue;
      const value = placed.get(s.key) ?? (cloneValue(values.get(s.key) ?? s.value) as Record<string, unknown>);
      const spec = tagsOf(value, 'spec', 'name').find((t) => t.name === m[3]);
      // Judged against the history as the file has it, before this pass: an image this pass's import just moved the
      // tag away from is one the workload simply has not followed yet, not a rollback.
      const items = (tagsOf(s.value, 'status', 'tag').find((t) => t.tag === m[3])?.items ?? []) as TagEventLike[];
      if (!spec || heldAt(spec, now) || items[0]?.image === old || !items.slice(1).some((i) => i.image === old)) continue;
      const reason = `rolled back to ${old.slice(0, 19)} in ${writeBack.names.get(plan.workload) ?? plan.workload}`;
      spec.annotations = {
        ...(isRecord(spec.annotations) ? spec.annotations : {}),
        [holdAnnotation]: holdText({ image: c.old, reason, since: now }),
      };
      placed.set(s.key, value);
      holds.push({ tag: c.cause, image: c.old, reason });
    }
  }
  if (placed.size === 0) return { writeBack, streams: [...planned], holds };
  const original = new Map(selected.map((s) => [s.key, s.value] as const));
  const streams = planned.map((p) => {
    const value = placed.get(p.stream);
    return value ? { ...p, value, edits: diffValues(original.get(p.stream) ?? p.value, value) } : p;
  });
  writeBack = planWriteBack(inputs, heldView(resolved(new Map(streams.map((p) => [p.stream, p.value] as const))), now), settings);
  return { writeBack, streams, holds };
}
