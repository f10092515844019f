/**
 * Upstream's ImageStreamImport validation table (fixtures/vectors/upstream-validate-imagestreamimport.json), each
 * case run end to end as the `imagestreams import-image` command line that makes oc send that request: an invalid
 * request exits 2 with upstream's error text for every upstream error and writes nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../src/reconcile/import-request.js';
import type { FieldError } from '../../src/reconcile/import-request.js';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

interface Run {
  readonly args: readonly string[];
  readonly files?: string;
  readonly exit: number;
  readonly errors: ReadonlyArray<{ readonly upstream: number; readonly field: string }>;
  readonly refusal?: string;
}
interface ImportCase {
  readonly name: string;
  readonly upstream: readonly FieldError[];
  readonly runs: readonly Run[];
  readonly differs?: string;
}
interface Vectors {
  readonly _source: { readonly repo: string; readonly commit: string; readonly path: string; readonly test: string };
  readonly fixtures: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly cases: readonly ImportCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/vectors/upstream-validate-imagestreamimport.json', import.meta.url), 'utf8'),
) as Vectors;

/** Every file under dir with its bytes: what "nothing written" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe(`${vectors._source.repo} ${vectors._source.path} ${vectors._source.test} (${vectors._source.commit})`, () => {
  const agreed: string[] = [];
  for (const c of vectors.cases) {
    it(`${c.name}${c.differs ? ' (differs on purpose)' : ''}`, async () => {
      const reproduced = new Set<number>();
      for (const run of c.runs) {
        const dir = await writeFixture(run.files ? (vectors.fixtures[run.files] ?? {}) : {});
        try {
          const before = snapshot(dir);
          const r = await runCli(run.args, { cwd: dir, env: { HOME: dir } });
          expect(r.code, `${run.args.join(' ')}\n${r.stderr}`).toBe(run.exit);
          expect(snapshot(dir)).toEqual(before);
          if (run.errors.length > 0) expect(r.stderr).toContain('is invalid: ');
          for (const e of run.errors) {
            const u = c.upstream[e.upstream] as FieldError;
            expect(r.stderr).toContain(formatFieldError({ ...u, field: e.field }));
            if (e.field === u.field) reproduced.add(e.upstream);
          }
          if (run.refusal) expect(r.stderr).toContain(run.refusal);
          if (run.exit === 0) expect(r.stderr).toBe('');
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      if (c.differs) {
        expect(c.differs).toMatch(/^docs\/[a-z-]+\.md#/);
        return;
      }
      // Agreement: every upstream error came out, on upstream's field, in upstream's words.
      expect([...reproduced].sort()).toEqual(c.upstream.map((_, i) => i));
      agreed.push(c.name);
    });
  }
  it('agrees with every case that records no documented difference', () => {
    expect(vectors.cases).toHaveLength(12);
    expect(agreed).toHaveLength(vectors.cases.filter((c) => !c.differs).length);
  });
});
