/**
 * `reconcile -o markdown` and `-o github` (and the pull-request body, the same renderer): golden outputs over the
 * golden repositories' `before/` with their recorded observations. `UPDATE_GOLDEN=1` rewrites them; review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reconcilePass } from '../../src/cli/pipeline.js';
import type { ImportSource } from '../../src/cli/pipeline.js';
import { renderGithub } from '../../src/cli/report-github.js';
import { renderMarkdown } from '../../src/cli/report-markdown.js';
import type { Observation } from '../../src/import/index.js';
import { exactReference, mostSpecific, parseOpenShiftReference } from '../../src/reconcile/reference.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cases = [
  'first-import',
  'import-failure',
  'workload-kinds',
  'workload-skips',
  'helm-values-markers',
  'kustomize-images',
  'marker-diagnostics',
  'tag-policies',
  'hold-rollback',
];

interface Observed {
  readonly now: string;
  readonly options?: { offline?: boolean; localRegistry?: string; defaultNamespace?: string };
  readonly images?: Record<string, { digest: string } | { failure: { reason: string; message: string } }>;
  readonly repositories?: Record<string, string[]>;
}

/** The recorded registry answers of a golden case (as test/golden/golden.test.ts replays them). */
function recorded(observed: Observed): ImportSource {
  const answer = (from: string): Observation => {
    const o = observed.images?.[from];
    if (!o) return { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `no observation recorded for ${from}` } };
    if ('failure' in o)
      return { ok: false, failure: { kind: 'not-found', reason: o.failure.reason as 'NotFound', message: o.failure.message } };
    const parsed = parseOpenShiftReference(from);
    if (!parsed.ok) throw new Error(`bad reference in fixture: ${from}`);
    const dockerImageReference = exactReference(mostSpecific({ ...parsed.value, id: o.digest }));
    return {
      ok: true,
      image: { digest: o.digest, dockerImageReference, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] },
    };
  };
  return {
    importImages: async (requests) => requests.map((r) => answer(r.from)),
    repositoryTags: async () => ({ ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: 'no repository recorded' } }),
    listTags: async (from) => {
      const tags = observed.repositories?.[from];
      return tags
        ? { ok: true, tags: [...tags] }
        : { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `no repository recorded for ${from}` } };
    },
  };
}

async function passOf(name: string) {
  const dir = path.join(root, 'fixtures/repos', name, 'before');
  const observed = JSON.parse(readFileSync(path.join(root, 'fixtures/repos', name, 'observed.json'), 'utf8')) as Observed;
  const o = observed.options ?? {};
  return reconcilePass({
    repoDir: dir,
    displayBase: dir,
    walk: defaultWalkOptions,
    limits: defaultLoadLimits,
    settings: { ...defaultReconcileSettings, defaultNamespace: o.defaultNamespace ?? 'default', localRegistry: o.localRegistry },
    now: observed.now,
    offline: o.offline ?? false,
    forceImport: false,
    importer: o.offline ? undefined : recorded(observed),
  });
}

function golden(file: string, text: string): void {
  const at = path.join(root, 'fixtures/reports', file);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(at)) writeFileSync(at, text);
  expect(text).toBe(readFileSync(at, 'utf8'));
}

describe('reconcile -o markdown and -o github', () => {
  for (const name of cases)
    it(`${name}: the Markdown report and the annotations`, async () => {
      const result = await passOf(name);
      golden(`${name}.md`, renderMarkdown(result, { heading: 'imagestreams reconcile' }));
      golden(`${name}.github.txt`, renderGithub(result));
    });

  it('is bounded: each table stops at maxRows with "and N more", and the whole text at maxChars', async () => {
    const result = await passOf('workload-kinds');
    const md = renderMarkdown(result, { maxRows: 1 });
    expect(md).toMatch(/…and \d+ more\./);
    expect(md.split('\n').filter((l) => l.startsWith('| `')).length).toBeLessThanOrEqual(4);
    const cut = renderMarkdown(result, { maxChars: 600 });
    expect(cut.length).toBeLessThan(700);
    expect(cut).toMatch(/…and more: the report is cut at 600 characters/);
    const gh = renderGithub(result, 1);
    expect(gh).toMatch(/::notice title=imagestreams::…and \d+ more images/);
  });

  it('the CLI prints the same report (-o markdown) and annotations (-o github)', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const dir = path.join(root, 'fixtures/repos/workload-skips/before');
    const md = await runCli(['reconcile', '--offline', '--check', '-o', 'markdown', '--now', '2024-05-01T12:00:00Z'], { cwd: dir });
    expect(md.stdout).toMatch(/^## imagestreams reconcile: \d+ files? would change\n/);
    expect(md.stdout).toContain('### Left alone');
    const gh = await runCli(['reconcile', '--offline', '--check', '-o', 'github', '--now', '2024-05-01T12:00:00Z'], { cwd: dir });
    expect(gh.stdout).toMatch(/^::(notice|warning|error) file=/m);
  });
});
