/**
 * A pass that lands in Git: make the clone equal to the remote head, reconcile, write (verified), commit only the
 * files the pass changed, push. A rejected push (someone else landed first) means: fetch, run the whole pass again
 * on the new head (re-plan from the definitions, never replay a diff), push again, with jittered backoff and a
 * bound. Nothing is ever forced; a human commit that landed meanwhile stays as it is, and ours goes on top.
 */
import path from 'node:path';
import { ForgeError } from '../forge/forge.js';
import type { GitRepo } from '../gitsource/repo.js';
import { GitError } from '../gitsource/repo.js';
import { commitMessage } from './commit-message.js';
import type { PublishError, Publisher, PublishReport } from './publish.js';
import { pushToBranch } from './publish.js';
import type { FileChange, PassOptions, PassResult } from './pipeline.js';
import { reconcilePass } from './pipeline.js';
import { FileChangedError, writeAll } from './write-files.js';

export interface CommitPassOptions {
  /** Publish the commit (with `publisher`, default: push to the branch); false commits only. */
  readonly push: boolean;
  readonly publisher?: Publisher;
  /**
   * A working tree a person owns (`--repo`, `reconcile --commit`): never re-cloned, files with uncommitted edits are
   * left alone. Otherwise the directory is the daemon's clone, a cache of the remote.
   */
  readonly localTree: boolean;
  /**
   * The daemon's clone only: skip the reset when the remote head equals HEAD (this process knows the working tree
   * equals HEAD: nothing was written since the last reset or landed commit).
   */
  readonly knownClean?: boolean;
  /**
   * A local tree after a rejected push (CI write-back): fetch, move to the new head and plan again, as the daemon
   * does, when the tree has no uncommitted edits. A person's tree with edits is never reset: the rejection is returned.
   */
  readonly retryLocal?: boolean;
  readonly maxPushRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** Called with the files about to be written (the daemon ignores its own writes in a watched tree). */
  readonly beforeWrite?: (changes: readonly FileChange[]) => void;
  /** Checked between steps: a stopping daemon or a pass past its deadline ends here, before the next step. */
  readonly signal?: AbortSignal;
}

export interface CommitPassResult {
  readonly result: PassResult;
  /** The files this pass wrote and committed (a subset of result.changes: held-back files are not). */
  readonly committed: readonly FileChange[];
  readonly commit: string | undefined;
  readonly pushed: boolean;
  readonly retries: number;
  /** Files the pass would change but a person has uncommitted edits in (local trees). */
  readonly heldBack: readonly string[];
  /** Set when a commit was made but could not be published: rejected past the retry bound, Git or the forge failed. */
  readonly publishError?: PublishError;
  /** What the publisher did (pushed; a pull request opened, updated, unchanged, closed; left to a person). */
  readonly publication?: PublishReport;
}

/**
 * Runs one landing pass. Outcomes:
 * - nothing to change: `commit` undefined (the working tree was still synced to the remote);
 * - committed (and `pushed` when `push`);
 * - committed but not published: `publishError` (rejected `maxPushRetries` times, or a local tree that cannot be
 *   reset, or the Git server failing the push);
 * - throws GitError when the clone cannot be made equal to the remote (fetch/clone failed), or the first write
 *   failed; throws the signal's reason when aborted between steps. Nothing half-written is ever committed.
 */
export async function commitPass(repo: GitRepo, pass: () => PassOptions, options: CommitPassOptions): Promise<CommitPassResult> {
  const max = options.maxPushRetries ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  let localBase: string | undefined;
  let last: CommitPassResult | undefined;
  const publisher = options.publisher ?? pushToBranch;
  for (let attempt = 0; ; attempt += 1) {
    options.signal?.throwIfAborted();
    // Credentials that expire are refreshed first. In a local tree the pass can go on without them (it needs no
    // fetch to plan), and the failure is reported as not published; the daemon's clone cannot.
    let early: ForgeError | undefined;
    if (options.push)
      await publisher.beforePass?.().catch((err: unknown) => {
        if (!(err instanceof ForgeError) || !options.localTree) throw err;
        early = err;
      });
    if (!options.localTree) {
      const skip = attempt === 0 && options.knownClean === true && (await repo.remoteHead()) === (await repo.head().catch(() => undefined));
      if (!skip) await repo.prepare();
    } else if (attempt > 0 && localBase !== undefined && last !== undefined) {
      try {
        await repo.fetchAndReset(localBase);
      } catch (err) {
        if (!(err instanceof GitError)) throw err;
        return { ...last, publishError: err };
      }
    }
    if (options.localTree && attempt === 0) localBase = await repo.head().catch(() => undefined);
    options.signal?.throwIfAborted();
    const passOptions = pass();
    const result = await reconcilePass(passOptions);
    const heldBack: string[] = [];
    const changes: Array<FileChange & { readonly rel: string }> = [];
    for (const c of result.changes) {
      const rel = path.relative(repo.dir, c.absolute).split(path.sep).join('/');
      if (options.localTree && (await repo.isModified(rel))) heldBack.push(rel);
      else changes.push({ ...c, rel });
    }
    const base = { result, committed: changes, retries: attempt, heldBack };
    if (changes.length === 0) {
      if (!options.push || publisher.nothingToPublish === undefined) return { ...base, commit: undefined, pushed: false };
      if (early) return { ...base, commit: undefined, pushed: false, publishError: early };
      try {
        return {
          ...base,
          commit: undefined,
          pushed: false,
          publication: await publisher.nothingToPublish(repo, { result, committed: [] }),
        };
      } catch (err) {
        if (!(err instanceof GitError || err instanceof ForgeError)) throw err;
        return { ...base, commit: undefined, pushed: false, publishError: err };
      }
    }
    options.signal?.throwIfAborted();
    options.beforeWrite?.(changes);
    await writeAll(changes).catch((err: unknown) => {
      // The file is not the text this pass planned from: what the load cache holds of it is stale (the next pass
      // reads it again instead of failing on the same stale parse).
      if (err instanceof FileChangedError) for (const f of err.files) passOptions.loadCache?.delete(f.absolute);
      throw err;
    });
    const commit = await repo.commitFiles(
      changes.map((c) => ({ path: c.rel, content: c.after })),
      withTrailers(commitMessage(result, changes), publisher.trailers?.(changes) ?? []),
    );
    if (!options.push) return { ...base, commit, pushed: false };
    if (early) return { ...base, commit, pushed: false, publishError: early };
    try {
      const publication = await publisher.publish(repo, { result, committed: changes });
      return { ...base, commit, pushed: publication.outcome !== 'hands-off', publication };
    } catch (err) {
      // The forge refused or is down: the commit (and the branch, if it was pushed) stay; the next pass tries again.
      if (err instanceof ForgeError) return { ...base, commit, pushed: false, publishError: err };
      if (!(err instanceof GitError)) throw err;
      const rejected = err.code === 'push-rejected';
      const resettable =
        !options.localTree ||
        (options.retryLocal === true && localBase !== undefined && heldBack.length === 0 && (await repo.modifiedFiles()).length === 0);
      if (!rejected || attempt >= max || !resettable) {
        const why =
          rejected && !resettable
            ? new GitError(
                'push-rejected',
                `${err.message}; the working tree has uncommitted edits, so it was not reset to the new head: pull, then run again`,
                { cause: err },
              )
            : err;
        return { ...base, commit, pushed: false, publishError: why };
      }
      last = { ...base, commit, pushed: false };
      options.onRetry?.(attempt + 1, err.message);
      await sleep(Math.floor(random() * Math.min(10_000, 250 * 2 ** attempt)));
    }
  }
}

/** Trailers go in a paragraph of their own at the end of the message, as `git interpret-trailers` reads them. */
function withTrailers(message: string, trailers: readonly string[]): string {
  return trailers.length === 0 ? message : `${message.trimEnd()}\n\n${trailers.join('\n')}\n`;
}
