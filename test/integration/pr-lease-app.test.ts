/**
 * Pull-request mode, the parts a CLI run cannot stage: a person's push landing between the tool's look at its branch
 * and its push (the lease refuses it, the pass is planned again and leaves the branch alone), and a GitHub App's
 * installation token, minted from the app's key, reused, and refreshed before it expires (an injected clock).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitPass } from '../../src/cli/commit-pass.js';
import { PullRequestPublisher } from '../../src/cli/publish-pr.js';
import type { PublishReport } from '../../src/cli/publish.js';
import { GitHubClient } from '../../src/forge/github.js';
import type { GitHttpClient } from '../../src/gitsource/http.js';
import { gitHttpClient } from '../../src/gitsource/http.js';
import { moveRemoteBranch } from '../../src/gitsource/own-branch.js';
import { GitError, GitRepo } from '../../src/gitsource/repo.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';
import { startGitHubServer } from '../support/forge-github.js';
import type { GitServer } from '../support/git-server.js';
import { createBareRepo, gitAsync, startGitServer } from '../support/git-server.js';

let git: GitServer;
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-pr-lease-'));
beforeAll(async () => {
  git = await startGitServer();
});
afterAll(async () => {
  await git.stop();
  rmSync(work, { recursive: true, force: true });
});

const stream = (tags: readonly string[]) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: a
  namespace: ops
spec:
  tags:
${tags.map((t) => `  - name: "${t}"\n    reference: true\n    from:\n      kind: DockerImage\n      name: registry.example.com/ops/a:${t}\n`).join('')}`;

const author = { name: 'bot', email: 'bot@example.com' };
const passOptions = (dir: string) => () => ({
  repoDir: dir,
  displayBase: dir,
  walk: defaultWalkOptions,
  limits: defaultLoadLimits,
  settings: defaultReconcileSettings,
  now: '2024-05-01T12:00:00Z',
  offline: true,
  forceImport: false,
});
const settings = { branchTemplate: 'imagestreams/{branch}', labels: [], reviewers: [], draft: false, autoMerge: undefined };
const ls = async (name: string, ref: string) =>
  (await gitAsync(['ls-remote', `${git.url}/${name}.git`, `refs/heads/${ref}`])).split(/\s/)[0] || undefined;

async function personPushes(name: string, branch: string, file: string, text: string): Promise<void> {
  const dir = mkdtempSync(path.join(work, 'person-'));
  await gitAsync(['clone', '-q', '-b', branch, `${git.url}/${name}.git`, dir]);
  writeFileSync(path.join(dir, file), text);
  await gitAsync(['add', file], dir);
  await gitAsync(['commit', '-qm', `person edits ${file}`], dir);
  await gitAsync(['push', '-q', 'origin', branch], dir);
}

describe('the lease on the tool branch', () => {
  it('a person pushing between our look and our push is not overwritten: the lease refuses, the pass is planned again and leaves the branch to them', async () => {
    createBareRepo(git.projectRoot, 'lease-race', { files: { 'a.yaml': stream(['1']) } });
    const gh = await startGitHubServer({ owner: 'ops', repo: 'deploy', tokens: ['t0ken'] });
    try {
      const forge = new GitHubClient({ apiUrl: gh.url, repository: 'ops/deploy', auth: { token: 't0ken' } });
      const reports: string[] = [];
      const publisher = new PullRequestPublisher({
        forge,
        settings,
        resetAfter: true,
        onReport: (r) =>
          reports.push(r.outcome === 'failed' ? `failed: ${(r as { error: Error }).error.message}` : (r as PublishReport).outcome),
      });
      const base = gitHttpClient();
      const mk = (dir: string, http: GitHttpClient) =>
        new GitRepo({ dir, url: `${git.url}/lease-race.git`, branch: 'main', author, http, maintainIndex: false });
      // First pass: the pull request and the tool's branch.
      const dir = path.join(work, 'clone-race');
      const first = await commitPass(mk(dir, base), passOptions(dir), { push: true, localTree: false, publisher });
      expect(first.publication?.outcome).toBe('opened');
      await personPushes('lease-race', 'main', 'a.yaml', stream(['1', '2'])); // the tool will want to rebuild its branch
      // The person pushes to the tool's branch right after the tool looked at it (at its push's ref advertisement).
      let raced = false;
      const racing: GitHttpClient = {
        request: async (req) => {
          if (!raced && req.url.endsWith('/info/refs?service=git-receive-pack')) {
            raced = true;
            await personPushes('lease-race', 'imagestreams/main', 'notes.txt', 'mine\n');
          }
          return base.request(req);
        },
      };
      const ours = await ls('lease-race', 'imagestreams/main');
      const out = await commitPass(mk(dir, racing), passOptions(dir), {
        push: true,
        localTree: false,
        publisher,
        sleep: async () => undefined,
        onRetry: (_n, why) => reports.push(`retry: ${why}`),
      });
      const theirs = await ls('lease-race', 'imagestreams/main');
      expect(theirs).not.toBe(ours);
      expect(reports).toEqual([
        'opened',
        expect.stringMatching(/^failed: push imagestreams\/main: the branch moved \(it is at [0-9a-f]{12}, not at [0-9a-f]{12} as seen\)$/),
        expect.stringMatching(/^retry: push imagestreams\/main: the branch moved/),
        'hands-off',
      ]);
      expect(out.publication?.outcome).toBe('hands-off');
      expect(out.retries).toBe(1);
      // The person's commit is the tip, and the pull request says the tool let go.
      expect(
        await gitAsync(['--git-dir', path.join(git.projectRoot, 'lease-race.git'), 'log', '-1', '--format=%s', theirs as string]),
      ).toBe('person edits notes.txt');
      expect(gh.pulls.get(1)?.body).toMatch(/imagestreams no longer updates this branch/);
      expect(gh.unexpected).toEqual([]);
    } finally {
      await gh.stop();
    }
  });

  it('a lease naming a commit the branch is no longer at is refused by moveRemoteBranch, and nothing moves', async () => {
    createBareRepo(git.projectRoot, 'lease-stale', { files: { 'a.yaml': stream(['1']) } });
    await personPushes('lease-stale', 'main', 'b.txt', 'x\n');
    const dir = mkdtempSync(path.join(work, 'stale-'));
    await gitAsync(['clone', '-q', `${git.url}/lease-stale.git`, dir]);
    await gitAsync(['push', '-q', 'origin', 'main:imagestreams/main'], dir);
    const tip = await ls('lease-stale', 'imagestreams/main');
    const repo = new GitRepo({ dir, url: `${git.url}/lease-stale.git`, branch: 'main', author });
    await repo.commitFiles([{ path: 'c.txt', content: 'y\n' }], 'ours');
    const stale = '1111111111111111111111111111111111111111';
    await expect(moveRemoteBranch(repo.link, 'imagestreams/main', stale, 'made')).rejects.toMatchObject({ code: 'push-rejected' });
    await expect(moveRemoteBranch(repo.link, 'imagestreams/main', undefined, 'delete')).rejects.toBeInstanceOf(GitError);
    expect(await ls('lease-stale', 'imagestreams/main')).toBe(tip);
    // With the right lease it moves.
    await moveRemoteBranch(repo.link, 'imagestreams/main', tip, 'made');
    expect(await ls('lease-stale', 'imagestreams/main')).toBe(repo.link.made?.commit);
  });
});

describe('GitHub App installation tokens', () => {
  it('mints a token from the app key, reuses it, and mints a new one before the old one expires', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let now = Date.parse('2024-05-01T12:00:00Z');
    const gh = await startGitHubServer({
      owner: 'ops',
      repo: 'deploy',
      app: { id: '12345', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId: 777, now: () => now },
    });
    try {
      const client = new GitHubClient({
        apiUrl: gh.url,
        repository: 'ops/deploy',
        auth: { app: { appId: '12345', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() } },
        now: () => now,
      });
      expect(await client.findOpen('imagestreams/main', 'main')).toBeUndefined();
      now += 30 * 60_000; // half an hour: still valid for 30 minutes
      expect(await client.findOpen('imagestreams/main', 'main')).toBeUndefined();
      now += 26 * 60_000; // 4 minutes left: inside the 5-minute margin
      expect(await client.findOpen('imagestreams/main', 'main')).toBeUndefined();
      expect(gh.calls().map((c) => c.replace(/\?.*/, ''))).toEqual([
        'GET /repos/ops/deploy/installation',
        'POST /app/installations/777/access_tokens',
        'GET /repos/ops/deploy/pulls',
        'GET /repos/ops/deploy/pulls',
        'POST /app/installations/777/access_tokens',
        'GET /repos/ops/deploy/pulls',
      ]);
      const pulls = gh.requests.filter((r) => r.path.endsWith('/pulls')).map((r) => r.authorization);
      expect(pulls).toEqual([`token ${gh.mintedTokens[0]}`, `token ${gh.mintedTokens[0]}`, `token ${gh.mintedTokens[1]}`]);
      expect(client.appTokens?.minted).toBe(2);
      expect(gh.unexpected).toEqual([]);
    } finally {
      await gh.stop();
    }
  });

  it('a key GitHub does not accept is a refused publish (forge-auth), not a crash', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const gh = await startGitHubServer({
      owner: 'ops',
      repo: 'deploy',
      app: { id: '1', publicKeyPem: other.export({ type: 'spki', format: 'pem' }).toString(), installationId: 5, now: Date.now },
    });
    try {
      const client = new GitHubClient({
        apiUrl: gh.url,
        repository: 'ops/deploy',
        auth: { app: { appId: '1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installationId: 5 } },
      });
      await expect(client.findOpen('x', 'main')).rejects.toMatchObject({ name: 'ForgeError', code: 'auth' });
      expect(gh.calls()).toEqual(['POST /app/installations/5/access_tokens']);
    } finally {
      await gh.stop();
    }
  });
});
