/**
 * One comparator of a Masterminds semver v3 constraint (constraints.go at the commit named in
 * fixtures/vectors/masterminds-constraints.json): how `>= 1.2`, `~1.x` or `!=4.1` is read, and each operator's
 * check with the reason it gives when a version fails it (Masterminds' own wording). Pure.
 */
import { comparePrerelease, compareVersions, formatVersion, readLooseVersion, type SemverVersion } from './semver-version.js';

export type ComparatorKind = 'tilde-or-equal' | 'not-equal' | 'greater' | 'less' | 'greater-or-equal' | 'less-or-equal' | 'tilde' | 'caret';

export interface Comparator {
  /** The operator as written ('' for none, `=>`, `~>`...). */
  readonly operator: string;
  readonly kind: ComparatorKind;
  /** The version as written after the operator (`v1.2`, `1.x`). */
  readonly written: string;
  /** The version compared against, wildcards and missing parts as zeros (`1.x` is 1.0.0). */
  readonly version: SemverVersion;
  /** A wildcard or missing part: the minor (`1`, `1.x`) or the patch (`1.2`, `1.2.*`), or the whole version (`*`). */
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

const kinds: Readonly<Record<string, ComparatorKind>> = {
  '': 'tilde-or-equal',
  '=': 'tilde-or-equal',
  '!=': 'not-equal',
  '>': 'greater',
  '<': 'less',
  '>=': 'greater-or-equal',
  '=>': 'greater-or-equal',
  '<=': 'less-or-equal',
  '=<': 'less-or-equal',
  '~': 'tilde',
  '~>': 'tilde',
  '^': 'caret',
};

// Masterminds' expressions, written out for JavaScript. Go's \s is [\t\n\f\r ] (ASCII, no \v), so that is spelled
// out; the rest (ASCII classes, leftmost-first alternation, greedy groups) reads the same in both engines.
export const S = '[\\t\\n\\f\\r ]';
/** cvRegex: a constraint's version, wildcards allowed (9 groups). `|` sits in the class as it does upstream. */
export const cv =
  'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
/** The operators, in upstream's order (the empty one second, so `=` is tried first). */
export const ops = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const comparatorRegex = new RegExp(`^${S}*(${ops})${S}*(${cv})${S}*$`);

const isX = (s: string): boolean => s === 'x' || s === 'X' || s === '*';

export type ComparatorRead = { readonly ok: true; readonly comparator: Comparator } | { readonly ok: false; readonly error: string };

/** parseConstraint (the single comparator): `''` is the wildcard, as upstream's special case. */
export function readComparator(text: string): ComparatorRead {
  if (text === '') {
    const zero: SemverVersion = { major: 0n, minor: 0n, patch: 0n, prerelease: '', metadata: '', original: '0.0.0' };
    const comparator: Comparator = {
      operator: '',
      kind: 'tilde-or-equal',
      written: '',
      version: zero,
      dirty: true,
      minorDirty: false,
      patchDirty: false,
    };
    return { ok: true, comparator };
  }
  const m = comparatorRegex.exec(text);
  if (!m) return { ok: false, error: `"${text.trim()}" is not an operator followed by a version` };
  const operator = m[1] ?? '';
  const written = m[2] ?? '';
  const [major, minor, patch, pre] = [m[3] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? ''];
  let target = written;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === '') {
    target = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.slice(1)) || minor === '') {
    target = `${major}.0.0${pre}`;
    dirty = minorDirty = true;
  } else if (isX(patch.slice(1)) || patch === '') {
    target = `${major}${minor}.0${pre}`;
    dirty = patchDirty = true;
  }
  const read = readLooseVersion(target);
  if (!read.ok) {
    // Upstream answers "constraint parser error" here; say what is wrong with the version instead.
    const why = /[|xX*]/.test(`${major}${minor}${patch}`)
      ? 'a wildcard (x, X or *) stands alone in its part, as in 1.x or 1.2.*'
      : read.error;
    return { ok: false, error: `"${written}" is not a version: ${why}` };
  }
  const kind = kinds[operator] ?? 'tilde-or-equal';
  return { ok: true, comparator: { operator, kind, written, version: read.version, dirty, minorDirty, patchDirty } };
}

/** The reason a version fails, in Masterminds' words (`"1.2.3" is less than "2"`), or undefined when it passes. */
type Check = (v: SemverVersion, c: Comparator, includePre: boolean) => string | undefined;

const q = (v: SemverVersion): string => JSON.stringify(formatVersion(v));
const w = (c: Comparator): string => JSON.stringify(c.written);
export const prereleaseExcluded = (v: SemverVersion): string =>
  `${q(v)} is a prerelease version and the constraint is only looking for release versions`;

const notEqual: Check = (v, c) => {
  if (c.dirty) {
    if (c.version.major !== v.major) return undefined;
    if (c.version.minor !== v.minor && !c.minorDirty) return undefined;
    if (c.minorDirty) return `${q(v)} is equal to ${w(c)}`;
    if (c.version.patch !== v.patch && !c.patchDirty) return undefined;
    if (c.patchDirty) {
      if ((v.prerelease !== '' || c.version.prerelease !== '') && comparePrerelease(v.prerelease, c.version.prerelease) !== 0)
        return undefined;
      return `${q(v)} is equal to ${w(c)}`;
    }
  }
  return compareVersions(v, c.version) === 0 ? `${q(v)} is equal to ${w(c)}` : undefined;
};

const greater: Check = (v, c) => {
  const fail = `${q(v)} is less than or equal to ${w(c)}`;
  if (!c.dirty) return compareVersions(v, c.version) === 1 ? undefined : fail;
  if (v.major > c.version.major) return undefined;
  if (v.major < c.version.major) return fail;
  if (c.minorDirty) return fail; // >11 needs 12 or higher
  if (c.patchDirty) return v.minor > c.version.minor ? undefined : fail; // >11.1 needs 11.2 or higher
  return compareVersions(v, c.version) === 1 ? undefined : fail;
};

const less: Check = (v, c) => (compareVersions(v, c.version) < 0 ? undefined : `${q(v)} is greater than or equal to ${w(c)}`);

const greaterOrEqual: Check = (v, c) => (compareVersions(v, c.version) >= 0 ? undefined : `${q(v)} is less than ${w(c)}`);

const lessOrEqual: Check = (v, c) => {
  const fail = `${q(v)} is greater than ${w(c)}`;
  if (!c.dirty) return compareVersions(v, c.version) <= 0 ? undefined : fail;
  if (v.major > c.version.major) return fail;
  if (v.major === c.version.major && v.minor > c.version.minor && !c.minorDirty) return fail;
  return undefined;
};

const tilde: Check = (v, c) => {
  if (compareVersions(v, c.version) < 0) return `${q(v)} is less than ${w(c)}`;
  const z = c.version;
  if (z.major === 0n && z.minor === 0n && z.patch === 0n && !c.minorDirty && !c.patchDirty) return undefined; // ~0.0.0, ~*
  if (v.major !== z.major) return `${q(v)} does not have same major version as ${w(c)}`;
  if (v.minor !== z.minor && !c.minorDirty) return `${q(v)} does not have same major and minor version as ${w(c)}`;
  return undefined;
};

const tildeOrEqual: Check = (v, c, includePre) => {
  if (c.dirty) return tilde(v, c, includePre);
  return compareVersions(v, c.version) === 0 ? undefined : `${q(v)} is not equal to ${w(c)}`;
};

const caret: Check = (v, c) => {
  const z = c.version;
  if (compareVersions(v, z) < 0) return `${q(v)} is less than ${w(c)}`;
  if (z.major > 0n || c.minorDirty) return v.major === z.major ? undefined : `${q(v)} does not have same major version as ${w(c)}`;
  if (v.major > 0n) return `${q(v)} does not have same major version as ${w(c)}`;
  if (z.minor > 0n || c.patchDirty)
    return v.minor === z.minor
      ? undefined
      : `${q(v)} does not have same minor version as ${w(c)}. Expected minor versions to match when constraint major version is 0`;
  if (v.minor > 0n) return `${q(v)} does not have same minor version as ${w(c)}`;
  return z.patch === v.patch
    ? undefined
    : `${q(v)} does not equal ${w(c)}. Expect version and constraint to equal when major and minor versions are 0`;
};

const checks: Readonly<Record<ComparatorKind, Check>> = {
  'tilde-or-equal': tildeOrEqual,
  'not-equal': notEqual,
  greater,
  less,
  'greater-or-equal': greaterOrEqual,
  'less-or-equal': lessOrEqual,
  tilde,
  caret,
};

/**
 * One comparator's check. Every operator first turns a prerelease away unless prereleases are in play for its AND
 * group (`includePre`: the group names a prerelease somewhere, or the constraint was read to include them).
 */
export function checkComparator(c: Comparator, v: SemverVersion, includePre: boolean): string | undefined {
  if (v.prerelease !== '' && !includePre) return prereleaseExcluded(v);
  return checks[c.kind](v, c, includePre);
}
