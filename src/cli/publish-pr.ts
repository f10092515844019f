/**
 * Publishing to a pull request (docs/pull-requests.md). Every pass plans from the base branch; its commit goes to one
 * branch the tool owns per base (`branchTemplate`, default `imagestreams/{branch}`), and one pull request per branch is
 * found by its head branch at every pass (no number is stored):
 *
 * - the change set (the committed files and their contents, fingerprinted in a commit trailer) differs from the
 *   branch's: the branch is rebuilt from the base with a lease (the push names the commit the branch was seen at,
 *   and is refused if it moved), then the pull request is opened, or its title and body updated;
 * - the change set is the branch's: nothing is pushed; the title and body are edited only if they differ;
 * - the base already holds everything: the pull request is closed and the branch deleted (with the same lease);
 * - the branch's tip is a commit the tool did not write (a person pushed, amended or merged into it): the branch is
 *   left alone from then on, and the pull request says so once.
 *
 * The base is never pushed to. Git goes first, the forge second: when the forge refuses or is down, the branch is kept
 * and the next pass (finding the change set unchanged) only opens or updates the pull request.
 */
import { createHash } from 'node:crypto';
import type { ForgeClient, MergeMethod, PullRequest } from '../forge/forge.js';
import { ForgeError } from '../forge/forge.js';
import type { TipCommit } from '../gitsource/own-branch.js';
import { moveRemoteBranch, readRemoteTip, remoteBranchHeads } from '../gitsource/own-branch.js';
import type { GitRepo } from '../gitsource/repo.js';
import { GitError } from '../gitsource/repo.js';
import { specTagsOf } from '../reconcile/accessors.js';
import { commitMessage } from './commit-message.js';
import type { FileChange, PassResult } from './pipeline.js';
import type { PublishContext, Publisher, PublishReport } from './publish.js';
import { renderMarkdown } from './report-markdown.js';

export interface PullRequestSettings {
  /** `{branch}` is the base branch's name. */
  readonly branchTemplate: string;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly draft: boolean;
  readonly autoMerge: MergeMethod | undefined;
}

export const defaultBranchTemplate = 'imagestreams/{branch}';

/** The tool's branch for a base; a template that does not give a valid, different branch name is refused. */
export function headBranch(template: string, base: string): string {
  const name = template.replaceAll('{branch}', base);
  const valid =
    name !== base &&
    name.length > 0 &&
    !/(^[/.-]|[/.]$|\.\.|\/\/|@\{|[\s~^:?*[\\\x00-\x1f\x7f]|\.lock$|\/\.|^@$)/.test(name) &&
    !name.includes('{');
  if (!valid) throw new Error(`the branch template "${template}" gives "${name}", which is not a branch name other than ${base}`);
  return name;
}

const trailerKey = 'Imagestreams-Change-Set';
const handsOffMarker = '<!-- imagestreams: hands-off -->';

const timestamps = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;

/** Text with every RFC 3339 time in it (or, with `keep`, every time not in `keep`) replaced by one placeholder. */
function withoutTimes(text: string, keep?: string): string {
  return text.replace(timestamps, (t) => (keep?.includes(t) ? t : '<time>'));
}

/**
 * The change set's fingerprint: the committed paths and the sha256 of their contents, sorted, with the times the
 * pass wrote (a time in a file after the pass that was not in it before: an import's `created`, a condition's
 * `lastTransitionTime`) left out. Every pass plans from the base, which never holds the branch's imports, so it
 * imports the same image again at its own time; that alone is no change.
 */
export function changeSetOf(committed: readonly Pick<FileChange, 'file' | 'before' | 'after'>[]): string {
  const h = createHash('sha256');
  for (const f of [...committed].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)))
    h.update(`${f.file}\0${createHash('sha256').update(withoutTimes(f.after, f.before)).digest('hex')}\n`);
  return `sha256:${h.digest('hex')}`;
}

const trailerOf = (message: string): string | undefined => new RegExp(`^${trailerKey}: (\\S+)$`, 'm').exec(message)?.[1];

export interface PullRequestPublisherOptions {
  readonly forge: ForgeClient;
  readonly settings: PullRequestSettings;
  /** The daemon's clone: after a pass lands, move it back to the base head (the branch is the PR's, not the clone's). */
  readonly resetAfter: boolean;
  /** Told about every outcome and every failure (logs, metrics). */
  readonly onReport?: (report: PublishReport | { readonly outcome: 'failed'; readonly error: unknown }) => void;
  /** Before each attempt (a GitHub App's token is refreshed here, before Git needs it). */
  readonly beforePass?: (() => Promise<void>) | undefined;
}

export class PullRequestPublisher implements Publisher {
  readonly name = 'pull-request';
  constructor(private readonly options: PullRequestPublisherOptions) {}

  async beforePass(): Promise<void> {
    await this.options.beforePass?.();
  }

  trailers(committed: readonly FileChange[]): readonly string[] {
    return [`${trailerKey}: ${changeSetOf(committed)}`];
  }

  /** The base's `from.name` of every tag this pass changed: only the tool's branch holds those imports. */
  carried(result: PassResult): ReadonlySet<string> {
    const out = new Set<string>();
    for (const s of result.plan.streams) {
      const base = result.streams.find((x) => x.key === s.stream);
      for (const c of s.changes) {
        const from = base && specTagsOf(base.value).find((t) => t.name === c.tag)?.from?.name;
        if (typeof from === 'string') out.add(from);
      }
    }
    return out;
  }

  private reported<T extends PublishReport>(work: Promise<T>): Promise<T> {
    return work.then(
      (r) => {
        this.options.onReport?.(r);
        return r;
      },
      (error: unknown) => {
        this.options.onReport?.({ outcome: 'failed', error });
        throw error;
      },
    );
  }

  publish(repo: GitRepo, pass: PublishContext): Promise<PublishReport> {
    return this.reported(this.publishCommit(repo, pass));
  }

  nothingToPublish(repo: GitRepo): Promise<PublishReport> {
    return this.reported(this.closeIfHeld(repo));
  }

  /** Did the tool write this commit? Its committer is the tool's author, it has one parent and our trailer. */
  private own(repo: GitRepo, tip: TipCommit): boolean {
    return tip.committerEmail === repo.link.author.email && tip.parents.length === 1 && trailerOf(tip.message) !== undefined;
  }

  private async publishCommit(repo: GitRepo, pass: PublishContext): Promise<PublishReport> {
    const link = repo.link;
    const made = link.made;
    if (made === undefined) throw new Error('pull-request publisher: no commit was made in this pass');
    const base = link.branch;
    const head = headBranch(this.options.settings.branchTemplate, base);
    const heads = await remoteBranchHeads(link, [base, head]);
    // The commit must sit on the base's head as the remote has it now; otherwise plan again from the new head.
    if (heads.get(base) !== made.parent)
      throw new GitError(
        'push-rejected',
        `${base} moved on (it is at ${heads.get(base)?.slice(0, 12) ?? 'nothing'}); planning again from it`,
      );
    const tip = heads.get(head);
    let pushed = true;
    if (tip !== undefined) {
      const commit = await readRemoteTip(link, head, tip);
      if (!this.own(repo, commit)) return this.handsOff(head, base, commit);
      if (trailerOf(commit.message) === changeSetOf(pass.committed)) pushed = false;
    }
    if (pushed) await moveRemoteBranch(link, head, tip, 'made');
    const title = (commitMessage(pass.result, pass.committed).split('\n')[0] ?? '').slice(0, 250);
    const body = renderMarkdown(pass.result, {
      files: new Set(pass.committed.map((c) => c.file)),
      footer: `Branch \`${head}\` belongs to imagestreams: it is rebuilt from \`${base}\` whenever what it should hold changes, and this pull request is closed once \`${base}\` holds it all. Push to the branch and imagestreams stops touching it.`,
    });
    const forge = this.options.forge;
    const s = this.options.settings;
    let pr = await forge.findOpen(head, base);
    let outcome: PublishReport['outcome'] = pushed ? 'updated' : 'unchanged';
    if (pr === undefined) {
      try {
        pr = await forge.create({ head, base, title, body, draft: s.draft });
        outcome = 'opened';
        if (s.labels.length > 0) await forge.addLabels(pr, s.labels);
        if (s.reviewers.length > 0) await forge.requestReviewers(pr, s.reviewers);
        if (s.autoMerge !== undefined) await forge.enableAutoMerge(pr, s.autoMerge);
      } catch (err) {
        // Opened by another run between our look and our request: take that one.
        if (!(err instanceof ForgeError && err.code === 'exists')) throw err;
        pr = await forge.findOpen(head, base);
        if (pr === undefined) throw err;
      }
    }
    // A branch that was not rebuilt holds the times of the pass that built it, and the body shows those times.
    const sameBody = pr.body === body || (!pushed && withoutTimes(pr.body) === withoutTimes(body));
    if (outcome !== 'opened' && (pr.title !== title || !sameBody)) {
      await forge.update(pr, { title, body });
      outcome = 'updated';
    }
    if (this.options.resetAfter) await repo.resetTo(made.parent);
    const verb = { opened: 'opened', updated: 'updated', unchanged: 'unchanged:' }[outcome as 'opened' | 'updated' | 'unchanged'];
    return {
      outcome,
      url: pr.url,
      branch: head,
      message: `pull request ${verb} ${pr.url}${pushed ? ` (branch ${head} rebuilt from ${base})` : ' (nothing new to push)'}`,
    };
  }

  /** The tool's branch holds a person's commit: touch nothing but the pull request's body, once. */
  private async handsOff(head: string, base: string, tip: TipCommit): Promise<PublishReport> {
    const pr = await this.options.forge.findOpen(head, base);
    const notice = `${handsOffMarker}\n> **imagestreams no longer updates this branch**: its tip ${tip.oid.slice(0, 12)} is a commit imagestreams did not write. Merge or close this pull request and delete \`${head}\` to let imagestreams open a new one.`;
    if (pr !== undefined && !pr.body.includes(handsOffMarker))
      await this.options.forge.update(pr, { title: pr.title, body: `${notice}\n\n${pr.body}` });
    return {
      outcome: 'hands-off',
      url: pr?.url,
      branch: head,
      message: `left ${head} alone: a person pushed to it (${tip.oid.slice(0, 12)})${pr ? `; ${pr.url} says so` : '; no pull request is open for it: delete the branch to let imagestreams open a new one'}`,
    };
  }

  private async closeIfHeld(repo: GitRepo): Promise<PublishReport> {
    const link = repo.link;
    const base = link.branch;
    const head = headBranch(this.options.settings.branchTemplate, base);
    const tip = (await remoteBranchHeads(link, [head])).get(head);
    if (tip !== undefined) {
      const commit = await readRemoteTip(link, head, tip);
      if (!this.own(repo, commit)) return this.handsOff(head, base, commit);
    }
    const pr: PullRequest | undefined = await this.options.forge.findOpen(head, base);
    if (pr === undefined && tip === undefined) return { outcome: 'nothing', message: 'nothing to publish' };
    if (pr !== undefined) await this.options.forge.close(pr);
    if (tip !== undefined) await moveRemoteBranch(link, head, tip, 'delete');
    return {
      outcome: 'closed',
      url: pr?.url,
      branch: head,
      message: `${base} already holds everything: ${pr ? `closed ${pr.url}` : 'no pull request was open'}${tip ? ` and deleted ${head}` : ''}`,
    };
  }
}
