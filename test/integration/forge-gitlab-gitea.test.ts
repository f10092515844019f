/**
 * The GitLab and Gitea clients against typed test servers (test/support/forge-rest.ts): finding the open merge (pull)
 * request by its branches, opening one (draft, labels, reviewers, auto-merge), updating and closing it, 409 "already
 * exists", refused credentials and an outage, every request asserted. The publisher logic above them is the one the
 * GitHub tests drive end to end with the real Git server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/forge/forge.js';
import { GiteaClient } from '../../src/forge/gitea.js';
import { GitLabClient } from '../../src/forge/gitlab.js';
import type {
  GiteaCreatePullRequestOption,
  GiteaEditPullRequestOption,
  GiteaIssueLabelsOption,
  GiteaMergePullRequestOption,
  GiteaPullRequest,
  GiteaPullReviewRequestOptions,
  GitLabCreateMergeRequest,
  GitLabMergeRequest,
  GitLabUpdateMergeRequest,
  RestServer,
} from '../support/forge-rest.js';
import { startRestServer } from '../support/forge-rest.js';

let server: RestServer | undefined;
afterEach(async () => {
  expect(server?.unexpected ?? []).toEqual([]);
  await server?.stop();
  server = undefined;
});

describe('GitLab merge requests (@gitbeaker/rest)', () => {
  async function gitlab() {
    const mrs = new Map<number, GitLabMergeRequest>();
    const base = '/api/v4/projects/group%2Fsub%2Fdeploy/merge_requests';
    server = await startRestServer((r) => {
      if (r.headers['private-token'] !== 'glpat-test') return { status: 401, body: { message: '401 Unauthorized' } };
      if (r.method === 'GET' && r.path === base) {
        const list = [...mrs.values()].filter(
          (m) => m.state === r.query.state && m.source_branch === r.query.source_branch && m.target_branch === r.query.target_branch,
        );
        return { status: 200, body: list };
      }
      if (r.method === 'POST' && r.path === base) {
        const b = r.body as GitLabCreateMergeRequest;
        if ([...mrs.values()].some((m) => m.state === 'opened' && m.source_branch === b.source_branch))
          return { status: 409, body: { message: ['Another open merge request already exists for this source branch: !1'] } };
        const iid = mrs.size + 1;
        const mr: GitLabMergeRequest = {
          iid,
          title: b.title,
          description: b.description ?? null,
          web_url: `https://gitlab.example/group/sub/deploy/-/merge_requests/${iid}`,
          draft: b.title.startsWith('Draft: '),
          state: 'opened',
          source_branch: b.source_branch,
          target_branch: b.target_branch,
          labels: [],
          reviewers: [],
          merge_when_pipeline_succeeds: false,
        };
        mrs.set(iid, mr);
        return { status: 201, body: mr };
      }
      const one = new RegExp(`^${base.replace(/%/g, '%')}/(\\d+)(/merge)?$`).exec(r.path);
      if (one && r.method === 'PUT') {
        const mr = mrs.get(Number(one[1]));
        if (!mr) return { status: 404, body: { message: '404 Not found' } };
        if (one[2]) {
          mr.merge_when_pipeline_succeeds = (r.body as { merge_when_pipeline_succeeds?: boolean }).merge_when_pipeline_succeeds === true;
          return { status: 200, body: mr };
        }
        const b = r.body as GitLabUpdateMergeRequest;
        if (b.title !== undefined) mr.title = b.title;
        if (b.description !== undefined) mr.description = b.description;
        if (b.state_event === 'close') mr.state = 'closed';
        if (b.add_labels) mr.labels.push(...b.add_labels.split(','));
        if (b.reviewer_ids) mr.reviewers = b.reviewer_ids.map((id) => ({ id, username: id === 7 ? 'alice' : '?' }));
        return { status: 200, body: mr };
      }
      if (r.method === 'GET' && r.path === '/api/v4/users')
        return { status: 200, body: r.query.username === 'alice' ? [{ id: 7, username: 'alice' }] : [] };
      return undefined;
    });
    return { mrs, client: new GitLabClient({ url: server.url, project: 'group/sub/deploy', token: 'glpat-test' }) };
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
      'GET /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
      'POST /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
      'GET /api/v4/users',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1',
      'PUT /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests/1/merge',
      'GET /api/v4/projects/group%2Fsub%2Fdeploy/merge_requests',
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
    const pulls = new Map<number, GiteaPullRequest>();
    const base = '/api/v1/repos/ops/deploy';
    server = await startRestServer((r) => {
      if (r.headers.authorization !== 'token gitea-test-token') return { status: 401, body: { message: 'token is required' } };
      if (r.method === 'GET' && r.path === `${base}/pulls`)
        return { status: 200, body: [...pulls.values()].filter((p) => p.state === r.query.state) };
      if (r.method === 'POST' && r.path === `${base}/pulls`) {
        const b = r.body as GiteaCreatePullRequestOption;
        if ([...pulls.values()].some((p) => p.state === 'open' && p.head.ref === b.head && p.base.ref === b.base))
          return { status: 409, body: { message: 'pull request already exists for these targets' } };
        const number = pulls.size + 1;
        const pr: GiteaPullRequest = {
          number,
          title: b.title,
          body: b.body ?? '',
          html_url: `https://gitea.example/ops/deploy/pulls/${number}`,
          draft: b.title.startsWith('WIP: '),
          state: 'open',
          labels: [],
          head: { ref: b.head, sha: '', repo_id: 1 },
          base: { ref: b.base, sha: '', repo_id: 1 },
          requested_reviewers: [],
        };
        pulls.set(number, pr);
        return { status: 201, body: pr };
      }
      const one = new RegExp(`^${base}/pulls/(\\d+)$`).exec(r.path);
      if (one && r.method === 'PATCH') {
        const pr = pulls.get(Number(one[1]));
        if (!pr) return { status: 404, body: { message: 'not found' } };
        const b = r.body as GiteaEditPullRequestOption;
        if (b.title !== undefined) pr.title = b.title;
        if (b.body !== undefined) pr.body = b.body;
        if (b.state !== undefined) pr.state = b.state;
        return { status: 201, body: pr };
      }
      const labels = new RegExp(`^${base}/issues/(\\d+)/labels$`).exec(r.path);
      if (labels && r.method === 'POST') {
        const pr = pulls.get(Number(labels[1]));
        for (const l of (r.body as GiteaIssueLabelsOption).labels) pr?.labels.push({ id: pr.labels.length + 1, name: String(l) });
        return { status: 200, body: pr?.labels };
      }
      const reviewers = new RegExp(`^${base}/pulls/(\\d+)/requested_reviewers$`).exec(r.path);
      if (reviewers && r.method === 'POST') {
        const pr = pulls.get(Number(reviewers[1]));
        for (const login of (r.body as GiteaPullReviewRequestOptions).reviewers ?? []) pr?.requested_reviewers.push({ login });
        return { status: 201, body: [] };
      }
      const merge = new RegExp(`^${base}/pulls/(\\d+)/merge$`).exec(r.path);
      if (merge && r.method === 'POST') {
        const b = r.body as GiteaMergePullRequestOption;
        return b.merge_when_checks_succeed ? { status: 200, body: undefined } : { status: 405, body: { message: 'not mergeable' } };
      }
      return undefined;
    });
    return { pulls, client: new GiteaClient({ url: server.url, repository: 'ops/deploy', token: 'gitea-test-token' }) };
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
      'GET /api/v1/repos/ops/deploy/pulls',
      'POST /api/v1/repos/ops/deploy/pulls',
      'POST /api/v1/repos/ops/deploy/issues/1/labels',
      'POST /api/v1/repos/ops/deploy/pulls/1/requested_reviewers',
      'POST /api/v1/repos/ops/deploy/pulls/1/merge',
      'GET /api/v1/repos/ops/deploy/pulls',
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
