/**
 * Tag policies in a pass (policy.ts, holds.ts; docs/policies.md). Between the listing of a policy tag's repository
 * and the import of the chosen tag, the core decides (`decidePolicies`); after the import, it writes the decision
 * into the stream (`applyPolicyDecisions`): the chosen tag into `from.name`, the choice and first-seen times into
 * the tag's annotations, and a hold where a person moved `from.name` away from the tool's last choice.
 */
import type { DuePolicyCheck } from './due.js';
import { holdAnnotation, holdText } from './holds.js';
import type { ImageImportRequest, ImportDeferred, ImportFailure, ImportReport } from './pass.js';
import type { ImportOutcome } from './plan.js';
import type { PolicyChoice } from './policy.js';
import { choose, firstSeenAnnotation, policyChoiceAnnotation, readPolicy } from './policy.js';
import { isRecord } from './objects.js';
import type { StreamInput } from './due.js';
import { minAgeOf } from './maturity.js';
import { cloneValue } from './values.js';

export type Listing = { readonly ok: true; readonly tags: readonly string[] } | ImportFailure | ImportDeferred;

/** What the core decided for one policy check, once its repository was listed. */
export interface PolicyDecision {
  readonly check: DuePolicyCheck;
  readonly listed: Listing;
  /** The tag to import (the choice, or the current tag when held or when nothing matches). */
  readonly request?: ImageImportRequest;
  readonly choice?: PolicyChoice;
  /** Why from.name is not moved although the policy would: a person moved it (a hold is written). */
  readonly heldBecause?: string;
  /** With a minimum age: the best candidates, aged or not, whose first-seen times are to be kept. */
  readonly track?: readonly string[];
  /** Nothing matches the policy: the tag's import fails with this (its image is kept, nothing is imported). */
  readonly failure?: { readonly reason: string; readonly message: string };
}

/** First-seen times are kept for at most this many tags per spec tag (the newest). */
const firstSeenCap = 200;

function specTag(stream: Pick<StreamInput, 'value'>, tag: string): Record<string, unknown> | undefined {
  const spec = isRecord(stream.value.spec) ? stream.value.spec : {};
  const tags = Array.isArray(spec.tags) ? spec.tags : [];
  return tags.find((t): t is Record<string, unknown> => isRecord(t) && t.name === tag);
}

const annotationOf = (t: Record<string, unknown> | undefined, key: string): string | undefined => {
  const notes = t && isRecord(t.annotations) ? t.annotations : {};
  return typeof notes[key] === 'string' ? (notes[key] as string) : undefined;
};

function readFirstSeen(t: Record<string, unknown> | undefined): Map<string, string> {
  const raw = annotationOf(t, firstSeenAnnotation);
  if (!raw) return new Map();
  try {
    const v: unknown = JSON.parse(raw);
    return new Map(isRecord(v) ? Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string') : []);
  } catch {
    return new Map();
  }
}

/** The decision for each check, in order: the listing's tags filtered, ordered and picked. */
export function decidePolicies(
  checks: readonly DuePolicyCheck[],
  listings: readonly Listing[],
  streams: readonly StreamInput[],
  now: string,
  defaultMinAgeMs = 0,
): PolicyDecision[] {
  const byKey = new Map(streams.map((s) => [s.key, s] as const));
  return checks.map((check, i) => {
    const listed = listings[i] ?? { ok: false, failure: { reason: 'InternalError', message: 'the repository was not listed' } };
    if (!listed.ok) return { check, listed };
    const stream = byKey.get(check.stream);
    const t = stream ? specTag(stream, check.tag) : undefined;
    const read = t ? readPolicy(t) : undefined;
    if (!stream || !t || !read?.ok) return { check, listed };
    const request = (tag: string): ImageImportRequest => ({
      from: `${check.repository}:${tag}`,
      importMode: check.importMode,
      insecure: check.insecure,
      preferArch: check.preferArch,
      preferOs: check.preferOs,
    });
    const recorded = annotationOf(t, policyChoiceAnnotation);
    if (recorded !== undefined && recorded !== check.current)
      return {
        check,
        listed,
        request: request(check.current),
        heldBecause: `from.name was set to ${check.current} by a commit, where the policy had chosen ${recorded}`,
      };
    // With a minimum age, only tags first seen long enough ago are candidates (the current one always is).
    const minAge = minAgeOf(t, defaultMinAgeMs);
    const seen = readFirstSeen(t);
    const aged =
      minAge > 0
        ? listed.tags.filter((tag) => tag === check.current || Date.parse(now) - Date.parse(seen.get(tag) ?? now) >= minAge)
        : listed.tags;
    const choice = choose(read.policy, aged, check.current, now, seen);
    const track =
      minAge > 0 && read.policy.order !== 'first-seen' ? choose(read.policy, listed.tags, check.current, now, seen)?.ranked : undefined;
    if (!choice)
      return {
        check,
        listed,
        failure: {
          reason: 'NotFound',
          message: `none of the ${listed.tags.length} tags of ${check.repository} matches the policy ${read.policy.text}; ${check.current} is kept`,
        },
      };
    return { check, listed, request: request(choice.tag), choice, ...(track ? { track } : {}) };
  });
}

/**
 * The streams as the decisions leave them (before their status is planned): `from.name`, the recorded choice, the
 * first-seen times and holds written into the policy tags. Streams without a change are returned as they were.
 */
export function applyPolicyDecisions<S extends StreamInput>(
  streams: readonly S[],
  decisions: readonly PolicyDecision[],
  now: string,
  defaultMinAgeMs = 0,
): S[] {
  const byStream = new Map<string, PolicyDecision[]>();
  for (const d of decisions) if (d.listed.ok) byStream.set(d.check.stream, [...(byStream.get(d.check.stream) ?? []), d]);
  return streams.map((s) => {
    const mine = byStream.get(s.key);
    if (!mine) return s;
    const value = cloneValue(s.value) as Record<string, unknown>;
    let changed = false;
    for (const d of mine) {
      const t = specTag({ value }, d.check.tag);
      const from = t && isRecord(t.from) ? t.from : undefined;
      if (!t || !from) continue;
      const notes: Record<string, unknown> = isRecord(t.annotations) ? { ...t.annotations } : {};
      const before = JSON.stringify([from.name, notes]);
      if (d.heldBecause) notes[holdAnnotation] = holdText({ reason: d.heldBecause, since: now });
      else if (d.choice) {
        t.from = { ...from, name: `${d.check.repository}:${d.choice.tag}` };
        notes[policyChoiceAnnotation] = d.choice.tag;
        const read = readPolicy(t);
        if (read?.ok && (read.policy.order === 'first-seen' || minAgeOf(t, defaultMinAgeMs) > 0) && d.listed.ok) {
          const seen = readFirstSeen(t);
          // first-seen orders every matching tag by it; a minimum age needs it only for the best candidates.
          const watched = d.track ?? d.listed.tags.filter((tag) => !read.policy.pattern || read.policy.pattern.test(tag));
          for (const tag of watched) if (!seen.has(tag)) seen.set(tag, now);
          if (d.track) for (const tag of [...seen.keys()]) if (!d.track.includes(tag)) seen.delete(tag);
          const kept = [...seen.entries()]
            .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : a[0] < b[0] ? -1 : 1))
            .slice(0, firstSeenCap);
          notes[firstSeenAnnotation] = JSON.stringify(Object.fromEntries(kept.sort((a, b) => (a[0] < b[0] ? -1 : 1))));
        }
      }
      if (JSON.stringify([(t.from as Record<string, unknown>).name, notes]) !== before) {
        t.annotations = notes;
        changed = true;
      }
    }
    return changed ? { ...s, value } : s;
  });
}

/**
 * The policy checks' results as the status planner takes them (the chosen tag's import is the tag's result; a
 * listing that failed, or nothing matching, fails the tag), and their import reports; returns the decisions.
 */
export function policyResults<O extends ImportOutcome>(
  observed: ReadonlyArray<{ readonly decision: PolicyDecision; readonly outcome: O | undefined }>,
  tagResults: Map<string, Map<string, ImportOutcome>>,
  imports: ImportReport<O>[],
): PolicyDecision[] {
  const decisions: PolicyDecision[] = [];
  for (const { decision: d, outcome } of observed) {
    decisions.push(d);
    const c = d.check;
    const byTag = tagResults.get(c.stream) ?? new Map<string, ImportOutcome>();
    if (!d.listed.ok) {
      if (!('deferred' in d.listed)) byTag.set(c.tag, d.listed);
      imports.push({ stream: c.stream, tag: c.tag, from: c.repository, reason: c.reason, result: d.listed });
    } else if (d.failure) {
      const failed: ImportFailure = { ok: false, failure: d.failure };
      byTag.set(c.tag, failed);
      imports.push({ stream: c.stream, tag: c.tag, from: c.repository, reason: c.reason, result: failed });
    } else if (outcome !== undefined && d.request) {
      byTag.set(c.tag, outcome);
      const chosen = d.choice?.tag ?? c.current;
      imports.push({
        stream: c.stream,
        tag: c.tag,
        from: d.request.from,
        reason: c.reason,
        result: outcome,
        policy: {
          previous: c.current,
          chosen,
          reason: d.heldBecause ? `held: ${d.heldBecause}` : (d.choice?.reason ?? ''),
          considered: d.choice?.considered ?? 0,
          next: d.choice?.next ?? [],
        },
      });
    }
    tagResults.set(c.stream, byTag);
  }
  return decisions;
}
