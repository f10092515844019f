/**
 * A Gitea / Forgejo (API v1) pull-request server for tests: the endpoints GiteaClient calls, typed by the vendored
 * swagger schemas in forge-rest.ts, every request recorded and anything else answered 501 and recorded as
 * unexpected. It holds what Gitea holds (pull requests, labels, reviewers); Git stays the real `git http-backend`.
 */
import type {
  GiteaCreatePullRequestOption,
  GiteaEditPullRequestOption,
  GiteaIssueLabelsOption,
  GiteaMergePullRequestOption,
  GiteaPullRequest,
  GiteaPullReviewRequestOptions,
  RestServer,
} from './forge-rest.js';
import { startRestServer } from './forge-rest.js';

export interface GiteaServer extends RestServer {
  readonly pulls: Map<number, GiteaPullRequest>;
  /** The repository's API path. */
  readonly base: string;
}

export async function startGiteaServer(options: {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
}): Promise<GiteaServer> {
  const pulls = new Map<number, GiteaPullRequest>();
  const base = `/api/v1/repos/${options.owner}/${options.repo}`;
  let url = '';
  const server = await startRestServer((r) => {
    if (r.headers.authorization !== `token ${options.token}`) return { status: 401, body: { message: 'token is required' } };
    if (r.method === 'GET' && r.path === `${base}/pulls`) {
      // ListPullRequests: state, page (from 1), limit.
      const limit = Number(r.query.limit ?? 30);
      const page = Number(r.query.page ?? 1);
      const list = [...pulls.values()].filter((p) => r.query.state === 'all' || p.state === (r.query.state ?? 'open'));
      return { status: 200, body: list.slice((page - 1) * limit, page * limit) };
    }
    if (r.method === 'POST' && r.path === `${base}/pulls`) {
      const b = r.body as GiteaCreatePullRequestOption;
      if ([...pulls.values()].some((p) => p.state === 'open' && p.head.ref === b.head && p.base.ref === b.base))
        return { status: 409, body: { message: 'pull request already exists for these targets' } };
      const number = pulls.size + 1;
      const pr: GiteaPullRequest = {
        number,
        title: b.title,
        body: b.body ?? '',
        html_url: `${url}/${options.owner}/${options.repo}/pulls/${number}`,
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
      if (b.title !== undefined) {
        pr.title = b.title;
        pr.draft = b.title.startsWith('WIP: ');
      }
      if (b.body !== undefined) pr.body = b.body;
      if (b.state !== undefined) pr.state = b.state;
      return { status: 201, body: pr };
    }
    const labels = new RegExp(`^${base}/issues/(\\d+)/labels$`).exec(r.path);
    if (labels && r.method === 'POST') {
      const pr = pulls.get(Number(labels[1]));
      if (!pr) return { status: 404, body: { message: 'not found' } };
      for (const l of (r.body as GiteaIssueLabelsOption).labels) pr.labels.push({ id: pr.labels.length + 1, name: String(l) });
      return { status: 200, body: pr.labels };
    }
    const reviewers = new RegExp(`^${base}/pulls/(\\d+)/requested_reviewers$`).exec(r.path);
    if (reviewers && r.method === 'POST') {
      const pr = pulls.get(Number(reviewers[1]));
      if (!pr) return { status: 404, body: { message: 'not found' } };
      for (const login of (r.body as GiteaPullReviewRequestOptions).reviewers ?? []) pr.requested_reviewers.push({ login });
      return { status: 201, body: [] };
    }
    const merge = new RegExp(`^${base}/pulls/(\\d+)/merge$`).exec(r.path);
    if (merge && r.method === 'POST') {
      const b = r.body as GiteaMergePullRequestOption;
      return b.merge_when_checks_succeed ? { status: 200, body: undefined } : { status: 405, body: { message: 'not mergeable' } };
    }
    return undefined;
  });
  url = server.url;
  return Object.assign(server, { pulls, base });
}
