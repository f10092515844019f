/**
 * The GitLab and Gitea clients against typed test servers (test/support/forge-gitlab.ts, forge-gitea.ts): finding the open merge (pull)
 * request by its branches, opening one (draft, labels, reviewers, auto-merge), updating and closing it, 409 "already
 * exists", refused credentials and an outage, every request asserted. pr-gitlab-gitea.test.ts drives the publisher
 * above them end to end with the real Git server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/forge/forge.js';
import { GiteaClient } from '../../src/forge/gitea.js';
import { GitLabClient } from '../../src/forge/gitlab.js';
import { startGiteaServer } from '../support/forge-gitea.js';
import { startGitLabServer } from '../support/forge-gitlab.js';
import type { RestServer } from '../support/forge-rest.js';

let server: RestServer | undefined;
afterEach(async () => {
  expect(server?.unexpected ?? []).toEqual([]);
  await server?.stop();
  server = undefined;
});

describe('GitLab merge requests (@gitbeaker/rest)', () => {
  async function gitlab() {
    const gl = await startGitLabServer({ project: 'group/sub/deploy', token: 'glpat-test', users: { alice: 7 } });
    server = gl;
    return { mrs: gl.mrs, client: new GitLabClient({ url: gl.url, project: 'group/sub/deploy', token: 'glpat-test' }) };
  }

  it('finds, opens (draft, labels, reviewers, merge when the pipeline succeeds), updates and closes a merge request', async () => {
    const { mrs, client } = await gitlab();
    expect(await client.findOpen('imagestreams/main', 'main')).toBeUndefined();
    const mr = await client.create({
      head: 'imagestreams/main',
      base: 'main',
      title: 'imagestreams: 1 tag updated',
      body: 'the body',
      draft: true,
    });
    expect(mr).toMatchObject({ number: 1, title: 'imagestreams: 1 tag updated', draft: true, body: 'the body' });
    await client.addLabels(mr, ['dependencies', 'images']);
    await client.requestReviewers(mr, ['alice']);
    await client.enableAutoMerge(mr, 'squash');
    const found = await client.findOpen('imagestreams/main', 'main');
    expect(found).toMatchObject({ number: 1, title: 'imagestreams: 1 tag updated', draft: true });
    await client.update(mr, { title: 'imagestreams: 2 tags updated', body: 'new body' });
    expect(mrs.get(1)).toMatchObject({
      title: 'Draft: imagestreams: 2 tags updated',
      description: 'new body',
      labels: ['dependencies', 'images'],
      merge_when_pipeline_succeeds: true,
    });
    expect(mrs.get(1)?.reviewers).toEqual([{ id: 7, username: 'alice' }]);
    await client.close(mr);
    expect(mrs.get(1)?.state).toBe('closed');
    expect(server?.calls()).toEqual([
      'GET /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests?state=opened&source_branch=imagestreams%2Fmain&target_branch=main',
      'POST /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
      'GET /api/v4/users?username=alice',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1/merge',
      'GET /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests?state=opened&source_branch=imagestreams%2Fmain&target_branch=main',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
    ]);
  });

  it('409 is "exists", a refused token "auth", an outage "unavailable"', async () => {
    const { client } = await gitlab();
    await client.create({ head: 'imagestreams/main', base: 'main', title: 't', body: 'b', draft: false });
    await expect(client.create({ head: 'imagestreams/main', base: 'main', title: 't', body: 'b', draft: false })).rejects.toMatchObject({
      code: 'exists',
      status: 409,
    });
    const wrong = new GitLabClient({ url: server?.url as string, project: 'group/sub/deploy', token: 'glpat-wrong' });
    const refused = await wrong.findOpen('x', 'main').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForgeError);
    expect(refused).toMatchObject({ code: 'auth' });
    expect(String((refused as Error).message)).not.toContain('glpat-');
    (server as RestServer).down = true;
    await expect(client.findOpen('x', 'main')).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('Gitea and Forgejo pull requests (REST v1)', () => {
  async function gitea() {
    const gt = await startGiteaServer({ owner: 'ops', repo: 'deploy', token: 'gitea-test-token' });
    server = gt;
    return { pulls: gt.pulls, client: new GiteaClient({ url: gt.url, repository: 'ops/deploy', token: 'gitea-test-token' }) };
  }

  it('finds, opens (WIP draft, labels by name, reviewers, merge when checks succeed), updates and closes a pull request', async () => {
    const { pulls, client } = await gitea();
    expect(await client.findOpen('imagestreams/main', 'main')).toBeUndefined();
    const pr = await client.create({
      head: 'imagestreams/main',
      base: 'main',
      title: 'imagestreams: 1 tag updated',
      body: 'b',
      draft: true,
    });
    expect(pr).toMatchObject({ number: 1, title: 'imagestreams: 1 tag updated', draft: true });
    await client.addLabels(pr, ['dependencies']);
    await client.requestReviewers(pr, ['alice']);
    await client.enableAutoMerge(pr, 'rebase');
    expect(await client.findOpen('imagestreams/main', 'main')).toMatchObject({
      number: 1,
      title: 'imagestreams: 1 tag updated',
      labels: ['dependencies'],
    });
    await client.update(pr, { title: 'imagestreams: 2 tags updated', body: 'b2' });
    expect(pulls.get(1)).toMatchObject({
      title: 'WIP: imagestreams: 2 tags updated',
      body: 'b2',
      requested_reviewers: [{ login: 'alice' }],
    });
    await client.close(pr);
    expect(pulls.get(1)?.state).toBe('closed');
    expect(server?.requests.find((r) => r.path.endsWith('/merge'))?.body).toEqual({ Do: 'rebase', merge_when_checks_succeed: true });
    expect(server?.calls()).toEqual([
      'GET /api/v1/repos/ops/deploy/pulls?state=open&limit=50&page=1',
      'POST /api/v1/repos/ops/deploy/pulls',
      'POST /api/v1/repos/ops/deploy/issues/1/labels',
      'POST /api/v1/repos/ops/deploy/pulls/1/requested_reviewers',
      'POST /api/v1/repos/ops/deploy/pulls/1/merge',
      'GET /api/v1/repos/ops/deploy/pulls?state=open&limit=50&page=1',
      'PATCH /api/v1/repos/ops/deploy/pulls/1',
      'PATCH /api/v1/repos/ops/deploy/pulls/1',
    ]);
  });

  it('409 is "exists", a refused token "auth", an outage "unavailable"', async () => {
    const { client } = await gitea();
    await client.create({ head: 'h', base: 'main', title: 't', body: 'b', draft: false });
    await expect(client.create({ head: 'h', base: 'main', title: 't', body: 'b', draft: false })).rejects.toMatchObject({
      code: 'exists',
      status: 409,
    });
    const wrong = new GiteaClient({ url: server?.url as string, repository: 'ops/deploy', token: 'nope' });
    await expect(wrong.findOpen('h', 'main')).rejects.toMatchObject({ code: 'auth' });
    (server as RestServer).down = true;
    await expect(client.findOpen('h', 'main')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
