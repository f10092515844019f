/**
 * GitLab merge requests through @gitbeaker/rest; the project is given as its full path (`group/subgroup/project`),
 * which the client URL-encodes. A draft is a title with GitLab's `Draft: ` prefix; reviewers are user names looked up
 * to ids; auto-merge is GitLab's "merge when the pipeline succeeds". A merge request that already exists for the
 * source branch answers 409.
 */
import { Gitlab } from '@gitbeaker/rest';
import type { ForgeClient, MergeMethod, NewPullRequest, PullRequest, PullRequestContent } from './forge.js';
import { codeOfStatus, ForgeError, forgeRequestTimeoutMs, safeText } from './forge.js';

export interface GitLabOptions {
  /** The server, such as https://gitlab.com. */
  readonly url: string;
  /** The project's full path. */
  readonly project: string;
  readonly token: string;
}

interface ApiMergeRequest {
  iid: number;
  title: string;
  description?: string | null;
  web_url: string;
  draft?: boolean;
  labels?: ReadonlyArray<string | { name?: string }>;
  source_branch?: string;
  target_branch?: string;
}

const draftPrefix = 'Draft: ';

function failure(err: unknown, what: string): ForgeError {
  const e = err as { name?: string; message?: string; cause?: { description?: unknown; response?: { status?: number } } };
  const status = e.cause?.response?.status;
  if (status === undefined) return new ForgeError('unavailable', `${what}: GitLab answered nothing: ${safeText(e.message)}`);
  const code = status === 409 ? 'exists' : codeOfStatus(status);
  return new ForgeError(code, `${what}: GitLab answered HTTP ${status}: ${safeText(e.cause?.description ?? e.message)}`, status);
}

function toPullRequest(m: ApiMergeRequest): PullRequest {
  return {
    number: m.iid,
    title: m.title.startsWith(draftPrefix) ? m.title.slice(draftPrefix.length) : m.title,
    body: m.description ?? '',
    url: m.web_url,
    draft: m.draft === true || m.title.startsWith(draftPrefix),
    labels: (m.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
  };
}

export class GitLabClient implements ForgeClient {
  readonly kind = 'gitlab' as const;
  private readonly api: InstanceType<typeof Gitlab>;

  constructor(private readonly options: GitLabOptions) {
    this.api = new Gitlab({ host: options.url.replace(/\/+$/, ''), token: options.token, queryTimeout: forgeRequestTimeoutMs });
  }

  private get project(): string {
    return this.options.project;
  }

  async findOpen(head: string, base: string): Promise<PullRequest | undefined> {
    try {
      const list = (await this.api.MergeRequests.all({
        projectId: this.project,
        state: 'opened',
        sourceBranch: head,
        targetBranch: base,
      })) as unknown as ApiMergeRequest[];
      const found = list.find((m) => m.source_branch === head && m.target_branch === base);
      return found ? toPullRequest(found) : undefined;
    } catch (err) {
      throw failure(err, `find the merge request from ${head}`);
    }
  }

  async create(pr: NewPullRequest): Promise<PullRequest> {
    try {
      const title = pr.draft ? `${draftPrefix}${pr.title}` : pr.title;
      const m = await this.api.MergeRequests.create(this.project, pr.head, pr.base, title, { description: pr.body });
      return toPullRequest(m as unknown as ApiMergeRequest);
    } catch (err) {
      throw failure(err, `open a merge request from ${pr.head}`);
    }
  }

  async update(pr: PullRequest, content: PullRequestContent): Promise<void> {
    try {
      const title = pr.draft ? `${draftPrefix}${content.title}` : content.title;
      await this.api.MergeRequests.edit(this.project, pr.number, { title, description: content.body });
    } catch (err) {
      throw failure(err, `update merge request !${pr.number}`);
    }
  }

  async close(pr: PullRequest): Promise<void> {
    try {
      await this.api.MergeRequests.edit(this.project, pr.number, { stateEvent: 'close' });
    } catch (err) {
      throw failure(err, `close merge request !${pr.number}`);
    }
  }

  async addLabels(pr: PullRequest, labels: readonly string[]): Promise<void> {
    try {
      await this.api.MergeRequests.edit(this.project, pr.number, { addLabels: labels.join(',') });
    } catch (err) {
      throw failure(err, `label merge request !${pr.number}`);
    }
  }

  async requestReviewers(pr: PullRequest, reviewers: readonly string[]): Promise<void> {
    try {
      const ids: number[] = [];
      for (const username of reviewers) {
        const users = (await this.api.Users.all({ username })) as unknown as Array<{ id: number; username: string }>;
        const user = users.find((u) => u.username === username);
        if (user === undefined)
          throw new ForgeError('not-found', `request reviewers on merge request !${pr.number}: no GitLab user ${username}`);
        ids.push(user.id);
      }
      await this.api.MergeRequests.edit(this.project, pr.number, { reviewerIds: ids });
    } catch (err) {
      throw err instanceof ForgeError ? err : failure(err, `request reviewers on merge request !${pr.number}`);
    }
  }

  async enableAutoMerge(pr: PullRequest, method: MergeMethod): Promise<void> {
    try {
      await this.api.MergeRequests.accept(this.project, pr.number, { mergeWhenPipelineSucceeds: true, squash: method === 'squash' });
    } catch (err) {
      throw failure(err, `turn on merge when the pipeline succeeds for merge request !${pr.number}`);
    }
  }
}
