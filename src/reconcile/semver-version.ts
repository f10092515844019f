/**
 * Versions as Masterminds semver v3 reads and orders them (version.go at the commit named in
 * fixtures/vectors/masterminds-versions.json): `NewVersion`'s loose, coercing reader by default (an optional `v`,
 * `1` and `1.2` filled out with zeros, leading zeros in the numbers allowed), `StrictNewVersion` on request, and
 * `Compare`'s precedence. Numbers are unsigned 64-bit as in Go, so they are bigints here. Pure.
 */

export interface SemverVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Dot-separated identifiers after `-`, '' when there are none. */
  readonly prerelease: string;
  /** Build metadata after `+`, '' when there is none; never part of precedence. */
  readonly metadata: string;
  /** The text as it was given (a tag). */
  readonly original: string;
}

const maxUint64 = (1n << 64n) - 1n;
const digits = /^[0-9]+$/;
const identifier = /^[0-9A-Za-z-]+$/;

/** Go's strconv.ParseUint(s, 10, 64): digits only, at most 2^64-1 (leading zeros are fine). */
function parseUint64(s: string): bigint | undefined {
  if (!digits.test(s)) return undefined;
  const n = BigInt(s);
  return n <= maxUint64 ? n : undefined;
}

/** The reader's complaint about a prerelease, or undefined when it is well formed. */
export function prereleaseProblem(pre: string): string | undefined {
  for (const id of pre.split('.')) {
    if (id === '') return `prerelease "${pre}" has an empty identifier`;
    if (digits.test(id)) {
      if (id.length > 1 && id.startsWith('0')) return `prerelease identifier "${id}" is a number with a leading zero`;
    } else if (!identifier.test(id)) return `prerelease identifier "${id}" may hold only letters, digits and "-"`;
  }
  return undefined;
}

function metadataProblem(meta: string): string | undefined {
  for (const id of meta.split('.')) {
    if (id === '') return `build metadata "${meta}" has an empty identifier`;
    if (!identifier.test(id)) return `build metadata identifier "${id}" may hold only letters, digits and "-"`;
  }
  return undefined;
}

// Masterminds' looseSemVerRegex, anchored as NewVersion anchors it (the ASCII classes read the same in Go and JS).
const loose = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

/** A version read, or why it cannot be read (a reason, without the text). */
export type VersionRead = { readonly ok: true; readonly version: SemverVersion } | { readonly ok: false; readonly error: string };

/** NewVersion (with its default, CoerceNewVersion = true): the reader constraints and tags go through. */
export function readLooseVersion(text: string): VersionRead {
  const m = loose.exec(text);
  if (!m) return { ok: false, error: 'it is not of the form [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+METADATA]' };
  const major = parseUint64(m[1] ?? '');
  const minor = m[2] ? parseUint64(m[2].slice(1)) : 0n;
  const patch = m[3] ? parseUint64(m[3].slice(1)) : 0n;
  if (major === undefined || minor === undefined || patch === undefined)
    return { ok: false, error: 'a number in it is larger than 18446744073709551615' };
  const prerelease = m[5] ?? '';
  const metadata = m[8] ?? '';
  const problem = (prerelease ? prereleaseProblem(prerelease) : undefined) ?? (metadata ? metadataProblem(metadata) : undefined);
  if (problem) return { ok: false, error: problem };
  return { ok: true, version: { major, minor, patch, prerelease, metadata, original: text } };
}

/** StrictNewVersion: exactly MAJOR.MINOR.PATCH, no `v`, no leading zeros. */
export function readStrictVersion(text: string): VersionRead {
  const bad = (why: string): VersionRead => ({ ok: false, error: `not a strict semantic version: ${why}` });
  if (text === '') return bad('it is empty');
  const first = text.indexOf('.');
  const second = first === -1 ? -1 : text.indexOf('.', first + 1);
  if (second === -1) return bad('it needs MAJOR.MINOR.PATCH');
  const parts = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  let rest = parts[2] as string;
  let metadata = '';
  let prerelease = '';
  const plus = rest.indexOf('+');
  if (plus !== -1) {
    metadata = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
    const problem = metadataProblem(metadata);
    if (problem) return bad(problem);
  }
  const dash = rest.indexOf('-');
  if (dash !== -1) {
    prerelease = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
    const problem = prereleaseProblem(prerelease);
    if (problem) return bad(problem);
  }
  parts[2] = rest;
  const numbers: bigint[] = [];
  for (const p of parts) {
    if (!/^[0-9]*$/.test(p)) return bad(`"${p}" is not a number`);
    if (p.length > 1 && p.startsWith('0')) return bad(`"${p}" has a leading zero`);
    const n = parseUint64(p);
    if (n === undefined) return bad(p === '' ? 'a number is missing' : `${p} is larger than 18446744073709551615`);
    numbers.push(n);
  }
  const [major, minor, patch] = numbers as [bigint, bigint, bigint];
  return { ok: true, version: { major, minor, patch, prerelease, metadata, original: text } };
}

/**
 * A tag read as a version the way Go tools built on Masterminds semver v3 read it (NewVersion), or undefined.
 * `strict` reads it as StrictNewVersion does instead.
 */
export function parseVersion(tag: string, options: { readonly strict?: boolean } = {}): SemverVersion | undefined {
  const read = options.strict ? readStrictVersion(tag) : readLooseVersion(tag);
  return read.ok ? read.version : undefined;
}

/** Masterminds' String(): the coerced form, without `v`, with prerelease and metadata (`v1.2-beta` is `1.2.0-beta`). */
export function formatVersion(v: SemverVersion): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}${v.metadata ? `+${v.metadata}` : ''}`;
}

const sign = (a: bigint, b: bigint): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/** comparePrePart: numbers (as Go's ParseUint reads them) below words, words in byte order, a missing part lowest. */
function comparePrePart(s: string, o: string): -1 | 0 | 1 {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const si = parseUint64(s);
  const oi = parseUint64(o);
  if (si === undefined && oi === undefined) return s > o ? 1 : -1;
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}

/** comparePrerelease: identifier by identifier, the shorter list padded with empty parts. */
export function comparePrerelease(a: string, b: string): -1 | 0 | 1 {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const d = comparePrePart(as[i] ?? '', bs[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

/** Masterminds' Compare: -1, 0 or 1; metadata ignored, a prerelease below its release. */
export function compareVersions(a: SemverVersion, b: SemverVersion): -1 | 0 | 1 {
  const d = sign(a.major, b.major) || sign(a.minor, b.minor) || sign(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.prerelease === '' && b.prerelease === '') return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}
