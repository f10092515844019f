/**
 * Pull-request mode on GitHub: `reconcile --commit --push --pull-request` from fresh CI checkouts of the base, the Git
 * side a real `git http-backend`, the API side the typed test server (test/support/forge-github.ts), every API request
 * asserted. Each test has its own repository; one pass = one fresh checkout, as CI runs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { GitHubServer } from '../support/forge-github.js';
import { startGitHubServer } from '../support/forge-github.js';
import type { GitServer } from '../support/git-server.js';
import { createBareRepo, gitAsync, startGitServer } from '../support/git-server.js';

// A Git server of this file's own, so that its request log shows every push.
let git: GitServer;
let gitUrl = '';
let projectRoot = '';
beforeAll(async () => {
  git = await startGitServer();
  gitUrl = git.url;
  projectRoot = git.projectRoot;
});
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-pr-github-'));
afterAll(async () => {
  await git.stop();
  rmSync(work, { recursive: true, force: true });
});

const token = 'ghp_testtoken0123456789abcdefghij';
const stream = (name: string, tags: readonly string[]) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: ops
spec:
  tags:
${tags.map((t) => `  - name: "${t}"\n    reference: true\n    from:\n      kind: DockerImage\n      name: registry.example.com/ops/${name}:${t}\n`).join('')}`;

let gh: GitHubServer;
beforeEach(async () => {
  gh = await startGitHubServer({ owner: 'ops', repo: 'deploy', tokens: [token] });
});
afterEach(async () => {
  expect(gh.unexpected).toEqual([]);
  await gh.stop();
});

const env = () => ({ HOME: work, PATH: process.env.PATH ?? '', IMAGESTREAMS_FORGE_TOKEN: token });
const flags = (extra: string[] = []) => [
  'reconcile',
  '--offline',
  '--commit',
  '--push',
  '--pull-request',
  '--forge',
  'github',
  '--forge-url',
  gh.url,
  '--forge-repo',
  'ops/deploy',
  '--now',
  '2024-05-01T12:00:00Z',
  '--author',
  'ci-bot <ci@example.com>',
  ...extra,
];

async function clone(name: string, branch = 'main'): Promise<string> {
  const dir = mkdtempSync(path.join(work, `${name}-`));
  await gitAsync(['clone', '-q', '-b', branch, `${gitUrl}/${name}.git`, dir]);
  return dir;
}

/** One CI pass: a fresh checkout of main, reconcile in PR mode. */
async function pass(name: string, extra: string[] = []) {
  const dir = await clone(name);
  const before = gh.requests.length;
  const r = await runCli(flags(extra), { cwd: dir, env: env() });
  return { ...r, api: gh.calls().slice(before) };
}

const remoteRef = async (name: string, ref: string): Promise<string | undefined> => {
  const out = await gitAsync(['ls-remote', `${gitUrl}/${name}.git`, `refs/heads/${ref}`]);
  return out === '' ? undefined : out.split(/\s/)[0];
};

async function personPushes(name: string, branch: string, file: string, text: string, message = `person edits ${file}`): Promise<void> {
  const dir = await clone(name, branch);
  writeFileSync(path.join(dir, file), text);
  await gitAsync(['add', file], dir);
  await gitAsync(['commit', '-qm', message], dir);
  await gitAsync(['push', '-q', 'origin', branch], dir);
}

const list = (head = 'imagestreams/main') =>
  `GET /repos/ops/deploy/pulls?${new URLSearchParams({ state: 'open', head: `ops:${head}`, base: 'main', per_page: '10' })}`;

describe('pull requests on GitHub', () => {
  it('opens the first pull request from the tool branch; the base is not touched', async () => {
    const bare = createBareRepo(projectRoot, 'pr-first', { files: { 'a.yaml': stream('a', ['1']) } });
    const main = await remoteRef('pr-first', 'main');
    const r = await pass('pr-first');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /pull request opened http:\/\/127\.0\.0\.1:\d+\/ops\/deploy\/pull\/1 \(branch imagestreams\/main rebuilt from main\)/,
    );
    expect(r.api).toEqual([list(), 'POST /repos/ops/deploy/pulls']);
    const create = gh.requests.find((q) => q.method === 'POST')?.body as Record<string, unknown>;
    expect(create).toMatchObject({ head: 'imagestreams/main', base: 'main', draft: false });
    expect(create.title).toMatch(/^imagestreams: /);
    expect(create.body).toContain('| ops/a | `1` |');
    expect(create.body).toContain('Branch `imagestreams/main` belongs to imagestreams');
    expect(await remoteRef('pr-first', 'main')).toBe(main);
    const tip = await remoteRef('pr-first', 'imagestreams/main');
    const log = await gitAsync(['--git-dir', bare, 'log', '--format=%P|%cn|%B', '-1', tip as string]);
    expect(log).toContain(`${main}|ci-bot|imagestreams:`);
    expect(log).toMatch(/Imagestreams-Change-Set: sha256:[0-9a-f]{64}/);
    // No credential anywhere it could leak.
    for (const text of [r.stdout, r.stderr, log, String(create.body)]) expect(text).not.toContain(token);
    expect(gh.requests.every((q) => q.authorization === `token ${token}`)).toBe(true);
  });

  it('a second pass with nothing new pushes nothing and edits nothing', async () => {
    createBareRepo(projectRoot, 'pr-idle', { files: { 'a.yaml': stream('a', ['1']) } });
    await pass('pr-idle');
    const tip = await remoteRef('pr-idle', 'imagestreams/main');
    const pushesBefore = gitPushes();
    const r = await pass('pr-idle');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/pull request unchanged: .*\(nothing new to push\)/);
    expect(r.api).toEqual([list()]);
    expect(await remoteRef('pr-idle', 'imagestreams/main')).toBe(tip);
    expect(gitPushes()).toBe(pushesBefore);
  });

  it('a new image on the base updates the same pull request, rebuilt from the new base head', async () => {
    createBareRepo(projectRoot, 'pr-update', { files: { 'a.yaml': stream('a', ['1']) } });
    await pass('pr-update');
    await personPushes('pr-update', 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    const main = await remoteRef('pr-update', 'main');
    const r = await pass('pr-update');
    expect(r.code).toBe(0);
    expect(r.api).toEqual([list(), 'PATCH /repos/ops/deploy/pulls/1']);
    expect(gh.pulls.size).toBe(1);
    expect(gh.pulls.get(1)?.body).toContain('| ops/a | `2` |');
    const tip = await remoteRef('pr-update', 'imagestreams/main');
    expect((await gitAsync(['--git-dir', path.join(projectRoot, 'pr-update.git'), 'log', '--format=%P', '-1', tip as string])).trim()).toBe(
      main,
    );
  });

  it('closes the pull request and deletes the branch once the base holds everything', async () => {
    createBareRepo(projectRoot, 'pr-merged', { files: { 'a.yaml': stream('a', ['1']) } });
    await pass('pr-merged');
    const dir = await clone('pr-merged', 'imagestreams/main');
    await gitAsync(['push', '-q', 'origin', 'imagestreams/main:main'], dir); // a fast-forward merge
    const r = await pass('pr-merged');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/main already holds everything: closed .*\/pull\/1 and deleted imagestreams\/main/);
    expect(r.api).toEqual([list(), 'PATCH /repos/ops/deploy/pulls/1']);
    expect(gh.pulls.get(1)?.state).toBe('closed');
    expect(await remoteRef('pr-merged', 'imagestreams/main')).toBeUndefined();
    // Nothing left to do: one look, nothing else.
    const again = await pass('pr-merged');
    expect(again.api).toEqual([list()]);
  });

  it('stops touching the branch once a person pushed to it, and says so in the pull request once', async () => {
    createBareRepo(projectRoot, 'pr-person', { files: { 'a.yaml': stream('a', ['1']) } });
    await pass('pr-person');
    await personPushes('pr-person', 'imagestreams/main', 'notes.txt', 'mine\n');
    const theirs = await remoteRef('pr-person', 'imagestreams/main');
    await personPushes('pr-person', 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    const r = await pass('pr-person');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/left imagestreams\/main alone: a person pushed to it/);
    expect(r.api).toEqual([list(), 'PATCH /repos/ops/deploy/pulls/1']);
    expect(gh.pulls.get(1)?.body).toMatch(/^<!-- imagestreams: hands-off -->\n> \*\*imagestreams no longer updates this branch\*\*/);
    expect(await remoteRef('pr-person', 'imagestreams/main')).toBe(theirs);
    const again = await pass('pr-person');
    expect(again.api).toEqual([list()]);
    expect(await remoteRef('pr-person', 'imagestreams/main')).toBe(theirs);
  });

  it('takes the pull request GitHub says already exists (422) and updates it', async () => {
    createBareRepo(projectRoot, 'pr-exists', { files: { 'a.yaml': stream('a', ['1']) } });
    await pass('pr-exists');
    await personPushes('pr-exists', 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    // Another run's pull request that the list did not show yet (the list answers late).
    gh.failNext('GET', /\/pulls$/, { status: 200, body: [] });
    const r = await pass('pr-exists');
    expect(r.code).toBe(0);
    expect(r.api).toEqual([list(), 'POST /repos/ops/deploy/pulls', list(), 'PATCH /repos/ops/deploy/pulls/1']);
    expect(gh.pulls.size).toBe(1);
    expect(gh.pulls.get(1)?.body).toContain('| ops/a | `2` |');
  });

  it('a forge outage: the pass still reports (exit 5), the branch is kept, the next pass opens the pull request without pushing', async () => {
    createBareRepo(projectRoot, 'pr-outage', { files: { 'a.yaml': stream('a', ['1']) } });
    gh.down = true;
    const r = await pass('pr-outage');
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/1 file changed/);
    expect(r.stderr).toMatch(/not published after 1 attempt: find the pull request from imagestreams\/main: GitHub answered HTTP 503/);
    const tip = await remoteRef('pr-outage', 'imagestreams/main');
    expect(tip).toBeDefined();
    gh.down = false;
    const pushes = gitPushes();
    const next = await pass('pr-outage');
    expect(next.code).toBe(0);
    expect(next.api).toEqual([list(), 'POST /repos/ops/deploy/pulls']);
    expect(await remoteRef('pr-outage', 'imagestreams/main')).toBe(tip);
    expect(gitPushes()).toBe(pushes);
  });

  it('labels, reviewers, draft and auto-merge are applied when the pull request is opened', async () => {
    createBareRepo(projectRoot, 'pr-settings', { files: { 'a.yaml': stream('a', ['1']) } });
    const r = await pass('pr-settings', [
      '--pr-label',
      'dependencies',
      '--pr-label',
      'images',
      '--pr-reviewer',
      'alice',
      '--pr-reviewer',
      'ops/platform',
      '--pr-draft',
      '--pr-auto-merge',
      'squash',
    ]);
    expect(r.stderr).not.toMatch(/not published/);
    expect(r.code).toBe(0);
    expect(r.api).toEqual([
      list(),
      'POST /repos/ops/deploy/pulls',
      'POST /repos/ops/deploy/issues/1/labels',
      'POST /repos/ops/deploy/pulls/1/requested_reviewers',
      'POST /graphql',
    ]);
    const pr = gh.pulls.get(1);
    expect(pr?.draft).toBe(true);
    expect(pr?.labels.map((l) => l.name)).toEqual(['dependencies', 'images']);
    expect(pr?.requested_reviewers).toEqual(['alice']);
    expect(pr?.requested_teams).toEqual(['platform']);
    expect(pr?.auto_merge).toBe('SQUASH');
  });

  it('the forge refusing the token is a failed publish with its code; nothing about the token is printed', async () => {
    createBareRepo(projectRoot, 'pr-auth', { files: { 'a.yaml': stream('a', ['1']) } });
    const dir = await clone('pr-auth');
    const r = await runCli(flags(), { cwd: dir, env: { ...env(), IMAGESTREAMS_FORGE_TOKEN: 'ghp_wrongtoken0123456789abcdef' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/GitHub answered HTTP 401: Bad credentials/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/ghp_/);
  });
});

/** Pushes the Git server has taken so far (receive-pack POSTs), across all repositories. */
function gitPushes(): number {
  return git.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/git-receive-pack')).length;
}
