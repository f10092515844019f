/** Committing and pushing a pass against the real git http-backend: races, convergence, `reconcile --commit --push`. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { commitPass } from '../../src/cli/commit-pass.js';
import { FileChangedError } from '../../src/cli/write-files.js';
import { parseText } from '../../src/render/load.js';
import type { LoadCache } from '../../src/render/repository.js';
import { stampOf } from '../../src/render/file-stamp.js';
import type { PassOptions } from '../../src/cli/pipeline.js';
import { GitRepo } from '../../src/gitsource/repo.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { runCli } from '../helpers/cli.js';
import { createBareRepo, git, gitAsync, installDecliningPreReceive } from '../support/git-server.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-commit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const stream = (name: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: ops
spec:
  tags:
  - name: pinned
    reference: true
    from:
      kind: DockerImage
      name: registry.example.com/ops/${name}:1
`;
const passFor = (dir: string, now = '2024-05-01T12:00:00Z'): PassOptions => ({
  repoDir: dir,
  displayBase: dir,
  walk: defaultWalkOptions,
  limits: defaultLoadLimits,
  settings: defaultReconcileSettings,
  now,
  offline: true,
  forceImport: false,
});
const author = { name: 'bot', email: 'bot@example.com' };

async function log(name: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(work, 'log-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  const out = (await gitAsync(['log', '--format=%s'], dir)).trim().split('\n');
  rmSync(dir, { recursive: true, force: true });
  return out;
}

describe('commit and push a pass', () => {
  it('a human commit landing between fetch and push is kept: the push is rejected, the pass is planned again on the new head', async () => {
    createBareRepo(projectRoot, 'race', { files: { 'a.yaml': stream('a') } });
    const human = mkdtempSync(path.join(work, 'human-'));
    await gitAsync(['clone', '-q', `${gitUrl}/race.git`, human]);
    writeFileSync(path.join(human, 'b.yaml'), stream('b'));
    await gitAsync(['add', 'b.yaml'], human);
    await gitAsync(['commit', '-qm', 'a person adds stream b'], human);
    const repo = new GitRepo({ dir: path.join(work, 'race'), url: `${gitUrl}/race.git`, branch: 'main', author });
    await repo.ensureCloned();
    const retries: string[] = [];
    let calls = 0;
    const out = await commitPass(
      repo,
      () => {
        calls += 1;
        // Right after our fetch, a person pushes (synchronously, so the race is certain).
        if (calls === 1) git(['push', '-q', 'origin', 'main'], human);
        return passFor(repo.dir);
      },
      { push: true, localTree: false, sleep: async () => undefined, onRetry: (_a, why) => retries.push(why) },
    );
    expect(out).toMatchObject({ pushed: true, retries: 1 });
    expect(retries).toHaveLength(1);
    expect(await log('race')).toEqual(['imagestreams: 2 files reconciled', 'a person adds stream b', 'initial commit']);
  });

  it('a stale parse in the load cache writes nothing (file-changed) and is dropped, so the next pass lands', async () => {
    createBareRepo(projectRoot, 'stale', { files: { 'a.yaml': stream('a') } });
    const repo = new GitRepo({ dir: path.join(work, 'stale'), url: `${gitUrl}/stale.git`, branch: 'main', author });
    await repo.ensureCloned();
    const absolute = path.join(repo.dir, 'a.yaml');
    // A parse of other text under the file's current stat: what a rewrite within one timestamp tick would leave.
    const stale = parseText('a.yaml', `${stream('a')}# an older text\n`, defaultLoadLimits);
    const info = statSync(absolute);
    const loadCache: LoadCache = new Map([[absolute, { ...stampOf(info), result: stale }]]);
    const options = { push: true, localTree: false, knownClean: true, sleep: async () => undefined };
    await expect(commitPass(repo, () => ({ ...passFor(repo.dir), loadCache }), options)).rejects.toBeInstanceOf(FileChangedError);
    expect(readFileSync(absolute, 'utf8')).toBe(stream('a'));
    expect(loadCache.has(absolute)).toBe(false);
    expect(await log('stale')).toEqual(['initial commit']);
    const out = await commitPass(repo, () => ({ ...passFor(repo.dir), loadCache }), options);
    expect(out).toMatchObject({ pushed: true });
    const landed = readFileSync(absolute, 'utf8');
    expect(landed).not.toBe(stream('a'));
    expect(landed).toContain('status:');
    expect(landed).not.toContain('an older text');
    expect(await log('stale')).toEqual(['imagestreams: 1 file reconciled', 'initial commit']);
  });

  it("two writers on one repository converge without losing either's work", async () => {
    createBareRepo(projectRoot, 'two', { files: { 'a.yaml': stream('a'), 'b.yaml': stream('b') } });
    const one = new GitRepo({
      dir: path.join(work, 'two-1'),
      url: `${gitUrl}/two.git`,
      branch: 'main',
      author: { name: 'one', email: 'one@x' },
    });
    const two = new GitRepo({
      dir: path.join(work, 'two-2'),
      url: `${gitUrl}/two.git`,
      branch: 'main',
      author: { name: 'two', email: 'two@x' },
    });
    await Promise.all([one.ensureCloned(), two.ensureCloned()]);
    let rejected = 0;
    // Both plan from the same head; their pushes race. The loser fetches, plans again, and finds nothing left to do.
    const results = await Promise.all(
      [one, two].map((r, i) =>
        commitPass(r, () => passFor(r.dir, `2024-05-01T12:0${i}:00Z`), {
          push: true,
          localTree: false,
          onRetry: () => void (rejected += 1),
        }),
      ),
    );
    expect(results.filter((r) => r.pushed)).toHaveLength(rejected === 0 ? 2 : 1);
    const history = await log('two');
    expect(history.at(-1)).toBe('initial commit');
    expect(history.filter((m) => m.startsWith('imagestreams:')).length).toBe(rejected === 0 ? 2 : 1);
    const final = mkdtempSync(path.join(work, 'final-'));
    await gitAsync(['clone', '-q', `${gitUrl}/two.git`, final]);
    for (const f of ['a.yaml', 'b.yaml']) expect(readFileSync(path.join(final, f), 'utf8').match(/dockerImageReference:/g)).toHaveLength(1);
    const again = await commitPass(one, () => passFor(one.dir), { push: true, localTree: false });
    expect(again.commit).toBeUndefined();
  });

  it('a server-side decline (pre-receive hook) is a rejection: retried a bounded number of times, then reported', async () => {
    const bare = createBareRepo(projectRoot, 'declined', { files: { 'a.yaml': stream('a') } });
    installDecliningPreReceive(bare, 'pushes are frozen');
    const repo = new GitRepo({ dir: path.join(work, 'declined'), url: `${gitUrl}/declined.git`, branch: 'main', author });
    await repo.ensureCloned();
    let retries = 0;
    const out = await commitPass(repo, () => passFor(repo.dir), {
      push: true,
      localTree: false,
      maxPushRetries: 2,
      sleep: async () => undefined,
      onRetry: () => void (retries += 1),
    });
    // The commit exists locally but is not published; the failure is a value the caller maps (exit 5, or a retry).
    expect(out.publishError).toMatchObject({ name: 'GitError', code: 'push-rejected' });
    expect(out.pushed).toBe(false);
    expect(out.commit).toBeDefined();
    expect(retries).toBe(2);
    expect(await log('declined')).toEqual(['initial commit']);
  });

  it('--push-branch: commits go to another branch, and later passes plan from it', async () => {
    createBareRepo(projectRoot, 'protected', { files: { 'a.yaml': stream('a') } });
    const repo = new GitRepo({
      dir: path.join(work, 'protected'),
      url: `${gitUrl}/protected.git`,
      branch: 'main',
      pushBranch: 'imagestreams',
      author,
    });
    await repo.ensureCloned();
    const first = await commitPass(repo, () => passFor(repo.dir), { push: true, localTree: false });
    expect(first.pushed).toBe(true);
    const second = await commitPass(repo, () => passFor(repo.dir, '2024-05-01T13:00:00Z'), { push: true, localTree: false });
    expect(second.commit).toBeUndefined();
    const branches = await gitAsync(['ls-remote', '--heads', `${gitUrl}/protected.git`]);
    expect(branches).toMatch(/refs\/heads\/imagestreams/);
    expect(await log('protected')).toEqual(['initial commit']); // main is untouched
  });

  it("reconcile --commit --push commits only the changed files in a local checkout and leaves a person's edits alone", async () => {
    createBareRepo(projectRoot, 'ci', { files: { 'a.yaml': stream('a'), 'b.yaml': stream('b'), 'notes.txt': 'x\n' } });
    const dir = path.join(work, 'ci');
    await gitAsync(['clone', '-q', `${gitUrl}/ci.git`, dir]);
    writeFileSync(path.join(dir, 'b.yaml'), `${stream('b')}# a person's uncommitted edit\n`);
    writeFileSync(path.join(dir, 'notes.txt'), 'staged by a person\n');
    await gitAsync(['add', 'notes.txt'], dir);
    const r = await runCli(['reconcile', '--offline', '--commit', '--push', '--now', '2024-05-01T12:00:00Z'], {
      cwd: dir,
      env: { HOME: work },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('left b.yaml alone: it has uncommitted edits');
    expect(r.stderr).toMatch(/committed [0-9a-f]{12} and pushed/);
    const shown = await gitAsync(['show', '--stat', '--format=%s', 'HEAD'], dir);
    expect(shown).toContain('a.yaml');
    expect(shown).not.toContain('b.yaml');
    expect(shown).not.toContain('notes.txt');
    expect((await log('ci'))[0]).toBe('imagestreams: 1 file reconciled');
    expect(readFileSync(path.join(dir, 'b.yaml'), 'utf8')).toContain("a person's uncommitted edit");
    expect((await gitAsync(['diff', '--cached', '--name-only'], dir)).trim()).toBe('notes.txt');
  });
});
