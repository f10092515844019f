/**
 * The forge edge: what a pull-request publisher asks of GitHub, GitLab or Gitea, in one shape. Each forge's client
 * (github.ts, gitlab.ts, gitea.ts) speaks its own REST API and answers with these values; every failure leaves as a
 * ForgeError with a code, never as the client library's own error (whose message may hold a URL or a header).
 * Pull requests are found by their head branch at every pass: nothing here remembers a number between passes.
 */

/** A pull request (GitLab: merge request) as the publisher needs it. */
export interface PullRequest {
  /** GitHub and Gitea: the number; GitLab: the merge request's iid. */
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly url: string;
  readonly draft: boolean;
  readonly labels: readonly string[];
  /** GitHub's GraphQL node id (auto-merge); undefined elsewhere. */
  readonly nodeId?: string | undefined;
}

export interface PullRequestContent {
  readonly title: string;
  readonly body: string;
}

export interface NewPullRequest extends PullRequestContent {
  readonly head: string;
  readonly base: string;
  readonly draft: boolean;
}

/** How a pull request is merged when auto-merge is on. */
export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface ForgeClient {
  /** `github`, `gitlab`, `gitea`: for logs and metrics. */
  readonly kind: ForgeKind;
  /** The open pull request whose head is `head` (in this repository) and whose base is `base`, if any. */
  findOpen(head: string, base: string): Promise<PullRequest | undefined>;
  /** Open one. A forge that says one already exists answers ForgeError('exists'). */
  create(pr: NewPullRequest): Promise<PullRequest>;
  update(pr: PullRequest, content: PullRequestContent): Promise<void>;
  close(pr: PullRequest): Promise<void>;
  addLabels(pr: PullRequest, labels: readonly string[]): Promise<void>;
  requestReviewers(pr: PullRequest, reviewers: readonly string[]): Promise<void>;
  enableAutoMerge(pr: PullRequest, method: MergeMethod): Promise<void>;
}

export type ForgeKind = 'github' | 'gitlab' | 'gitea';
export const forgeKinds: readonly ForgeKind[] = ['github', 'gitlab', 'gitea'];

/**
 * - `auth`: the forge refused the credentials (401, 403 without a rate limit);
 * - `not-found`: the repository (or project) is not there, or the token cannot see it;
 * - `exists`: a pull request for this head branch already exists (GitHub 422, GitLab and Gitea 409);
 * - `refused`: the forge understood and said no (422 validation, 405, 409 other than `exists`);
 * - `rate-limited`: 429, or 403 with the rate limit spent;
 * - `unavailable`: 5xx, a reset, a timeout, a refused connection.
 */
export type ForgeErrorCode = 'auth' | 'not-found' | 'exists' | 'refused' | 'rate-limited' | 'unavailable';

export class ForgeError extends Error {
  override readonly name = 'ForgeError';
  constructor(
    readonly code: ForgeErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
  get transient(): boolean {
    return this.code === 'unavailable' || this.code === 'rate-limited';
  }
}

/** The code of an HTTP answer that is not a success. */
export function codeOfStatus(status: number, rateLimited = false): ForgeErrorCode {
  if (status === 429 || (status === 403 && rateLimited)) return 'rate-limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status >= 500 || status === 0) return 'unavailable';
  return 'refused';
}

/** Text from a forge answer, safe to log: one line, bounded, no token-looking strings. */
export function safeText(text: unknown, max = 200): string {
  const s = typeof text === 'string' ? text : text === undefined || text === null ? '' : JSON.stringify(text);
  return s
    .replace(/\s+/g, ' ')
    .replace(/\b(gh[pousr]_[A-Za-z0-9_]{8,}|glpat-[A-Za-z0-9_-]{8,}|[A-Fa-f0-9]{40})\b/g, '[redacted]')
    .slice(0, max)
    .trim();
}

/** A request that took longer than this is a failed one (`unavailable`). */
export const forgeRequestTimeoutMs = 30_000;
