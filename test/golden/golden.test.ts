/**
 * Golden repositories: fixtures/repos/<case>/{before/, after/, observed.json}. A pass over `before` with the recorded
 * observations must produce `after` byte for byte, and a second pass over `after` must change nothing.
 * `UPDATE_GOLDEN=1` rewrites `after` (review the diff before committing it).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ImportRequest, Observation } from '../../src/import/index.js';
import type { ImportSource } from '../../src/cli/pipeline.js';
import { reconcilePass } from '../../src/cli/pipeline.js';
import { exactReference, mostSpecific, parseOpenShiftReference } from '../../src/reconcile/reference.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/repos');

interface Observed {
  readonly now: string;
  readonly options?: {
    offline?: boolean;
    forceImport?: boolean;
    localRegistry?: string;
    historyLimit?: number;
    repositoryTagCap?: number;
    defaultNamespace?: string;
  };
  readonly images?: Record<string, { digest: string } | { failure: { reason: string; message: string } }>;
  readonly repositories?: Record<string, string[]>;
  /** What the pass should report besides file changes. */
  readonly expect?: {
    skips?: string[];
    importCount?: number;
    workloadSkips?: string[];
    /** Every diagnostic of the first pass, as `file:line:col severity code` (default: no errors). */
    diagnostics?: string[];
  };
}

/** Observations recorded for the case: each `from` answers as the registry did when the case was written. */
function recorded(observed: Observed): ImportSource & { asked: string[] } {
  const asked: string[] = [];
  const answer = (r: ImportRequest): Observation => {
    asked.push(r.from);
    const o = observed.images?.[r.from];
    if (!o) return { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `no observation recorded for ${r.from}` } };
    if ('failure' in o)
      return { ok: false, failure: { kind: 'not-found', reason: o.failure.reason as 'NotFound', message: o.failure.message } };
    const parsed = parseOpenShiftReference(r.from);
    if (!parsed.ok) throw new Error(`bad reference in fixture: ${r.from}`);
    return {
      ok: true,
      image: {
        digest: o.digest,
        dockerImageReference: exactReference(mostSpecific({ ...parsed.value, id: o.digest })),
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [],
      },
    };
  };
  return {
    asked,
    importImages: async (requests) => requests.map(answer),
    listTags: async (from) => {
      const tags = observed.repositories?.[from];
      return tags
        ? { ok: true, tags: [...tags] }
        : { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `no repository recorded for ${from}` } };
    },
    repositoryTags: async (from, _insecure, cap = 50) => {
      const tags = observed.repositories?.[from];
      if (!tags) return { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `no repository recorded for ${from}` } };
      const { prioritizeTags } = await import('../../src/reconcile/tag-order.js');
      const ordered = prioritizeTags(tags);
      const n = cap < 0 ? ordered.length : cap;
      return { ok: true, tags: ordered.slice(0, n), additionalTags: ordered.slice(n) };
    },
  };
}

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    try {
      out.set(name.split(path.sep).join('/'), readFileSync(p, 'latin1'));
    } catch {
      // a directory
    }
  }
  return out;
}

async function pass(dir: string, observed: Observed) {
  const source = recorded(observed);
  const o = observed.options ?? {};
  const result = await reconcilePass({
    repoDir: dir,
    displayBase: dir,
    walk: defaultWalkOptions,
    limits: defaultLoadLimits,
    settings: {
      ...defaultReconcileSettings,
      defaultNamespace: o.defaultNamespace ?? 'default',
      localRegistry: o.localRegistry,
      historyLimit: o.historyLimit ?? defaultReconcileSettings.historyLimit,
      repositoryTagCap: o.repositoryTagCap ?? defaultReconcileSettings.repositoryTagCap,
    },
    now: observed.now,
    offline: o.offline ?? false,
    forceImport: o.forceImport ?? false,
    importer: o.offline ? undefined : source,
  });
  for (const c of result.changes) writeFileSync(c.absolute, c.after, 'utf8');
  return { result, asked: source.asked };
}

const cases = existsSync(root)
  ? readdirSync(root)
      .filter((c) => existsSync(path.join(root, c, 'before')))
      .sort()
  : [];

describe('golden repositories', () => {
  it('has the cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));
  for (const name of cases) {
    it(name, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), `imagestreams-golden-${name}-`));
      try {
        cpSync(path.join(root, name, 'before'), dir, { recursive: true });
        const observed = JSON.parse(readFileSync(path.join(root, name, 'observed.json'), 'utf8')) as Observed;
        const first = await pass(dir, observed);
        expect(first.result.renderErrors).toEqual([]);
        if (observed.expect?.diagnostics)
          expect(first.result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity} ${d.code}`)).toEqual(
            observed.expect.diagnostics,
          );
        else expect(first.result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const afterDir = path.join(root, name, 'after');
        if (process.env.UPDATE_GOLDEN) {
          rmSync(afterDir, { recursive: true, force: true });
          cpSync(dir, afterDir, { recursive: true });
        }
        expect(tree(dir)).toEqual(tree(afterDir));
        if (observed.expect?.skips) expect(first.result.skips.map((s) => `${s.tag ?? ''}: ${s.reason}`)).toEqual(observed.expect.skips);
        if (observed.expect?.workloadSkips)
          expect(first.result.workloadSkips.map((s) => `${s.workload}: ${s.reason}`)).toEqual(observed.expect.workloadSkips);
        if (observed.expect?.importCount !== undefined) expect(first.asked.length).toBe(observed.expect.importCount);
        // Idempotence: the same observations over the result change nothing.
        const second = await pass(dir, observed);
        expect(second.result.changes.map((c) => c.file)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
