/**
 * Pull-request mode on GitLab (merge requests) and Gitea: `reconcile --commit --push --pull-request` from fresh CI
 * checkouts of the base, the Git side a real `git http-backend` (one for the file), the API side the typed test
 * servers (test/support/forge-gitlab.ts, forge-gitea.ts), every API request asserted and none unexpected. The same
 * scenarios as pr-github.test.ts: first opened, a quiet pass, an update, the base catching up closes it, a person's
 * push stops the tool, 409 "already exists", an outage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startGiteaServer } from '../support/forge-gitea.js';
import { startGitLabServer } from '../support/forge-gitlab.js';
import type { RestServer } from '../support/forge-rest.js';
import type { GitServer } from '../support/git-server.js';
import { createBareRepo, gitAsync, startGitServer } from '../support/git-server.js';

let git: GitServer;
beforeAll(async () => {
  git = await startGitServer();
});
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-pr-gitlab-gitea-'));
afterAll(async () => {
  await git.stop();
  rmSync(work, { recursive: true, force: true });
});

const stream = (name: string, tags: readonly string[]) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: ops
spec:
  tags:
${tags.map((t) => `  - name: "${t}"\n    reference: true\n    from:\n      kind: DockerImage\n      name: registry.example.com/ops/${name}:${t}\n`).join('')}`;

/** What a forge's test server holds of one pull (merge) request, and how its requests read. */
interface PullView {
  readonly body: string;
  readonly state: 'open' | 'closed';
}
interface ForgeCase {
  readonly name: 'gitlab' | 'gitea';
  readonly token: string;
  readonly repository: string;
  start(): Promise<RestServer & { pull(n: number): PullView | undefined; count(): number }>;
  readonly list: string;
  readonly create: string;
  /** An update and a close are the same request line (GitLab PUT, Gitea PATCH). */
  readonly edit: (n: number) => string;
  readonly url: (server: string, n: number) => string;
}

const forges: readonly ForgeCase[] = [
  {
    name: 'gitlab',
    token: 'glpat-testtoken0123456789',
    repository: 'group/sub/deploy',
    start: async () => {
      const s = await startGitLabServer({ project: 'group/sub/deploy', token: 'glpat-testtoken0123456789' });
      return Object.assign(s, {
        pull: (n: number) => {
          const m = s.mrs.get(n);
          return m && { body: m.description ?? '', state: m.state === 'opened' ? ('open' as const) : ('closed' as const) };
        },
        count: () => s.mrs.size,
      });
    },
    list: 'GET /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests?state=opened&source_branch=imagestreams%2Fmain&target_branch=main',
    create: 'POST /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
    edit: (n) => `PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/${n}`,
    url: (server, n) => `${server}/group/sub/deploy/-/merge_requests/${n}`,
  },
  {
    name: 'gitea',
    token: 'gitea-testtoken0123456789',
    repository: 'ops/deploy',
    start: async () => {
      const s = await startGiteaServer({ owner: 'ops', repo: 'deploy', token: 'gitea-testtoken0123456789' });
      return Object.assign(s, {
        pull: (n: number) => {
          const p = s.pulls.get(n);
          return p && { body: p.body, state: p.state };
        },
        count: () => s.pulls.size,
      });
    },
    list: 'GET /api/v1/repos/ops/deploy/pulls?state=open&limit=50&page=1',
    create: 'POST /api/v1/repos/ops/deploy/pulls',
    edit: (n) => `PATCH /api/v1/repos/ops/deploy/pulls/${n}`,
    url: (server, n) => `${server}/ops/deploy/pulls/${n}`,
  },
];

async function clone(name: string, branch = 'main'): Promise<string> {
  const dir = mkdtempSync(path.join(work, `${name}-`));
  await gitAsync(['clone', '-q', '-b', branch, `${git.url}/${name}.git`, dir]);
  return dir;
}

const remoteRef = async (name: string, ref: string): Promise<string | undefined> => {
  const out = await gitAsync(['ls-remote', `${git.url}/${name}.git`, `refs/heads/${ref}`]);
  return out === '' ? undefined : out.split(/\s/)[0];
};

async function personPushes(name: string, branch: string, file: string, text: string, message = `person edits ${file}`): Promise<void> {
  const dir = await clone(name, branch);
  writeFileSync(path.join(dir, file), text);
  await gitAsync(['add', file], dir);
  await gitAsync(['commit', '-qm', message], dir);
  await gitAsync(['push', '-q', 'origin', branch], dir);
}

/** Pushes the Git server has taken so far (receive-pack POSTs). */
const gitPushes = (): number => git.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/git-receive-pack')).length;

describe.each(forges)('pull requests on $name', (f) => {
  let forge: Awaited<ReturnType<ForgeCase['start']>>;
  beforeEach(async () => {
    forge = await f.start();
  });
  afterEach(async () => {
    expect(forge.unexpected).toEqual([]);
    await forge.stop();
  });

  /** One CI pass: a fresh checkout of main, reconcile in PR mode; the API requests it made. */
  async function pass(name: string) {
    const dir = await clone(name);
    const before = forge.requests.length;
    const r = await runCli(
      [
        'reconcile',
        '--offline',
        '--commit',
        '--push',
        '--pull-request',
        '--forge',
        f.name,
        '--forge-url',
        forge.url,
        '--forge-repo',
        f.repository,
        '--now',
        '2024-05-01T12:00:00Z',
        '--author',
        'ci-bot <ci@example.com>',
      ],
      { cwd: dir, env: { HOME: work, PATH: process.env.PATH ?? '', IMAGESTREAMS_FORGE_TOKEN: f.token } },
    );
    for (const text of [r.stdout, r.stderr]) expect(text).not.toContain(f.token);
    return { ...r, api: forge.calls().slice(before) };
  }
  const repo = (what: string): string => `${f.name}-${what}`;

  it('opens the first one from the tool branch; the base is not touched', async () => {
    const name = repo('first');
    const bare = createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    const main = await remoteRef(name, 'main');
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`pull request opened ${f.url(forge.url, 1)} (branch imagestreams/main rebuilt from main)`);
    expect(r.api).toEqual([f.list, f.create]);
    const create = forge.requests.find((q) => q.method === 'POST')?.body as Record<string, unknown>;
    expect(create).toMatchObject(
      f.name === 'gitlab' ? { source_branch: 'imagestreams/main', target_branch: 'main' } : { head: 'imagestreams/main', base: 'main' },
    );
    expect(create.title).toMatch(/^imagestreams: /);
    expect(forge.pull(1)?.body).toContain('| ops/a | `1` |');
    expect(await remoteRef(name, 'main')).toBe(main);
    const tip = await remoteRef(name, 'imagestreams/main');
    const log = await gitAsync(['--git-dir', bare, 'log', '--format=%P|%cn|%B', '-1', tip as string]);
    expect(log).toContain(`${main}|ci-bot|imagestreams:`);
    expect(log).toMatch(/Imagestreams-Change-Set: sha256:[0-9a-f]{64}/);
    expect(
      forge.requests.every((q) => (f.name === 'gitlab' ? q.headers['private-token'] : q.headers.authorization)?.includes(f.token)),
    ).toBe(true);
  });

  it('a second pass with nothing new pushes nothing and edits nothing', async () => {
    const name = repo('idle');
    createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    await pass(name);
    const tip = await remoteRef(name, 'imagestreams/main');
    const pushes = gitPushes();
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/pull request unchanged: .*\(nothing new to push\)/);
    expect(r.api).toEqual([f.list]);
    expect(await remoteRef(name, 'imagestreams/main')).toBe(tip);
    expect(gitPushes()).toBe(pushes);
  });

  it('a new image on the base updates the same one, rebuilt from the new base head', async () => {
    const name = repo('update');
    const bare = createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    await pass(name);
    await personPushes(name, 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    const main = await remoteRef(name, 'main');
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.api).toEqual([f.list, f.edit(1)]);
    expect(forge.count()).toBe(1);
    expect(forge.pull(1)?.body).toContain('| ops/a | `2` |');
    const tip = await remoteRef(name, 'imagestreams/main');
    expect((await gitAsync(['--git-dir', bare, 'log', '--format=%P', '-1', tip as string])).trim()).toBe(main);
  });

  it('closes it and deletes the branch once the base holds everything', async () => {
    const name = repo('merged');
    createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    await pass(name);
    const dir = await clone(name, 'imagestreams/main');
    await gitAsync(['push', '-q', 'origin', 'imagestreams/main:main'], dir); // a fast-forward merge
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`main already holds everything: closed ${f.url(forge.url, 1)} and deleted imagestreams/main`);
    expect(r.api).toEqual([f.list, f.edit(1)]);
    expect(forge.requests.at(-1)?.body).toEqual(f.name === 'gitlab' ? { state_event: 'close' } : { state: 'closed' });
    expect(forge.pull(1)?.state).toBe('closed');
    expect(await remoteRef(name, 'imagestreams/main')).toBeUndefined();
    expect((await pass(name)).api).toEqual([f.list]);
  });

  it('stops touching the branch once a person pushed to it, and says so once', async () => {
    const name = repo('person');
    createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    await pass(name);
    await personPushes(name, 'imagestreams/main', 'notes.txt', 'mine\n');
    const theirs = await remoteRef(name, 'imagestreams/main');
    await personPushes(name, 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/left imagestreams\/main alone: a person pushed to it/);
    expect(r.api).toEqual([f.list, f.edit(1)]);
    expect(forge.pull(1)?.body).toMatch(/^<!-- imagestreams: hands-off -->\n> \*\*imagestreams no longer updates this branch\*\*/);
    expect(await remoteRef(name, 'imagestreams/main')).toBe(theirs);
    expect((await pass(name)).api).toEqual([f.list]);
    expect(await remoteRef(name, 'imagestreams/main')).toBe(theirs);
  });

  it('takes the one the forge says already exists (409) and updates it', async () => {
    const name = repo('exists');
    createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    await pass(name);
    await personPushes(name, 'main', 'a.yaml', stream('a', ['1', '2']), 'add tag 2');
    // Another run's pull request that the list did not show yet.
    forge.failNext('GET', /\/(pulls|merge_requests)$/, { status: 200, body: [] });
    const r = await pass(name);
    expect(r.code).toBe(0);
    expect(r.api).toEqual([f.list, f.create, f.list, f.edit(1)]);
    expect(forge.count()).toBe(1);
    expect(forge.pull(1)?.body).toContain('| ops/a | `2` |');
  });

  it('an outage: the pass still reports (exit 5), the branch is kept, the next pass opens it without pushing', async () => {
    const name = repo('outage');
    createBareRepo(git.projectRoot, name, { files: { 'a.yaml': stream('a', ['1']) } });
    forge.down = true;
    const r = await pass(name);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/1 file changed/);
    expect(r.stderr).toMatch(
      new RegExp(
        `not published after 1 attempt: find the (merge|pull) request from imagestreams/main: ${f.name === 'gitlab' ? 'GitLab' : 'Gitea'} answered HTTP 503`,
      ),
    );
    expect(r.api).toEqual([f.list]);
    const tip = await remoteRef(name, 'imagestreams/main');
    expect(tip).toBeDefined();
    forge.down = false;
    const pushes = gitPushes();
    const next = await pass(name);
    expect(next.code).toBe(0);
    expect(next.api).toEqual([f.list, f.create]);
    expect(await remoteRef(name, 'imagestreams/main')).toBe(tip);
    expect(gitPushes()).toBe(pushes);
  });
});
