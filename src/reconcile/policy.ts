/**
 * Tag policies (docs/policies.md): a spec tag whose `from` names a repository, and whose `imagestreams.dev/policy`
 * annotation says which of the repository's tags to follow:
 *
 *     annotations:
 *       imagestreams.dev/policy: '{"semver": ">=1.2 <2"}'
 *       imagestreams.dev/policy: '{"pattern": "^main-(?<n>[0-9]+)$", "extract": "n", "order": "numerical"}'
 *
 * At each due check the repository's tags are listed once; this module filters them, orders them and picks one,
 * and the pass writes it into `from.name` (a spec edit like any other) and imports it. The choice is recorded on
 * the tag (`imagestreams.dev/policy-choice`), so a person who moves `from.name` away from it is seen to do so:
 * that is a hold (holds.ts), not something to undo.
 */
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { isRecord } from './objects.js';
import { parseOpenShiftReference } from './reference.js';
import type { TagReference } from './model.js';
import type { SemverConstraint, SemverVersion } from './semver.js';
import { compareVersions, parseConstraint, parseVersion, satisfies } from './semver.js';

export const policyAnnotation = 'imagestreams.dev/policy';
/** The tag the policy chose last (what the tool wrote into `from.name`). */
export const policyChoiceAnnotation = 'imagestreams.dev/policy-choice';
/** When this tool first saw each candidate tag (first-seen ordering, maturity): `{"tag": "RFC 3339 time"}`. */
export const firstSeenAnnotation = 'imagestreams.dev/first-seen';

export const policyOrders = ['semver', 'numerical', 'alphabetical', 'first-seen'] as const;
export type PolicyOrder = (typeof policyOrders)[number];

export interface TagPolicy {
  readonly pattern: RegExp | undefined;
  /** Group name or number whose text is ordered (default: the whole tag). */
  readonly extract: string | undefined;
  readonly order: PolicyOrder;
  readonly constraint: SemverConstraint | undefined;
  readonly pick: 'highest' | 'lowest';
  /** The annotation as written, for reports. */
  readonly text: string;
}

export type PolicyRead = { readonly ok: true; readonly policy: TagPolicy } | { readonly ok: false; readonly error: string };

/** Go's named group `(?P<name>...)` is read as JavaScript's `(?<name>...)`, so patterns written for Flux work. */
const goGroups = (pattern: string): string => pattern.replace(/\(\?P</g, '(?<');

/** The tag's policy; undefined when it has none. */
export function readPolicy(tag: Pick<TagReference, 'annotations'>): PolicyRead | undefined {
  const raw = isRecord(tag.annotations) ? tag.annotations[policyAnnotation] : undefined;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return { ok: false, error: `${policyAnnotation} must be a string holding a JSON object` };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      error: `${policyAnnotation} is not valid JSON: write it as {"semver": ">=1.2 <2"} or {"pattern": "...", "order": "numerical"}`,
    };
  }
  if (!isRecord(v)) return { ok: false, error: `${policyAnnotation} is not a JSON object` };
  const extra = Object.keys(v).filter((k) => !['pattern', 'extract', 'order', 'semver', 'pick'].includes(k));
  if (extra.length > 0) return { ok: false, error: `${policyAnnotation} has unknown field ${extra.map((k) => `"${k}"`).join(', ')}` };
  let pattern: RegExp | undefined;
  if (v.pattern !== undefined) {
    if (typeof v.pattern !== 'string') return { ok: false, error: '"pattern" must be a string (a regular expression)' };
    try {
      pattern = new RegExp(goGroups(v.pattern));
    } catch (err) {
      return { ok: false, error: `"pattern" is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  let extract: string | undefined;
  if (v.extract !== undefined) {
    if ((typeof v.extract !== 'string' && typeof v.extract !== 'number') || String(v.extract).replace(/^\$/, '') === '')
      return { ok: false, error: '"extract" must name a group of "pattern": its name or its number ("$1" and "$name" work too)' };
    if (!pattern) return { ok: false, error: '"extract" needs a "pattern" with the group to extract' };
    extract = String(v.extract).replace(/^\$/, '');
    const groups = new RegExp(`${pattern.source}|`).exec('')?.length ?? 1;
    const named = /^[0-9]+$/.test(extract) ? Number(extract) < groups && Number(extract) > 0 : pattern.source.includes(`(?<${extract}>`);
    if (!named) return { ok: false, error: `"extract": "pattern" has no group ${JSON.stringify(extract)}` };
  }
  if (v.semver !== undefined && typeof v.semver !== 'string')
    return { ok: false, error: '"semver" must be a constraint string, such as ">=1.2 <2"' };
  const order = v.order ?? (v.semver !== undefined ? 'semver' : undefined);
  if (typeof order !== 'string' || !(policyOrders as readonly string[]).includes(order))
    return { ok: false, error: `"order" must be one of ${policyOrders.join(', ')} (or give "semver": "<constraint>")` };
  if (v.semver !== undefined && order !== 'semver') return { ok: false, error: `"semver" goes with "order": "semver", not "${order}"` };
  let constraint: TagPolicy['constraint'];
  if (typeof v.semver === 'string') {
    const c = parseConstraint(v.semver);
    if (!c.ok) return { ok: false, error: `"semver": ${c.error}` };
    constraint = c.constraint;
  }
  const pick = v.pick ?? 'highest';
  if (pick !== 'highest' && pick !== 'lowest') return { ok: false, error: '"pick" must be "highest" (the default) or "lowest"' };
  if (pick === 'lowest' && (order === 'semver' || order === 'first-seen'))
    return { ok: false, error: `"pick": "lowest" is for numerical and alphabetical orders; ${order} always takes the newest` };
  return { ok: true, policy: { pattern, extract, order: order as PolicyOrder, constraint, pick, text: raw } };
}

/** The repository a policy tag lists: its DockerImage `from` without tag or digest; or why there is none. */
export function policyRepository(tag: Pick<TagReference, 'from'>): { repository: string; current: string } | { error: string } {
  if (tag.from?.kind !== 'DockerImage')
    return { error: `a policy needs from.kind DockerImage (a registry repository), not ${String(tag.from?.kind)}` };
  const ref = parseOpenShiftReference(tag.from.name ?? '');
  if (!ref.ok) return { error: `from.name "${tag.from.name ?? ''}" is not a registry reference` };
  if (ref.value.id !== '')
    return { error: `from.name "${tag.from.name}" names a digest; a policy follows tags of a repository (name it with a tag)` };
  const name = tag.from.name ?? '';
  const repository = ref.value.tag === '' ? name : name.slice(0, name.length - ref.value.tag.length - 1);
  return { repository, current: ref.value.tag || 'latest' };
}

/** Validation findings for one spec tag's policy, at `base` (the tag's pointer in its object). */
export function validatePolicy(tag: TagReference, base: string): Finding[] {
  const read = readPolicy(tag);
  if (!read) return [];
  const at = `${base}/annotations/${policyAnnotation.replace(/\//g, '~1')}`;
  if (!read.ok) return [finding('invalid-tag-policy', at, read.error)];
  const repo = policyRepository(tag);
  if ('error' in repo) return [finding('tag-policy-not-repository', `${base}/from`, repo.error)];
  return [];
}

export interface Candidate {
  readonly tag: string;
  /** What is ordered: the extracted group, or the whole tag. */
  readonly key: string;
}

/** The tags a policy considers, with their order keys. */
export function candidates(policy: TagPolicy, tags: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const tag of tags) {
    let key = tag;
    if (policy.pattern) {
      const m = policy.pattern.exec(tag);
      if (!m) continue;
      if (policy.extract !== undefined) {
        const g = /^[0-9]+$/.test(policy.extract) ? m[Number(policy.extract)] : m.groups?.[policy.extract];
        if (g === undefined) continue;
        key = g;
      }
    }
    if (policy.order === 'numerical' && !/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(key)) continue;
    if (policy.order === 'semver') {
      const version = parseVersion(key);
      if (!version) continue;
      if (policy.constraint ? !satisfies(policy.constraint, version) : version.prerelease.length > 0) continue;
    }
    out.push({ tag, key });
  }
  return out;
}

/** How many of the best candidates have their first-seen time kept when a policy has a minimum age. */
export const rankedCap = 50;

export interface PolicyChoice {
  readonly tag: string;
  /** How many tags passed the filter. */
  readonly considered: number;
  /** The runners-up, best first (a few, for reports). */
  readonly next: readonly string[];
  /** The best candidates, best first (at most `rankedCap`): the tags whose first-seen times a minimum age needs. */
  readonly ranked: readonly string[];
  readonly reason: string;
}

/**
 * The best candidate by the policy's order; ties keep the current tag, then the highest tag by name. `firstSeen`
 * gives, for first-seen ordering, when each tag was first seen (a tag not in it is seen now).
 */
export function choose(
  policy: TagPolicy,
  tags: readonly string[],
  current: string,
  now: string,
  firstSeen: ReadonlyMap<string, string> = new Map(),
): PolicyChoice | undefined {
  const list = candidates(policy, tags);
  if (list.length === 0) return undefined;
  const compare = (a: Candidate, b: Candidate): number => {
    let c = 0;
    if (policy.order === 'semver') c = compareVersions(parseVersion(b.key) as SemverVersion, parseVersion(a.key) as SemverVersion);
    else if (policy.order === 'numerical') c = Number(b.key) - Number(a.key);
    else if (policy.order === 'alphabetical') c = a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
    else c = Date.parse(firstSeen.get(b.tag) ?? now) - Date.parse(firstSeen.get(a.tag) ?? now);
    if (policy.pick === 'lowest') c = -c;
    if (c !== 0) return c;
    if (a.tag === current) return -1;
    if (b.tag === current) return 1;
    return a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0;
  };
  const sorted = [...list].sort(compare);
  const best = sorted[0] as Candidate;
  const how =
    policy.order === 'semver'
      ? `the highest version${policy.constraint ? ` matching ${JSON.parse(policy.text).semver}` : ''}`
      : policy.order === 'first-seen'
        ? 'the tag seen first most recently'
        : `the ${policy.pick} ${policy.order === 'numerical' ? 'number' : 'name'}${policy.extract ? ` (group ${policy.extract})` : ''}`;
  return {
    tag: best.tag,
    considered: list.length,
    next: sorted.slice(1, 4).map((c) => c.tag),
    ranked: sorted.slice(0, rankedCap).map((c) => c.tag),
    reason: `${how} of ${list.length} matching tag${list.length === 1 ? '' : 's'}`,
  };
}
