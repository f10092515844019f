/**
 * What happens to a commit a pass made: the seam for publishing. `commitPass` makes the commit and hands it to a
 * Publisher; the Publisher says how it reaches others. Two exist: pushing to the branch (or to `--push-branch`, which
 * GitRepo holds), and a pull request (publish-pr.ts: plan from the base, rebuild only the tool's own branch with a
 * lease, open, update or close one pull request per branch). The pass does not know which one it talks to.
 */
import type { ForgeError } from '../forge/forge.js';
import type { GitError, GitRepo } from '../gitsource/repo.js';
import type { FileChange, PassResult } from './pipeline.js';

/** A failure to publish: Git's (push refused, unreachable) or the forge's (refused, down). */
export type PublishError = GitError | ForgeError;

export interface PublishContext {
  readonly result: PassResult;
  /** The files in the commit (none when the pass found nothing to change). */
  readonly committed: readonly FileChange[];
}

/**
 * What a publisher did, for the report and the logs:
 * - `pushed`: the commit is on the branch (push mode);
 * - `opened`, `updated`: a pull request was opened, or its branch, title or body changed;
 * - `unchanged`: the change set is what the pull request already holds: nothing pushed, nothing edited;
 * - `closed`: the base already holds everything: the pull request was closed and the branch deleted;
 * - `hands-off`: a person pushed to the tool's branch; it is left alone (and the pull request says so);
 * - `nothing`: no change and no pull request to close.
 */
export interface PublishReport {
  readonly outcome: 'pushed' | 'opened' | 'updated' | 'unchanged' | 'closed' | 'hands-off' | 'nothing';
  readonly message: string;
  readonly url?: string | undefined;
  readonly branch?: string | undefined;
}

export interface Publisher {
  readonly name: string;
  /**
   * Publish the commit at HEAD. Throws GitError('push-rejected') when the remote moved on (the pass is then fetched
   * and planned again), other GitErrors when Git failed and ForgeErrors when the forge did; never forces anything
   * that is not the tool's own.
   */
  publish(repo: GitRepo, pass: PublishContext): Promise<PublishReport>;
  /** The pass found nothing to change: what is left to do (a pull request: close it when the base holds it all). */
  nothingToPublish?(repo: GitRepo, pass: PublishContext): Promise<PublishReport>;
  /** Called before each attempt of a pass, before any Git request (refresh credentials that expire). */
  beforePass?(): Promise<void>;
  /** Trailer lines for the commit message (the pull-request publisher's change-set fingerprint). */
  trailers?(committed: readonly FileChange[]): readonly string[];
  /**
   * Sources (tags' `from.name` as the planned files have them) whose imports this pass changed and this publisher
   * keeps away from what the next pass plans from (a pull request's branch): a daemon imports them again in its next
   * pass, as if notified, since nothing in the base would ask for them and that pass would take them out again.
   */
  carried?(result: PassResult): ReadonlySet<string>;
}

/** The sources a pass imports as if notified: the notified ones and those a publisher carried from the last pass. */
export function forcedSources(
  notified: ((from: string) => boolean) | undefined,
  carried: ReadonlySet<string>,
): ((from: string) => boolean) | undefined {
  if (carried.size === 0) return notified;
  return (from) => carried.has(from) || notified?.(from) === true;
}

export const pushToBranch: Publisher = {
  name: 'push',
  publish: async (repo) => {
    await repo.push();
    return { outcome: 'pushed', message: 'pushed' };
  },
};
