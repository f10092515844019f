/**
 * Gitea and Forgejo (REST API v1, `Authorization: token …`). Pull requests are listed open and matched on their head
 * and base branch; a draft is a title with Gitea's `WIP: ` prefix; labels are given by name (Gitea ≥ 1.19);
 * auto-merge is `merge_when_checks_succeed`. A pull request that already exists for the branches answers 409.
 */
import type { ForgeClient, MergeMethod, NewPullRequest, PullRequest, PullRequestContent } from './forge.js';
import { codeOfStatus, ForgeError, safeText } from './forge.js';
import { forgeFetch } from './http.js';

export interface GiteaOptions {
  /** The server, such as https://gitea.example.com (the API is under /api/v1). */
  readonly url: string;
  /** owner/name. */
  readonly repository: string;
  readonly token: string;
  readonly fetch?: typeof globalThis.fetch;
}

interface ApiPull {
  number: number;
  title: string;
  body?: string | null;
  html_url: string;
  draft?: boolean;
  labels?: Array<{ name?: string }> | null;
  head?: { ref?: string } | null;
  base?: { ref?: string } | null;
}

const draftPrefix = 'WIP: ';

export class GiteaClient implements ForgeClient {
  readonly kind = 'gitea' as const;
  private readonly api: string;
  private readonly fetch: typeof globalThis.fetch;

  constructor(private readonly options: GiteaOptions) {
    const [owner, repo] = options.repository.split('/').map(encodeURIComponent);
    this.api = `${options.url.replace(/\/+$/, '')}/api/v1/repos/${owner}/${repo}`;
    this.fetch = options.fetch ?? forgeFetch();
  }

  private async call<T>(what: string, method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(`${this.api}${path}`, {
        method,
        headers: {
          authorization: `token ${this.options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ForgeError('unavailable', `${what}: Gitea answered nothing: ${safeText((err as Error).message)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message: unknown = text;
      try {
        message = (JSON.parse(text) as { message?: unknown }).message ?? text;
      } catch {
        // not JSON
      }
      const code = res.status === 409 ? 'exists' : codeOfStatus(res.status, res.headers.get('x-ratelimit-remaining') === '0');
      throw new ForgeError(code, `${what}: Gitea answered HTTP ${res.status}: ${safeText(message)}`, res.status);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  private toPullRequest(p: ApiPull): PullRequest {
    return {
      number: p.number,
      // The prefix marks a draft; the title the publisher compares is the one without it.
      title: p.title.startsWith(draftPrefix) ? p.title.slice(draftPrefix.length) : p.title,
      body: p.body ?? '',
      url: p.html_url,
      draft: p.draft === true || p.title.startsWith(draftPrefix),
      labels: (p.labels ?? []).map((l) => l.name ?? '').filter(Boolean),
    };
  }

  async findOpen(head: string, base: string): Promise<PullRequest | undefined> {
    for (let page = 1; page <= 20; page += 1) {
      const list = await this.call<ApiPull[]>(`find the pull request from ${head}`, 'GET', `/pulls?state=open&limit=50&page=${page}`);
      const found = list.find((p) => p.head?.ref === head && p.base?.ref === base);
      if (found) return this.toPullRequest(found);
      if (list.length < 50) return undefined;
    }
    return undefined;
  }

  async create(pr: NewPullRequest): Promise<PullRequest> {
    const title = pr.draft ? `${draftPrefix}${pr.title}` : pr.title;
    return this.toPullRequest(
      await this.call<ApiPull>(`open a pull request from ${pr.head}`, 'POST', '/pulls', {
        head: pr.head,
        base: pr.base,
        title,
        body: pr.body,
      }),
    );
  }

  async update(pr: PullRequest, content: PullRequestContent): Promise<void> {
    // A draft keeps its prefix: the title the publisher computes never has it.
    const title = pr.draft ? `${draftPrefix}${content.title}` : content.title;
    await this.call(`update pull request #${pr.number}`, 'PATCH', `/pulls/${pr.number}`, { title, body: content.body });
  }

  async close(pr: PullRequest): Promise<void> {
    await this.call(`close pull request #${pr.number}`, 'PATCH', `/pulls/${pr.number}`, { state: 'closed' });
  }

  async addLabels(pr: PullRequest, labels: readonly string[]): Promise<void> {
    await this.call(`label pull request #${pr.number}`, 'POST', `/issues/${pr.number}/labels`, { labels });
  }

  async requestReviewers(pr: PullRequest, reviewers: readonly string[]): Promise<void> {
    await this.call(`request reviewers on pull request #${pr.number}`, 'POST', `/pulls/${pr.number}/requested_reviewers`, {
      reviewers: reviewers.filter((r) => !r.includes('/')),
      team_reviewers: reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1)),
    });
  }

  async enableAutoMerge(pr: PullRequest, method: MergeMethod): Promise<void> {
    await this.call(`enable auto-merge on pull request #${pr.number}`, 'POST', `/pulls/${pr.number}/merge`, {
      Do: method,
      merge_when_checks_succeed: true,
    });
  }
}
