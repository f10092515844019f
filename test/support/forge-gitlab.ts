/**
 * A GitLab (API v4) merge-request server for tests: the endpoints GitLabClient calls, typed by the vendored schemas
 * in forge-rest.ts, every request recorded and anything else answered 501 and recorded as unexpected. It holds what
 * GitLab holds (merge requests, users); the Git side of a test stays the real `git http-backend`.
 */
import type { GitLabCreateMergeRequest, GitLabMergeRequest, GitLabUpdateMergeRequest, RestServer } from './forge-rest.js';
import { startRestServer } from './forge-rest.js';

export interface GitLabServer extends RestServer {
  readonly mrs: Map<number, GitLabMergeRequest>;
  /** The project's merge requests path, URL-encoded as the client sends it. */
  readonly base: string;
}

export async function startGitLabServer(options: {
  readonly project: string;
  readonly token: string;
  /** username → id, for reviewers. */
  readonly users?: Readonly<Record<string, number>>;
}): Promise<GitLabServer> {
  const mrs = new Map<number, GitLabMergeRequest>();
  const base = `/api/v4/projects/${encodeURIComponent(options.project)}/merge_requests`;
  const users = options.users ?? {};
  let url = '';
  const server = await startRestServer((r) => {
    if (r.headers['private-token'] !== options.token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (r.method === 'GET' && r.path === base) {
      const list = [...mrs.values()].filter(
        (m) =>
          (r.query.state === undefined || m.state === r.query.state) &&
          (r.query.source_branch === undefined || m.source_branch === r.query.source_branch) &&
          (r.query.target_branch === undefined || m.target_branch === r.query.target_branch),
      );
      return { status: 200, body: list };
    }
    if (r.method === 'POST' && r.path === base) {
      const b = r.body as GitLabCreateMergeRequest;
      const open = [...mrs.values()].find((m) => m.state === 'opened' && m.source_branch === b.source_branch);
      if (open)
        return { status: 409, body: { message: [`Another open merge request already exists for this source branch: !${open.iid}`] } };
      const iid = mrs.size + 1;
      const mr: GitLabMergeRequest = {
        iid,
        title: b.title,
        description: b.description ?? null,
        web_url: `${url}/${options.project}/-/merge_requests/${iid}`,
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
    const one = new RegExp(`^${base}/(\\d+)(/merge)?$`).exec(r.path);
    if (one && r.method === 'PUT') {
      const mr = mrs.get(Number(one[1]));
      if (!mr) return { status: 404, body: { message: '404 Not found' } };
      if (one[2]) {
        mr.merge_when_pipeline_succeeds = (r.body as { merge_when_pipeline_succeeds?: boolean }).merge_when_pipeline_succeeds === true;
        return { status: 200, body: mr };
      }
      const b = r.body as GitLabUpdateMergeRequest;
      if (b.title !== undefined) {
        mr.title = b.title;
        mr.draft = b.title.startsWith('Draft: ');
      }
      if (b.description !== undefined) mr.description = b.description;
      if (b.state_event === 'close') mr.state = 'closed';
      if (b.add_labels) mr.labels.push(...b.add_labels.split(','));
      if (b.reviewer_ids)
        mr.reviewers = b.reviewer_ids.map((id) => ({ id, username: Object.keys(users).find((u) => users[u] === id) ?? '?' }));
      return { status: 200, body: mr };
    }
    if (r.method === 'GET' && r.path === '/api/v4/users') {
      const id = users[r.query.username ?? ''];
      return { status: 200, body: id === undefined ? [] : [{ id, username: r.query.username }] };
    }
    return undefined;
  });
  url = server.url;
  return Object.assign(server, { mrs, base });
}
