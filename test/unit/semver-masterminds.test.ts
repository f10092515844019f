/**
 * Masterminds semver v3's own test tables (fixtures/vectors/masterminds-*.json), every case run through
 * src/reconcile/semver.ts: our answer must be upstream's, except where a case records a deliberate difference
 * (`differs`, with `ours`), each of which docs/policies.md lists. Then what the tables do not cover: the one-pass
 * reader against upstream's expressions on random input, the error texts, tag sorting and the time bound.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ComparatorKind, checkComparator, cv, ops, readComparator, S } from '../../src/reconcile/semver-comparator.js';
import {
  compareVersions,
  formatConstraint,
  formatVersion,
  maxConstraintLength,
  parseConstraint,
  parseVersion,
  rewriteRange,
  type SemverConstraint,
  type SemverVersion,
  satisfies,
  sortTagsBySemver,
  unsatisfiedReasons,
} from '../../src/reconcile/semver.js';

interface Source {
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
}
type Case = Record<string, unknown> & { readonly differs?: string; readonly ours?: unknown };
type Vectors = { readonly _source: Source; readonly _doc: string } & Record<string, readonly Case[]>;

const load = (name: string): Vectors =>
  JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}`, import.meta.url), 'utf8')) as Vectors;
const constraints = load('masterminds-constraints.json');
const versions = load('masterminds-versions.json');
const docs = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');

const str = (c: Case, k: string): string => c[k] as string;
const version = (text: string, strict = false): SemverVersion => {
  const v = parseVersion(text, { strict });
  if (!v) throw new Error(`upstream reads ${text} as a version`);
  return v;
};
const constraint = (text: string, includePrerelease = false): SemverConstraint => {
  const r = parseConstraint(text, { includePrerelease });
  if (!r.ok) throw new Error(`upstream reads ${text} as a constraint, we say: ${r.error}`);
  return r.constraint;
};

/** Runs every case of a family: upstream's answer (`expected`), or `ours` where the case records a difference. */
function family(vectors: Vectors, name: string, answer: (c: Case) => unknown, expected: (c: Case) => unknown): void {
  const cases = vectors[name] ?? [];
  it(`${name}: all ${cases.length} cases`, () => {
    expect(cases.length).toBeGreaterThan(0);
    const wrong = cases
      .map((c) => ({ c, got: answer(c), want: c.differs !== undefined ? c.ours : expected(c) }))
      .filter((x) => JSON.stringify(x.got) !== JSON.stringify(x.want));
    expect(wrong.map((x) => ({ case: x.c, got: x.got }))).toEqual([]);
  });
}

const funcs: Readonly<Record<string, ComparatorKind>> = {
  constraintTildeOrEqual: 'tilde-or-equal',
  constraintNotEqual: 'not-equal',
  constraintGreaterThan: 'greater',
  constraintLessThan: 'less',
  constraintGreaterThanEqual: 'greater-or-equal',
  constraintLessThanEqual: 'less-or-equal',
  constraintTilde: 'tilde',
  constraintCaret: 'caret',
};

for (const v of [constraints, versions]) {
  it(`${v._source.path} vectors name their source`, () => {
    expect(v._source.repo).toBe('Masterminds/semver');
    expect(v._source.commit).toMatch(/^[0-9a-f]{40}$/);
  });
}

describe('masterminds-constraints.json', () => {
  family(
    constraints,
    'parseComparator',
    (c) => {
      const r = readComparator(str(c, 'in'));
      return r.ok ? { kind: r.comparator.kind, version: formatVersion(r.comparator.version) } : 'error';
    },
    (c) => (c.error ? 'error' : { kind: funcs[str(c, 'func')], version: c.version }),
  );
  family(
    constraints,
    'comparatorCheck',
    (c) => {
      const r = readComparator(str(c, 'constraint'));
      if (!r.ok) return r.error;
      return checkComparator(r.comparator, version(str(c, 'version')), r.comparator.version.prerelease !== '') === undefined;
    },
    (c) => c.check,
  );
  family(
    constraints,
    'newConstraint',
    (c) => {
      const r = parseConstraint(str(c, 'input'));
      return r.ok ? { ors: r.constraint.groups.length, count: r.constraint.groups[0]?.length } : 'error';
    },
    (c) => (c.error ? 'error' : { ors: c.ors, count: c.count }),
  );
  family(
    constraints,
    'check',
    (c) => satisfies(constraint(str(c, 'constraint'), c.includePrerelease === true), version(str(c, 'version'))),
    (c) => c.check,
  );
  family(
    constraints,
    'validate',
    (c) => {
      const reasons = unsatisfiedReasons(constraint(str(c, 'constraint'), c.includePrerelease === true), version(str(c, 'version')));
      return {
        passes: reasons.length === 0,
        agreesWithCheck:
          satisfies(constraint(str(c, 'constraint'), c.includePrerelease === true), version(str(c, 'version'))) === (reasons.length === 0),
      };
    },
    (c) => ({ passes: c.check, agreesWithCheck: true }),
  );
  family(
    constraints,
    'validateMessages',
    (c) => {
      const reasons = unsatisfiedReasons(
        constraint(str(c, 'constraint'), c.includePrerelease === true),
        version(str(c, 'version'), c.strictVersion === true),
      );
      return c.messages !== undefined ? reasons : reasons[0];
    },
    (c) => c.messages ?? c.firstMessage,
  );
  family(
    constraints,
    'rewriteRange',
    (c) => rewriteRange(str(c, 'in')),
    (c) => c.out,
  );
  family(
    constraints,
    'string',
    (c) => {
      const s = formatConstraint(constraint(str(c, 'constraint')));
      return { s, again: parseConstraint(s).ok };
    },
    (c) => ({ s: c.string, again: true }),
  );
});

describe('masterminds-versions.json', () => {
  family(
    versions,
    'strict',
    (c) => parseVersion(str(c, 'version'), { strict: true }) === undefined,
    (c) => c.error,
  );
  family(
    versions,
    'loose',
    (c) => parseVersion(str(c, 'version')) === undefined,
    (c) => c.error,
  );
  family(
    versions,
    'original',
    (c) => parseVersion(str(c, 'version'))?.original,
    (c) => c.version,
  );
  family(
    versions,
    'parts',
    (c) => {
      const v = version(str(c, 'version'));
      return [Number(v.major), Number(v.minor), Number(v.patch), v.prerelease, v.metadata];
    },
    (c) => [c.major, c.minor, c.patch, c.prerelease, c.metadata],
  );
  family(
    versions,
    'coerce',
    (c) => formatVersion(version(str(c, 'version'))),
    (c) => c.string,
  );
  family(
    versions,
    'compare',
    (c) => compareVersions(version(str(c, 'v1')), version(str(c, 'v2'))),
    (c) => c.expected,
  );
  const relations: Readonly<Record<string, (d: number) => boolean>> = {
    lessThan: (d) => d < 0,
    lessThanEqual: (d) => d <= 0,
    greaterThan: (d) => d > 0,
    greaterThanEqual: (d) => d >= 0,
    equal: (d) => d === 0,
  };
  family(
    versions,
    'relations',
    (c) => relations[str(c, 'relation')]?.(compareVersions(version(str(c, 'v1')), version(str(c, 'v2')))),
    (c) => c.expected,
  );
  family(
    versions,
    'identifiers',
    (c) => parseVersion(`1.0.0${c.kind === 'prerelease' ? '-' : '+'}${str(c, 'text')}`) === undefined,
    (c) => c.error,
  );
});

describe('deliberate differences', () => {
  it('each is listed in docs/policies.md, under "Semver constraints"', () => {
    const section = docs.slice(
      docs.indexOf('## Semver constraints'),
      docs.indexOf('\n## ', docs.indexOf('## Semver constraints') + 1) >>> 0,
    );
    expect(section.length).toBeGreaterThan(0);
    const differing = [constraints, versions].flatMap((v) =>
      Object.entries(v).flatMap(([k, cases]) => (Array.isArray(cases) ? cases.filter((c) => c.differs).map((c) => ({ k, c })) : [])),
    );
    for (const { c } of differing) expect(section).toContain(JSON.stringify(c.constraint ?? c.version ?? c.in ?? c.input).slice(1, -1));
    // The agreement figures the section gives are the vectors' own.
    const count = (v: Vectors): [number, number] => {
      const cases = Object.values(v).flatMap((x) => (Array.isArray(x) ? (x as Case[]) : []));
      return [cases.filter((c) => c.differs === undefined).length, cases.length];
    };
    const [ca, ct] = count(constraints);
    const [va, vt] = count(versions);
    expect(section).toContain(`constraints agree in ${ca} of ${ct} cases, versions in ${va} of ${vt}`);
  });
});

/** Upstream's NewConstraint, built from its own expressions (validConstraintRegex, findConstraintRegex). */
function upstreamNewConstraint(text: string): string | undefined {
  const valid = new RegExp(`^(${S}*(${ops})${S}*(${cv})${S}*)((?:${S}+|,${S}*)(${ops})${S}*(${cv})${S}*)*$`);
  const find = new RegExp(`(${ops})${S}*(${cv})`, 'g');
  const groups: string[] = [];
  for (const part of rewriteRange(text).split('||')) {
    if (!valid.test(part)) return undefined;
    const items: string[] = [];
    for (const m of part.matchAll(find)) {
      const r = readComparator(m[0]);
      if (!r.ok) return undefined;
      items.push(`${r.comparator.operator}${r.comparator.written}`);
    }
    groups.push(items.join(' '));
  }
  return groups.join(' || ');
}

describe('beyond the tables', () => {
  it("the one-pass reader accepts exactly upstream's language and finds the same comparators (random input)", () => {
    const alphabet = [
      ' ',
      ' ',
      ',',
      '|',
      '||',
      ' - ',
      '-',
      '.',
      '1',
      '2',
      '0',
      '10',
      'x',
      '*',
      'v',
      'a',
      '>',
      '<',
      '=',
      '~',
      '^',
      '!',
      '+',
      '\t',
    ];
    let seed = 17;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const mismatches: string[] = [];
    for (let i = 0; i < 20000 && mismatches.length < 5; i++) {
      let text = '';
      for (let j = next(14); j > 0; j--) text += alphabet[next(alphabet.length)];
      const r = parseConstraint(text);
      const ours = r.ok ? formatConstraint(r.constraint) : undefined;
      const theirs = text.trim() === '' ? undefined : upstreamNewConstraint(text);
      if (ours !== theirs) mismatches.push(`${JSON.stringify(text)}: ours ${ours}, upstream ${theirs}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('a constraint that cannot be read says what to change', () => {
    const error = (text: string): string => {
      const r = parseConstraint(text);
      return r.ok ? 'read' : r.error;
    };
    expect(error('')).toMatch(/empty: write \*/);
    expect(error('12.3.4.1234')).toMatch(/"12\.3\.4\.1234": a version has at most three numbers/);
    expect(error('>=1.2.3<2')).toMatch(/">=1\.2\.3<2": comparators need a comma or a space between them/);
    expect(error('>= bar')).toMatch(/the operator ">=" needs a version after it, not "bar"/);
    expect(error('==1.2')).toMatch(/"==1\.2": the operators are =, !=/);
    expect(error('1 && 2')).toMatch(/AND is written as a comma or a space/);
    expect(error('1.2 ||')).toMatch(/"\|\|" needs a range on each side \(in alternative 2 of 2/);
    expect(error('1x')).toMatch(/"1x" is not a version: a wildcard/);
    expect(error('1.2.3-01')).toMatch(/prerelease identifier "01" is a number with a leading zero/);
    expect(error('>= 1.2 - 1.4')).toMatch(/a hyphen range "A - B" takes two versions without operators/);
    expect(error(`>=1 ${' '.repeat(maxConstraintLength)}`)).toMatch(/longer than 4096 characters/);
  });

  it("upstream's bounds: unsigned 64-bit numbers, exactly", () => {
    expect(parseVersion('18446744073709551615.0.0')?.major).toBe(18446744073709551615n);
    expect(parseVersion('18446744073709551616.0.0')).toBeUndefined();
    expect(compareVersions(version('1.0.0-9007199254740993'), version('1.0.0-9007199254740992'))).toBe(1);
    // A prerelease number beyond 64 bits is a word to upstream (ParseUint fails), so it sorts above every number.
    expect(compareVersions(version('1.0.0-18446744073709551616'), version('1.0.0-18446744073709551615'))).toBe(1);
  });

  it('prereleases are admitted per AND group, for any major.minor.patch (not only the one named, as npm does)', () => {
    const c = constraint('>=1.0.0-0 <2 || >=3');
    expect(satisfies(c, version('1.5.0-rc.1'))).toBe(true);
    expect(satisfies(c, version('3.1.0-rc.1'))).toBe(false);
    expect(satisfies(constraint('>=3', true), version('3.1.0-rc.1'))).toBe(true);
    expect(unsatisfiedReasons(c, version('3.1.0-rc.1'))).toEqual([
      '"3.1.0-rc.1" is greater than or equal to "2"',
      '"3.1.0-rc.1" is a prerelease version and the constraint is only looking for release versions',
    ]);
  });

  it('sortTagsBySemver: matching tags newest first, stable on equal precedence, unparseable tags ignored', () => {
    const tags = ['latest', '1.2.3', 'v1.10.0', '1.2', '2.0.0', '1.3.0', '1.4.0-rc.1', '1.2.0', 'v1.2.0+b1', '12.15.0-alpine', 'main-5'];
    expect(sortTagsBySemver(tags, constraint('^1.2'))).toEqual(['v1.10.0', '1.3.0', '1.2.3', '1.2', '1.2.0', 'v1.2.0+b1']);
    expect(sortTagsBySemver(tags, constraint('>=1.2.3, <2'))).toEqual(['v1.10.0', '1.3.0', '1.2.3']);
    expect(sortTagsBySemver(tags)).toEqual([
      '12.15.0-alpine',
      '2.0.0',
      'v1.10.0',
      '1.4.0-rc.1',
      '1.3.0',
      '1.2.3',
      '1.2',
      '1.2.0',
      'v1.2.0+b1',
    ]);
    expect(sortTagsBySemver([])).toEqual([]);
  });

  it('reads a worst-case constraint quickly', () => {
    const n = maxConstraintLength;
    const worst = [`${' '.repeat(n - 2)}x!`, `${'1'.repeat(n / 2)}${' '.repeat(n / 2 - 1)}!`, `>=1${' '.repeat(n - 6)}<2`, 'x'.repeat(n)];
    const start = performance.now();
    for (const text of worst) parseConstraint(text);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
