/**
 * OpenShift's order for the tags of a whole-repository import (semantics.md §6.12, lgo PrioritizeTags): `latest`;
 * then `X.Y` minor versions (also `vX.Y` and `X.Y-suffix`) newest first, unprefixed before `v` on ties; then full
 * semantic versions newest first; then everything else in lexical order. Pure, so the core plans with it.
 */

interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly string[];
}

const numeric = /^(0|[1-9]\d*)$/;

/** Strict semantic version (as blang/semver parses it): no leading zeros, optional pre-release and build. */
export function parseSemVer(text: string): SemVer | undefined {
  const m =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const pre = m[4] ? m[4].split('.') : [];
  if (pre.some((id) => /^\d+$/.test(id) && !numeric.test(id))) return undefined;
  return { major: BigInt(m[1] as string), minor: BigInt(m[2] as string), patch: BigInt(m[3] as string), pre };
}

function compareIds(a: string, b: string): number {
  const an = numeric.test(a);
  const bn = numeric.test(b);
  if (an && bn) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i += 1) {
    const c = compareIds(a.pre[i] as string, b.pre[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

const minorOnly = /^\d+\.\d+$/;
const minorWithSuffix = /^(\d+\.\d+)-(\w+)$/;

/** Returns the tags in OpenShift's import priority (duplicates removed). */
export function prioritizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const minor: Array<{ name: string; v: SemVer }> = [];
  const semantic: Array<{ name: string; v: SemVer }> = [];
  const other: string[] = [];
  let latest = false;
  for (const tag of tags) {
    if (seen.has(tag)) continue;
    seen.add(tag);
    if (tag === 'latest') {
      latest = true;
      continue;
    }
    const short = tag.startsWith('v') ? tag.slice(1) : tag;
    let v: SemVer | undefined;
    if (minorOnly.test(short)) {
      v = parseSemVer(`${short}.0`);
      if (v) minor.push({ name: tag, v });
    } else if (minorWithSuffix.test(short)) {
      v = parseSemVer(short.replace(minorWithSuffix, '$1.0-$2'));
      if (v) minor.push({ name: tag, v });
    } else {
      v = parseSemVer(short);
      if (v) semantic.push({ name: tag, v });
    }
    if (!v) other.push(tag);
  }
  const byVersion = (a: { name: string; v: SemVer }, b: { name: string; v: SemVer }): number =>
    compareSemVer(b.v, a.v) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  minor.sort(byVersion);
  semantic.sort(byVersion);
  other.sort();
  return [...(latest ? ['latest'] : []), ...minor.map((t) => t.name), ...semantic.map((t) => t.name), ...other];
}
