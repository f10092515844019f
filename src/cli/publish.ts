/**
 * What happens to a commit a pass made: the seam for publishing. `commitPass` makes the commit and hands it to a
 * Publisher; the Publisher says how it reaches others. Today there is one, pushing to the branch (or to
 * `--push-branch`, which GitRepo holds); pull requests (plan from the base, rewrite only the tool's own branch, open or
 * update one PR per branch) are the next.
 */
import type { GitRepo } from '../gitsource/repo.js';

export interface Publisher {
  readonly name: string;
  /**
   * Publish the commit at HEAD. Throws GitError('push-rejected') when the remote moved on (the pass is then fetched
   * and planned again), and other GitErrors when Git failed; never forces anything.
   */
  publish(repo: GitRepo): Promise<void>;
}

export const pushToBranch: Publisher = {
  name: 'push',
  publish: (repo) => repo.push(),
};
