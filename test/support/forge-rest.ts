/**
 * GitLab (v4) and Gitea (v1) test servers: only the endpoints the clients call, typed by the few schemas of the forges'
 * published API descriptions that they use (vendored below as TypeScript: GitLab's merge request entity and its
 * create/update parameters, Gitea's swagger `PullRequest`, `CreatePullRequestOption`, `EditPullRequestOption`,
 * `IssueLabelsOption`, `PullReviewRequestOptions`, `MergePullRequestOption`), every request recorded, anything else
 * answered 501 and recorded as unexpected.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** GitLab: `MergeRequest` entity (the fields read) and `POST/PUT /projects/:id/merge_requests` parameters. */
export interface GitLabMergeRequest {
  iid: number;
  title: string;
  description: string | null;
  web_url: string;
  draft: boolean;
  state: 'opened' | 'closed' | 'merged';
  source_branch: string;
  target_branch: string;
  labels: string[];
  reviewers: Array<{ id: number; username: string }>;
  merge_when_pipeline_succeeds: boolean;
}
export interface GitLabCreateMergeRequest {
  source_branch: string;
  target_branch: string;
  title: string;
  description?: string;
}
export interface GitLabUpdateMergeRequest {
  title?: string;
  description?: string;
  state_event?: 'close' | 'reopen';
  add_labels?: string;
  reviewer_ids?: number[];
}
/** Gitea swagger: `PullRequest` (the fields read), `CreatePullRequestOption`, `EditPullRequestOption`, ... */
export interface GiteaPullRequest {
  number: number;
  title: string;
  body: string;
  html_url: string;
  draft: boolean;
  state: 'open' | 'closed';
  labels: Array<{ id: number; name: string }>;
  head: { ref: string; sha: string; repo_id: number };
  base: { ref: string; sha: string; repo_id: number };
  requested_reviewers: Array<{ login: string }>;
}
export interface GiteaCreatePullRequestOption {
  head: string;
  base: string;
  title: string;
  body?: string;
  labels?: number[];
}
export interface GiteaEditPullRequestOption {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
}
export interface GiteaIssueLabelsOption {
  labels: Array<number | string>;
}
export interface GiteaPullReviewRequestOptions {
  reviewers?: string[];
  team_reviewers?: string[];
}
export interface GiteaMergePullRequestOption {
  Do: 'merge' | 'rebase' | 'rebase-merge' | 'squash' | 'fast-forward-only' | 'manually-merged';
  merge_when_checks_succeed?: boolean;
}

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

type Handler = (r: Recorded) => Answer | undefined;

export interface RestServer {
  readonly url: string;
  readonly requests: Recorded[];
  readonly unexpected: Recorded[];
  /** Every request answers 503 until set false (a forge outage). */
  down: boolean;
  /** Answer the next request to `method path` with this instead (the handler's state is not touched). */
  failNext(method: string, pathPattern: RegExp, answer: Answer): void;
  /** The requests, as `METHOD /path`, with the query for a GET. */
  calls(): string[];
  stop(): Promise<void>;
}

export async function startRestServer(handler: Handler): Promise<RestServer> {
  const requests: Recorded[] = [];
  const unexpected: Recorded[] = [];
  const faults: Array<{ method: string; path: RegExp; answer: Answer }> = [];
  const read = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const t = Buffer.concat(chunks).toString('utf8');
    return t === '' ? undefined : JSON.parse(t);
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
  };
  const http = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r: Recorded = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        body: await read(req),
        headers: req.headers,
      };
      requests.push(r);
      if (server.down) return send(res, 503, { message: 'down for maintenance' });
      const f = faults.findIndex((x) => x.method === r.method && x.path.test(r.path));
      if (f >= 0) {
        const { answer } = faults.splice(f, 1)[0] as { answer: Answer };
        return send(res, answer.status, answer.body);
      }
      const answer = handler(r);
      if (answer === undefined) {
        unexpected.push(r);
        return send(res, 501, { message: `not implemented: ${r.method} ${r.path}` });
      }
      send(res, answer.status, answer.body);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server: RestServer = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    requests,
    unexpected,
    down: false,
    failNext: (method, path, answer) => void faults.push({ method, path, answer }),
    calls: () =>
      requests.map(
        (r) =>
          `${r.method} ${r.path}${r.method === 'GET' && Object.keys(r.query).length > 0 ? `?${new URLSearchParams(r.query).toString()}` : ''}`,
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
  return server;
}
