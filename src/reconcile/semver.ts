/**
 * Semver as users of Go tools expect (Flux, Argo CD Image Updater, skopeo sync): versions and constraints read,
 * ordered and matched as Masterminds semver v3 does (docs/policies.md, "Semver constraints"; the upstream test
 * tables, translated, are fixtures/vectors/masterminds-*.json). Pure: no I/O, clock or environment.
 *
 *   parseConstraint('>=1.2 <2 || ^3.1-0')  // comma or space is AND, || is OR
 *   sortTagsBySemver(['1.2.3', 'v1.10.0', 'latest', '2.0.0'], c)  // ['v1.10.0', '1.2.3']
 */
import { type Comparator, checkComparator, cv, ops, prereleaseExcluded, readComparator, S } from './semver-comparator.js';
import { compareVersions, parseVersion, type SemverVersion } from './semver-version.js';

export type { Comparator, ComparatorKind } from './semver-comparator.js';
export { compareVersions, formatVersion, parseVersion, type SemverVersion } from './semver-version.js';

export interface SemverConstraint {
  /** The constraint as written. */
  readonly text: string;
  /** OR of ANDs: a version matches when it passes every comparator of at least one group. */
  readonly groups: ReadonlyArray<readonly Comparator[]>;
  /** Admit prereleases everywhere (upstream's IncludePrerelease); otherwise only in a group that names one. */
  readonly includePrerelease: boolean;
}

export type ConstraintRead = { readonly ok: true; readonly constraint: SemverConstraint } | { readonly ok: false; readonly error: string };

const operators = '=, !=, >, <, >=, <=, ~, ~>, ^';
const shape = `a version such as 1.2.3, 1.2, 1, 1.x or * after an optional operator (${operators})`;
const joining = 'join comparators with a comma or a space (AND) or with "||" (OR), or write a hyphen range such as "1.2 - 1.4.5"';

/** Upstream has no limit; the expressions below backtrack in JavaScript (RE2 does not), so this bounds their time. */
export const maxConstraintLength = 4096;

const rangeRegex = new RegExp(`${S}*(${cv})${S}+-${S}+(${cv})${S}*`, 'g');
const findRegex = new RegExp(`(${ops})${S}*(${cv})`, 'g');
const itemRegex = new RegExp(`(${ops})${S}*(${cv})`, 'y');
const spaceRegex = new RegExp(`${S}*`, 'y');
const opOnly = new RegExp(`^(?:${ops})$`);

/** rewriteRange: each `A - B` becomes `>= A, <= B ` in place (the first occurrence of its text, as upstream). */
export function rewriteRange(text: string): string {
  let out = text;
  for (const m of text.matchAll(rangeRegex)) out = out.replace(m[0], () => `>= ${m[1]}, <= ${m[11]} `);
  return out;
}

const skipSpace = (text: string, at: number): number => {
  spaceRegex.lastIndex = at;
  spaceRegex.test(text);
  return spaceRegex.lastIndex;
};

const wordAt = (text: string, at: number): string => /^[^\t\n\f\r ,]*/.exec(text.slice(at))?.[0] ?? '';

/** Why reading stopped at `word`, as a hint a person can act on; `next` is the character it stopped at. */
function hint(word: string, next: string | undefined): string {
  if (word === '') return `a comparator is missing: ${joining}`;
  if (/^v?[0-9]+(\.[0-9]+){3,}/.test(word)) return 'a version has at most three numbers (MAJOR.MINOR.PATCH)';
  if (word.startsWith('&&')) return `AND is written as a comma or a space: ${joining}`;
  if (next !== undefined && /[=!<>~^]/.test(next))
    return `comparators need a comma or a space between them (an operator goes before its version): ${joining}`;
  if (next !== undefined)
    return `a version is [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+METADATA], with letters, digits and "-" in the last two`;
  if (/^[=!<>~^]/.test(word)) return `the operators are ${operators}`;
  return `expected ${shape}; ${joining}`;
}

/**
 * Upstream's validConstraintRegex for one OR part, read left to right in one pass (the same language; a test checks
 * them against each other), so that a failure can say where. Returns the problem, or undefined.
 */
function scanGroup(part: string): string | undefined {
  let at = skipSpace(part, 0);
  let start = at; // where the comparator being read began
  for (let first = true, spaced = false; ; first = false) {
    if (!first) {
      if (at === part.length) return undefined;
      if (part[at] === ',') at = skipSpace(part, at + 1);
      else if (!spaced) return `cannot read "${wordAt(part, start)}": ${hint(wordAt(part, start), part[at])}`;
    }
    start = at;
    itemRegex.lastIndex = at;
    if (!itemRegex.test(part)) {
      const word = wordAt(part, at);
      if (word === '') return hint('', undefined);
      const next = wordAt(part, skipSpace(part, at + word.length));
      if (opOnly.test(word)) return `the operator "${word}" needs a version after it${next ? `, not "${next}"` : ''}: ${shape}`;
      return `cannot read "${word}": ${hint(word, undefined)}`;
    }
    const end = itemRegex.lastIndex;
    at = skipSpace(part, end);
    spaced = at > end;
  }
}

/**
 * A Masterminds semver v3 constraint (NewConstraint): comparators joined by comma or space (AND) and `||` (OR);
 * operators `=` (or none), `!=`, `>`, `<`, `>=` (`=>`), `<=` (`=<`), `~` (`~>`), `^`; wildcards `x`, `X`, `*`; hyphen
 * ranges `1.2 - 1.4.5`; `v` prefixes and partial versions. `includePrerelease` is upstream's IncludePrerelease.
 */
export function parseConstraint(text: string, options: { readonly includePrerelease?: boolean } = {}): ConstraintRead {
  if (text.trim() === '') return { ok: false, error: 'the constraint is empty: write * for any release, or a range such as ">=1.2 <2"' };
  if (text.length > maxConstraintLength) return { ok: false, error: `the constraint is longer than ${maxConstraintLength} characters` };
  const rewritten = rewriteRange(text);
  // A hyphen range written with an operator (">= 1.2 - 1.4") reads as doubled operators once rewritten: say so.
  const range = rewritten === text ? '' : '; a hyphen range "A - B" takes two versions without operators';
  const parts = rewritten.split('||');
  const groups: Comparator[][] = [];
  for (const [k, part] of parts.entries()) {
    const where = parts.length > 1 ? ` (in alternative ${k + 1} of ${parts.length}, split at "||")` : '';
    if (part.trim() === '') return { ok: false, error: `"||" needs a range on each side${where}` };
    const problem = scanGroup(part);
    if (problem) return { ok: false, error: `${problem}${where}${range}` };
    const group: Comparator[] = [];
    for (const m of part.matchAll(findRegex)) {
      const read = readComparator(m[0]);
      if (!read.ok) return { ok: false, error: `${read.error}${where}` };
      group.push(read.comparator);
    }
    groups.push(group);
  }
  return { ok: true, constraint: { text, groups, includePrerelease: options.includePrerelease === true } };
}

const admitsPrerelease = (c: SemverConstraint, group: readonly Comparator[]): boolean =>
  c.includePrerelease || group.some((x) => x.version.prerelease !== '');

/**
 * Check: some group passes whole. A prerelease passes only in a group where prereleases are in play: one of its
 * comparators names a prerelease (any major.minor.patch, not only its own), or includePrerelease.
 */
export function satisfies(constraint: SemverConstraint, version: SemverVersion): boolean {
  return constraint.groups.some((group) => {
    const pre = admitsPrerelease(constraint, group);
    return group.every((c) => checkComparator(c, version, pre) === undefined);
  });
}

/** Validate: why a version fails, in Masterminds' words, every failing comparator of every group; [] when it passes. */
export function unsatisfiedReasons(constraint: SemverConstraint, version: SemverVersion): string[] {
  const reasons: string[] = [];
  let toldPrerelease = false;
  for (const group of constraint.groups) {
    const pre = admitsPrerelease(constraint, group);
    let passes = true;
    for (const c of group) {
      if (!pre && version.prerelease !== '') {
        if (!toldPrerelease) reasons.push(prereleaseExcluded(version));
        toldPrerelease = true;
        passes = false;
      } else {
        const reason = checkComparator(c, version, pre);
        if (reason !== undefined) {
          reasons.push(reason);
          passes = false;
        }
      }
    }
    if (passes) return [];
  }
  return reasons;
}

/** Upstream's String(): `2.x >=1.2.3 || >4.5.6 <5.7` (ranges as their rewritten comparators). */
export function formatConstraint(constraint: SemverConstraint): string {
  return constraint.groups.map((group) => group.map((c) => `${c.operator}${c.written}`).join(' ')).join(' || ');
}

/**
 * The tags that read as versions (parseVersion) and, given a constraint, satisfy it: newest first by Masterminds'
 * precedence; tags of equal precedence (`1.2`, `v1.2.0`, `1.2.0+b1`) keep their given order. Without a constraint,
 * every version counts, prereleases included (give `*` for releases only).
 */
export function sortTagsBySemver(tags: readonly string[], constraint?: SemverConstraint): string[] {
  const found: Array<{ readonly tag: string; readonly version: SemverVersion }> = [];
  for (const tag of tags) {
    const version = parseVersion(tag);
    if (version && (!constraint || satisfies(constraint, version))) found.push({ tag, version });
  }
  return found.sort((a, b) => compareVersions(b.version, a.version)).map((x) => x.tag);
}
