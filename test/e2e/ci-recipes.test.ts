/**
 * The copy-paste integrations run as written: `npm pack` gives a package that installs into an empty directory and
 * whose `imagestreams validate` works; the pre-commit entry, the GitLab template's check job and the Action's check
 * steps are read from their files and their commands run against a repository that is reconciled and one that is not.
 * The Action's install step (`npm ci --prefix "$GITHUB_ACTION_PATH"`) is not run here: it is the `npm ci` this checkout
 * was installed with, and running it again would take minutes; its `GITHUB_ACTION_PATH` is this checkout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-ci-recipes-'));
let binDir = '';

async function sh(
  script: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('bash', ['-eo', 'pipefail', '-c', script], {
      cwd,
      env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: work, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A repository whose stream is reconciled (status written) and one where it is not. */
function repos(): { done: string; pending: string } {
  const pending = path.join(work, 'pending');
  cpSync(path.join(root, 'fixtures/repos/reference-tag/before'), pending, { recursive: true });
  const done = path.join(work, 'done');
  cpSync(path.join(root, 'fixtures/repos/reference-tag/after'), done, { recursive: true });
  return { done, pending };
}

beforeAll(async () => {
  // npm pack runs `prepare` (the build), as publishing would.
  const { stdout } = await exec('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, timeout: 240_000 });
  const tarball = path.join(work, stdout.trim().split('\n').pop() as string);
  const install = path.join(work, 'install');
  writeFileSync(path.join(work, 'package.json'), '{}');
  await exec('npm', ['install', '--prefix', install, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
    cwd: work,
    timeout: 240_000,
  });
  binDir = path.join(install, 'node_modules/.bin');
}, 480_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('copy-paste CI integrations', () => {
  it('npm pack holds the CLI and nothing of the sources or tests, and the installed package validates', async () => {
    const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain('bin/imagestreams.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('schemas/config.schema.json');
    expect(files.filter((f) => /^(src|test|fixtures)\//.test(f))).toEqual([]);
    const { done, pending } = repos();
    const ok = await sh('imagestreams validate', done);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/0 errors/);
    writeFileSync(path.join(pending, 'bad.yaml'), 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: Bad\n');
    const bad = await sh('imagestreams validate', pending);
    expect(bad.code).toBe(1);
    rmSync(path.join(pending, 'bad.yaml'));
  });

  it("the pre-commit hook's entry checks the files it is given", async () => {
    const hooks = parse(readFileSync(path.join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Array<{
      id: string;
      entry: string;
      files: string;
    }>;
    const hook = hooks.find((h) => h.id === 'imagestreams-validate');
    expect(hook).toBeDefined();
    const { done } = repos();
    const files = readdirSync(done).filter((f) => new RegExp(hook?.files ?? '$^').test(f));
    expect(files.length).toBeGreaterThan(0);
    const r = await sh(`${hook?.entry} ${files.join(' ')}`, done);
    expect(r.code).toBe(0);
  });

  it("the GitLab template's check job passes on a reconciled repository and fails (3) on one that is not", async () => {
    const ci = parse(readFileSync(path.join(root, 'ci/imagestreams.gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[] }>;
    const script = (ci['imagestreams-check']?.script ?? []).join('\n');
    expect(script).toMatch(/imagestreams validate/);
    const { done, pending } = repos();
    expect((await sh(script, done)).code).toBe(0);
    expect(readFileSync(path.join(done, 'imagestreams-report.md'), 'utf8')).toMatch(/^## imagestreams reconcile: 0 files would change/);
    expect((await sh(script, pending)).code).toBe(3);
  });

  it("the Action's check steps annotate, write the job summary, and fail with 3 when status is not written", async () => {
    const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
      runs: { using: string; steps: Array<{ name: string; if?: string; run: string }> };
    };
    expect(action.runs.using).toBe('composite');
    const steps = action.runs.steps.filter((s) => s.if === "inputs.mode == 'check'");
    expect(steps.map((s) => s.name)).toEqual(['Validate', 'Check that everything derivable is written']);
    const { done, pending } = repos();
    const run = async (dir: string) => {
      const summary = path.join(work, `summary-${path.basename(dir)}.md`);
      writeFileSync(summary, '');
      const env = { GITHUB_ACTION_PATH: root, GITHUB_STEP_SUMMARY: summary };
      const results = [];
      for (const s of steps) results.push(await sh(s.run, dir, env));
      return { results, summary: readFileSync(summary, 'utf8') };
    };
    const ok = await run(done);
    expect(ok.results.map((r) => r.code)).toEqual([0, 0]);
    expect(ok.summary).toMatch(/^## imagestreams reconcile: 0 files would change/);
    const late = await run(pending);
    expect(late.results.map((r) => r.code)).toEqual([0, 3]);
    expect(late.results[1]?.stdout).toMatch(/^::notice file=/m);
    expect(late.results[1]?.stdout).toMatch(/::error title=imagestreams::status or workload images are not up to date/);
    expect(late.summary).toMatch(/### Image stream tags/);
  });
});
