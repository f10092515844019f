/**
 * GitHub and GitHub Enterprise Server through @octokit/rest (REST v3; auto-merge through GraphQL, the only API that
 * has it). Authentication: a personal (or fine-grained, or Actions) token, or a GitHub App installation token minted
 * from the app's private key and refreshed before it expires (github-app.ts). Octokit's logger is silenced and its
 * errors are turned into ForgeErrors here, so no header or token reaches a log line.
 */
import { Octokit } from '@octokit/rest';
import type { ForgeClient, MergeMethod, NewPullRequest, PullRequest, PullRequestContent } from './forge.js';
import { ForgeError } from './forge.js';
import type { GitHubAppCredentials } from './github-app.js';
import { InstallationTokens } from './github-app.js';
import { forgeFailure } from './github-errors.js';
import { forgeFetch } from './http.js';

export interface GitHubOptions {
  /** `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server. */
  readonly apiUrl: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly auth: { readonly token: string } | { readonly app: GitHubAppCredentials };
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => number;
  readonly refreshMarginMs?: number;
}

type ApiPull = {
  number: number;
  title: string;
  body?: string | null;
  html_url: string;
  draft?: boolean;
  node_id: string;
  labels: ReadonlyArray<{ name?: string } | string>;
};

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function toPullRequest(p: ApiPull): PullRequest {
  return {
    number: p.number,
    title: p.title,
    body: p.body ?? '',
    url: p.html_url,
    draft: p.draft === true,
    labels: p.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    nodeId: p.node_id,
  };
}

export function splitRepository(repository: string): { owner: string; repo: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (!m) throw new ForgeError('not-found', `"${repository}" is not a GitHub repository as owner/name`);
  return { owner: m[1] as string, repo: (m[2] as string).replace(/\.git$/, '') };
}

export class GitHubClient implements ForgeClient {
  readonly kind = 'github' as const;
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  /** Set when authenticating as a GitHub App (tests read `minted`). */
  readonly appTokens: InstallationTokens | undefined;

  constructor(options: GitHubOptions) {
    const { owner, repo } = splitRepository(options.repository);
    this.owner = owner;
    this.repo = repo;
    const fetch = options.fetch ?? forgeFetch();
    const baseUrl = options.apiUrl.replace(/\/+$/, '');
    if ('token' in options.auth) {
      this.octokit = new Octokit({ auth: options.auth.token, baseUrl, request: { fetch }, log: quiet });
      this.appTokens = undefined;
    } else {
      const tokens = new InstallationTokens(options.auth.app, {
        baseUrl,
        owner,
        repo,
        fetch,
        now: options.now ?? Date.now,
        refreshMarginMs: options.refreshMarginMs,
      });
      this.appTokens = tokens;
      this.octokit = new Octokit({ baseUrl, request: { fetch }, log: quiet });
      // Every request asks for a token valid for a while yet; one about to expire is replaced first.
      this.octokit.hook.before('request', async (req) => {
        req.headers.authorization = `token ${await tokens.token()}`;
      });
    }
  }

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  async findOpen(head: string, base: string): Promise<PullRequest | undefined> {
    try {
      const { data } = await this.octokit.rest.pulls.list({
        ...this.where,
        state: 'open',
        head: `${this.owner}:${head}`,
        base,
        per_page: 10,
      });
      const found = data.find((p) => p.head.ref === head && p.base.ref === base);
      return found ? toPullRequest(found) : undefined;
    } catch (err) {
      throw forgeFailure(err, `find the pull request from ${head}`);
    }
  }

  async create(pr: NewPullRequest): Promise<PullRequest> {
    try {
      const { data } = await this.octokit.rest.pulls.create({ ...this.where, ...pr });
      return toPullRequest(data);
    } catch (err) {
      throw forgeFailure(err, `open a pull request from ${pr.head}`);
    }
  }

  async update(pr: PullRequest, content: PullRequestContent): Promise<void> {
    try {
      await this.octokit.rest.pulls.update({ ...this.where, pull_number: pr.number, ...content });
    } catch (err) {
      throw forgeFailure(err, `update pull request #${pr.number}`);
    }
  }

  async close(pr: PullRequest): Promise<void> {
    try {
      await this.octokit.rest.pulls.update({ ...this.where, pull_number: pr.number, state: 'closed' });
    } catch (err) {
      throw forgeFailure(err, `close pull request #${pr.number}`);
    }
  }

  async addLabels(pr: PullRequest, labels: readonly string[]): Promise<void> {
    try {
      await this.octokit.rest.issues.addLabels({ ...this.where, issue_number: pr.number, labels: [...labels] });
    } catch (err) {
      throw forgeFailure(err, `label pull request #${pr.number}`);
    }
  }

  /** `login` asks a user, `org/team` a team of the organization. */
  async requestReviewers(pr: PullRequest, reviewers: readonly string[]): Promise<void> {
    const teams = reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
    const users = reviewers.filter((r) => !r.includes('/'));
    try {
      await this.octokit.rest.pulls.requestReviewers({ ...this.where, pull_number: pr.number, reviewers: users, team_reviewers: teams });
    } catch (err) {
      throw forgeFailure(err, `request reviewers on pull request #${pr.number}`);
    }
  }

  async enableAutoMerge(pr: PullRequest, method: MergeMethod): Promise<void> {
    try {
      await this.octokit.graphql(
        'mutation($id: ID!, $mergeMethod: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $mergeMethod}) { clientMutationId } }',
        { id: pr.nodeId, mergeMethod: method.toUpperCase() },
      );
    } catch (err) {
      throw forgeFailure(err, `enable auto-merge on pull request #${pr.number}`);
    }
  }
}
