/**
 * A GitHub REST server for tests: only the endpoints the publisher calls, request and response bodies typed by
 * GitHub's published API description (@octokit/openapi-types), every request recorded, and anything else answered
 * 501 and recorded as unexpected (the test asserts there is none). The Git side of a test stays the real
 * `git http-backend`; this holds only what the API holds (pull requests, labels, reviewers, App tokens).
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components, operations } from '@octokit/openapi-types';

type Json<T> = T extends { requestBody?: infer R }
  ? NonNullable<R> extends { content: { 'application/json': infer B } }
    ? B
    : never
  : never;
export type CreatePullBody = Json<operations['pulls/create']>;
export type UpdatePullBody = Json<operations['pulls/update']>;
export type AddLabelsBody = Exclude<Json<operations['issues/add-labels']>, string | unknown[] | undefined>;
export type RequestReviewersBody = Json<operations['pulls/request-reviewers']>;
type ApiPull = components['schemas']['pull-request'];
/** The fields of a pull request this server answers with: what the client reads, in GitHub's types. */
export type ServedPull = Pick<ApiPull, 'number' | 'title' | 'body' | 'html_url' | 'draft' | 'node_id' | 'state' | 'merged'> & {
  head: Pick<ApiPull['head'], 'ref' | 'sha' | 'label'>;
  base: Pick<ApiPull['base'], 'ref' | 'sha' | 'label'>;
  labels: Array<Pick<ApiPull['labels'][number], 'name'>>;
  requested_reviewers: string[];
  requested_teams: string[];
  auto_merge: string | null;
};
type InstallationToken = Pick<components['schemas']['installation-token'], 'token' | 'expires_at'>;
type Installation = Pick<components['schemas']['installation'], 'id'>;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

export interface Fault {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface GitHubServerOptions {
  readonly owner: string;
  readonly repo: string;
  /** Personal tokens accepted (`token X` or `Bearer X`). */
  readonly tokens?: readonly string[];
  /** A GitHub App: its id, public key (to verify the JWT), installation, and the clock that dates its tokens. */
  readonly app?: { readonly id: string; readonly publicKeyPem: string; readonly installationId: number; readonly now: () => number };
}

export interface GitHubServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly unexpected: RecordedRequest[];
  readonly pulls: Map<number, ServedPull>;
  readonly mintedTokens: string[];
  /** Every request answers 503 until set false (a forge outage). */
  down: boolean;
  /** Answer the next request to `method path` with this instead (the route's state is not touched). */
  failNext(method: string, pathPattern: RegExp, fault: Fault): void;
  /** The requests, as `METHOD /path`, with the query for a list. */
  calls(): string[];
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function verifyJwt(jwt: string, key: KeyObject, appId: string, nowMs: number): boolean {
  const [h, c, s] = jwt.split('.');
  if (!h || !c || !s) return false;
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), key, Buffer.from(s, 'base64url'))) return false;
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as { iss?: string; iat?: number; exp?: number };
  const now = nowMs / 1000;
  return claims.iss === appId && (claims.iat ?? Infinity) <= now && (claims.exp ?? 0) > now && (claims.exp ?? 0) - (claims.iat ?? 0) <= 600;
}

export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const pulls = new Map<number, ServedPull>();
  const mintedTokens: string[] = [];
  const faults: Array<{ method: string; path: RegExp; fault: Fault }> = [];
  const appKey = options.app ? createPublicKey(options.app.publicKeyPem) : undefined;
  let nextNumber = 1;
  let url = '';
  const repoPath = `/repos/${options.owner}/${options.repo}`;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const authorized = (r: RecordedRequest): boolean => {
    const a = r.authorization ?? '';
    const token = a.replace(/^(token|bearer) /i, '');
    return (options.tokens ?? []).includes(token) || mintedTokens.includes(token);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      body: await readBody(req),
      authorization: req.headers.authorization,
    };
    requests.push(record);
    if (server.down) return send(res, 503, { message: 'Service Unavailable' });
    const f = faults.findIndex((x) => x.method === record.method && x.path.test(record.path));
    if (f >= 0) {
      const { fault } = faults.splice(f, 1)[0] as { fault: Fault };
      return send(res, fault.status, fault.body, fault.headers);
    }
    const { method, path } = record;
    // GitHub App endpoints: authenticated by the app's JWT.
    if (options.app && appKey) {
      const jwt = (record.authorization ?? '').replace(/^bearer /i, '');
      if (method === 'GET' && path === `${repoPath}/installation`) {
        if (!verifyJwt(jwt, appKey, options.app.id, options.app.now()))
          return send(res, 401, { message: 'A JSON web token could not be decoded' });
        const body: Installation = { id: options.app.installationId };
        return send(res, 200, body);
      }
      if (method === 'POST' && path === `/app/installations/${options.app.installationId}/access_tokens`) {
        if (!verifyJwt(jwt, appKey, options.app.id, options.app.now()))
          return send(res, 401, { message: 'A JSON web token could not be decoded' });
        const token = `ghs_test${String(mintedTokens.length + 1).padStart(4, '0')}abcdefghijklmnop`;
        mintedTokens.push(token);
        const body: InstallationToken = { token, expires_at: new Date(options.app.now() + 3_600_000).toISOString() };
        return send(res, 201, body);
      }
    }
    if (!authorized(record)) return send(res, 401, { message: 'Bad credentials' });
    const pullMatch = new RegExp(`^${repoPath}/pulls/(\\d+)$`).exec(path);
    if (method === 'GET' && path === `${repoPath}/pulls`) {
      const head = record.query.head?.replace(`${options.owner}:`, '');
      const list = [...pulls.values()].filter(
        (p) =>
          (record.query.state === 'all' || p.state === (record.query.state ?? 'open')) &&
          (head === undefined || p.head.ref === head) &&
          (record.query.base === undefined || p.base.ref === record.query.base),
      );
      return send(res, 200, list);
    }
    if (method === 'POST' && path === `${repoPath}/pulls`) {
      const body = record.body as CreatePullBody;
      if ([...pulls.values()].some((p) => p.state === 'open' && p.head.ref === body.head && p.base.ref === body.base))
        return send(res, 422, {
          message: 'Validation Failed',
          errors: [
            { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${options.owner}:${body.head}.` },
          ],
        });
      const number = nextNumber++;
      const pull: ServedPull = {
        number,
        title: body.title ?? '',
        body: body.body ?? null,
        html_url: `${url}/${options.owner}/${options.repo}/pull/${number}`,
        draft: body.draft === true,
        node_id: `PR_node${number}`,
        state: 'open',
        merged: false,
        head: { ref: body.head, sha: '', label: `${options.owner}:${body.head}` },
        base: { ref: body.base, sha: '', label: `${options.owner}:${body.base}` },
        labels: [],
        requested_reviewers: [],
        requested_teams: [],
        auto_merge: null,
      };
      pulls.set(number, pull);
      return send(res, 201, pull);
    }
    if (method === 'PATCH' && pullMatch) {
      const pull = pulls.get(Number(pullMatch[1]));
      if (!pull) return send(res, 404, { message: 'Not Found' });
      const body = record.body as UpdatePullBody;
      if (body.title !== undefined) pull.title = body.title;
      if (body.body !== undefined) pull.body = body.body;
      if (body.state !== undefined) pull.state = body.state;
      return send(res, 200, pull);
    }
    const labelMatch = new RegExp(`^${repoPath}/issues/(\\d+)/labels$`).exec(path);
    if (method === 'POST' && labelMatch) {
      const pull = pulls.get(Number(labelMatch[1]));
      if (!pull) return send(res, 404, { message: 'Not Found' });
      const body = record.body as AddLabelsBody;
      for (const l of (body as { labels?: string[] }).labels ?? []) pull.labels.push({ name: l });
      return send(res, 200, pull.labels);
    }
    const reviewMatch = new RegExp(`^${repoPath}/pulls/(\\d+)/requested_reviewers$`).exec(path);
    if (method === 'POST' && reviewMatch) {
      const pull = pulls.get(Number(reviewMatch[1]));
      if (!pull) return send(res, 404, { message: 'Not Found' });
      const body = record.body as RequestReviewersBody;
      pull.requested_reviewers.push(...((body as { reviewers?: string[] }).reviewers ?? []));
      pull.requested_teams.push(...((body as { team_reviewers?: string[] }).team_reviewers ?? []));
      return send(res, 201, pull);
    }
    if (method === 'POST' && path === '/graphql') {
      const body = record.body as { query: string; variables: { id: string; mergeMethod: string } };
      const pull = [...pulls.values()].find((p) => p.node_id === body.variables.id);
      if (!pull || !/enablePullRequestAutoMerge/.test(body.query))
        return send(res, 200, { errors: [{ message: 'Could not resolve to a node' }], data: null });
      pull.auto_merge = body.variables.mergeMethod;
      return send(res, 200, { data: { enablePullRequestAutoMerge: { clientMutationId: null } } });
    }
    unexpected.push(record);
    return send(res, 501, { message: `not implemented in the test server: ${method} ${path}` });
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const server: GitHubServer = {
    url,
    requests,
    unexpected,
    pulls,
    mintedTokens,
    down: false,
    failNext: (method, path, fault) => void faults.push({ method, path, fault }),
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
