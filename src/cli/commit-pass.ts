/**
 * A pass that lands in Git: sync to the remote head, reconcile, write (verified), commit only the files the pass
 * changed, push. A rejected push (someone else landed first) means: fetch, run the whole pass again on the new head
 * (re-plan from the definitions, never replay a diff), push again, with jittered backoff and a bound. Nothing is
 * ever forced; a human commit that landed meanwhile stays as it is, and ours goes on top.
 */
import path from 'node:path';
import type { GitRepo } from '../gitsource/repo.js';
import { GitError } from '../gitsource/repo.js';
import { commitMessage } from './commit-message.js';
import type { FileChange, PassOptions, PassResult } from './pipeline.js';
import { reconcilePass } from './pipeline.js';
import { writeAll } from './write-files.js';

export interface CommitPassOptions {
  readonly push: boolean;
  /** A local working tree a person also edits: leave files with uncommitted edits alone. */
  readonly localTree: boolean;
  readonly maxPushRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** Called with the files about to be written (the daemon ignores its own writes in a watched tree). */
  readonly beforeWrite?: (changes: readonly FileChange[]) => void;
}

export interface CommitPassResult {
  readonly result: PassResult;
  readonly commit: string | undefined;
  readonly pushed: boolean;
  readonly retries: number;
  /** Files the pass would change but a person has uncommitted edits in (local trees). */
  readonly heldBack: readonly string[];
}

export async function commitPass(repo: GitRepo, pass: () => PassOptions, options: CommitPassOptions): Promise<CommitPassResult> {
  const max = options.maxPushRetries ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt += 1) {
    if (options.push && !options.localTree) {
      const remote = await repo.remoteHead();
      if (attempt > 0 || remote === undefined || remote !== (await repo.head())) await repo.syncToRemote();
    }
    const passOptions = pass();
    const result = await reconcilePass(passOptions);
    const heldBack: string[] = [];
    const changes: Array<FileChange & { readonly rel: string }> = [];
    for (const c of result.changes) {
      const rel = path.relative(repo.dir, c.absolute).split(path.sep).join('/');
      if (options.localTree && (await repo.isModified(rel))) heldBack.push(rel);
      else changes.push({ ...c, rel });
    }
    if (changes.length === 0) return { result, commit: undefined, pushed: false, retries: attempt, heldBack };
    options.beforeWrite?.(changes);
    await writeAll(changes);
    const commit = await repo.commitFiles(
      changes.map((c) => ({ path: c.rel, content: c.after })),
      commitMessage({ ...result, changes }),
    );
    if (!options.push) return { result, commit, pushed: false, retries: attempt, heldBack };
    try {
      await repo.push();
      return { result, commit, pushed: true, retries: attempt, heldBack };
    } catch (err) {
      // A person's working tree is never reset under them: a rejected push there is reported, not retried.
      if (!(err instanceof GitError) || err.code !== 'push-rejected' || attempt >= max || options.localTree) throw err;
      options.onRetry?.(attempt + 1, err.message);
      await sleep(Math.floor(random() * Math.min(10_000, 250 * 2 ** attempt)));
    }
  }
}
