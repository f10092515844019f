/**
 * Every place a daemon can be killed, made deterministic: the state a SIGKILL leaves in the daemon's clone is built
 * by hand, then the pass a restarted daemon runs (commitPass with nothing known about the clone) must land the right
 * result, keep every human change and add nothing twice. Against the real git http-backend.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { commitPass } from '../../src/cli/commit-pass.js';
import type { PassOptions } from '../../src/cli/pipeline.js';
import { reconcilePass } from '../../src/cli/pipeline.js';
import { writeAll } from '../../src/cli/write-files.js';
import { gitHttpClient } from '../../src/gitsource/http.js';
import { GitRepo } from '../../src/gitsource/repo.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-crash-'));
const http = gitHttpClient();
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await http.close();
});

const specTag = (name: string) => `  - name: ${name}
    reference: true
    from:
      kind: DockerImage
      name: registry.example.com/ops/app:${name}
`;
const stream = (...tags: string[]) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: ops
spec:
  tags:
${tags.map(specTag).join('')}`;
const passFor = (dir: string): PassOptions => ({
  repoDir: dir,
  displayBase: dir,
  walk: defaultWalkOptions,
  limits: defaultLoadLimits,
  settings: defaultReconcileSettings,
  now: '2024-05-01T12:00:00Z',
  offline: true,
  forceImport: false,
});
const author = { name: 'bot', email: 'bot@example.com' };

let n = 0;
function setup(files: Record<string, string>): { name: string; repo: GitRepo; dir: string } {
  n += 1;
  const name = `crash-${n}`;
  createBareRepo(projectRoot, name, { files });
  const dir = path.join(work, `wd-${n}`);
  return { name, dir, repo: new GitRepo({ dir, url: `${gitUrl}/${name}.git`, branch: 'main', author, http }) };
}

async function remote(name: string): Promise<{ text: string; log: string[] }> {
  const dir = mkdtempSync(path.join(work, 'look-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  const text = readFileSync(path.join(dir, 'is.yaml'), 'utf8');
  const log = (await gitAsync(['log', '--format=%an|%s'], dir)).trim().split('\n');
  rmSync(dir, { recursive: true, force: true });
  return { text, log };
}

const statusTags = (text: string): Array<{ tag: string; items: unknown[] }> =>
  (parse(text) as { status?: { tags?: Array<{ tag: string; items: unknown[] }> } }).status?.tags ?? [];
const specTags = (text: string): string[] =>
  ((parse(text) as { spec: { tags: Array<{ name: string }> } }).spec.tags ?? []).map((t) => t.name);

/** What a restarted daemon runs first: it knows nothing about the clone. */
const restartPass = (repo: GitRepo) => commitPass(repo, () => passFor(repo.dir), { push: true, localTree: false, knownClean: false });

async function humanCommit(name: string, text: string, message: string): Promise<void> {
  const dir = mkdtempSync(path.join(work, 'human-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  writeFileSync(path.join(dir, 'is.yaml'), text);
  await gitAsync(['-c', 'user.name=person', '-c', 'user.email=p@example.com', 'commit', '-qam', message], dir);
  await gitAsync(['push', '-q', 'origin', 'main'], dir);
  rmSync(dir, { recursive: true, force: true });
}

describe('a daemon killed at any point converges on restart', () => {
  it('during the first clone: a half-made .git and an abandoned temporary clone are discarded; the clone is made again', async () => {
    const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
    // A clone killed early: `.git` exists but has no branch and no commit.
    mkdirSync(dir, { recursive: true });
    await git.init({ fs, dir, defaultBranch: 'main' });
    writeFileSync(path.join(dir, 'is.yaml'), 'half: written\n');
    mkdirSync(`${dir}.clone-0badc0de/.git`, { recursive: true });
    expect(await repo.isCompleteClone()).toBe(false);
    expect(await repo.removeLeftovers()).toBe(1);
    expect(existsSync(`${dir}.clone-0badc0de`)).toBe(false);
    const out = await restartPass(repo);
    expect(out.pushed).toBe(true);
    const r = await remote(name);
    expect(statusTags(r.text).map((t) => t.tag)).toEqual(['one']);
    expect(readFileSync(path.join(dir, 'is.yaml'), 'utf8')).toBe(r.text);
  });

  it('during the first clone: a .git whose objects are missing is not mistaken for a clone', async () => {
    const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
    await repo.ensureCloned();
    rmSync(path.join(dir, '.git', 'objects'), { recursive: true, force: true });
    mkdirSync(path.join(dir, '.git', 'objects'));
    expect(await repo.isCompleteClone()).toBe(false);
    expect((await restartPass(repo)).pushed).toBe(true);
    expect(statusTags((await remote(name)).text)).toHaveLength(1);
  });

  it('after writing the files, before committing: the leftover output is reset and the change is planned and landed', async () => {
    const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
    await repo.ensureCloned();
    // The killed pass wrote its result (and a staged temporary file) but never committed.
    const planned = await reconcilePass(passFor(dir));
    await writeAll(planned.changes);
    writeFileSync(path.join(dir, '.is.yaml.imagestreams-deadbeef.tmp'), 'partial');
    expect(await repo.head()).toBe((await repo.remoteHead()) as string);
    expect(await repo.removeLeftovers()).toBe(1);
    const out = await restartPass(repo);
    // Old behaviour: HEAD equals the remote, no reset, the pass reads its own output and finds nothing to commit.
    expect(out.commit).toBeDefined();
    expect(out.pushed).toBe(true);
    const r = await remote(name);
    expect(statusTags(r.text).map((t) => t.tag)).toEqual(['one']);
    expect(r.log[0]).toMatch(/^bot\|imagestreams: /);
  });

  it("after moving the branch ref, before the checkout: a person's new spec tag is kept, not undone", async () => {
    const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
    expect((await restartPass(repo)).pushed).toBe(true);
    // A person adds a spec tag; the daemon fetched it and moved its ref, then died before checking the files out.
    await humanCommit(name, `${(await remote(name)).text.replace(specTag('one'), specTag('one') + specTag('two'))}`, 'add tag two');
    const fetched = await git.fetch({ fs, http, dir, ref: 'main', singleBranch: true, depth: 1, tags: false });
    await git.writeRef({ fs, dir, ref: 'refs/heads/main', value: fetched.fetchHead as string, force: true });
    expect(specTags(readFileSync(path.join(dir, 'is.yaml'), 'utf8'))).toEqual(['one']); // stale files
    const out = await restartPass(repo);
    expect(out.pushed).toBe(true);
    const r = await remote(name);
    expect(specTags(r.text)).toEqual(['one', 'two']);
    expect(statusTags(r.text).map((t) => t.tag)).toEqual(['one', 'two']);
    expect(r.log.slice(0, 2)).toEqual([expect.stringMatching(/^bot\|imagestreams: /), expect.stringMatching(/\|add tag two$/)]);
  });

  it('after committing, before the push: the unpushed commit is replaced by the same change, landed once', async () => {
    const { name, repo } = setup({ 'is.yaml': stream('one') });
    const local = await commitPass(repo, () => passFor(repo.dir), { push: false, localTree: false });
    expect(local.commit).toBeDefined();
    expect((await remote(name)).log).toHaveLength(1); // only the initial commit: ours never left the clone
    const out = await restartPass(repo);
    expect(out.pushed).toBe(true);
    const r = await remote(name);
    expect(r.log).toHaveLength(2);
    expect(statusTags(r.text)[0]?.items).toHaveLength(1);
  });

  it('after the push: the restart finds nothing to do and makes no commit', async () => {
    const { name, repo } = setup({ 'is.yaml': stream('one') });
    expect((await restartPass(repo)).pushed).toBe(true);
    const before = await remote(name);
    const again = await restartPass(repo);
    expect(again.commit).toBeUndefined();
    expect(await remote(name)).toEqual(before);
  });

  it('while the index is being rewritten: an empty or cut-short .git/index is rebuilt, not a pass that fails for good', async () => {
    for (const damage of ['', 'DIR']) {
      const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
      expect((await restartPass(repo)).pushed).toBe(true);
      await humanCommit(name, (await remote(name)).text.replace(specTag('one'), specTag('one') + specTag('two')), 'add tag two');
      writeFileSync(path.join(dir, '.git', 'index'), damage);
      const out = await restartPass(repo);
      expect(out.pushed).toBe(true);
      expect(statusTags((await remote(name)).text).map((t) => t.tag)).toEqual(['one', 'two']);
      expect(
        readFileSync(path.join(dir, '.git', 'index'))
          .subarray(0, 4)
          .toString('latin1'),
      ).toBe('DIRC');
    }
  });

  it('any other damage the sync trips on, with the remote answering, is repaired by a fresh clone', async () => {
    const { name, repo, dir } = setup({ 'is.yaml': stream('one') });
    expect((await restartPass(repo)).pushed).toBe(true);
    // An index with a whole header but its entries cut short: checkout cannot read it.
    const index = readFileSync(path.join(dir, '.git', 'index'));
    writeFileSync(path.join(dir, '.git', 'index'), index.subarray(0, 20));
    await humanCommit(name, (await remote(name)).text.replace(specTag('one'), specTag('one') + specTag('two')), 'add tag two');
    expect((await repo.prepare()).recloned).toBe(true);
    expect((await restartPass(repo)).pushed).toBe(true);
    expect(statusTags((await remote(name)).text).map((t) => t.tag)).toEqual(['one', 'two']);
  });

  it('a clone of another repository in the working directory is replaced', async () => {
    const a = setup({ 'is.yaml': stream('one') });
    await a.repo.ensureCloned();
    const b = setup({ 'is.yaml': stream('other') });
    rmSync(b.dir, { recursive: true, force: true });
    cpSync(a.dir, b.dir, { recursive: true });
    expect(await b.repo.isCompleteClone()).toBe(false);
    expect((await restartPass(b.repo)).pushed).toBe(true);
    expect(specTags((await remote(b.name)).text)).toEqual(['other']);
  });
});
