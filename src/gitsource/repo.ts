/**
 * The Git edge, on isomorphic-git: clone (shallow, one branch) into a directory the daemon owns, fetch and move to
 * the remote head, commit exactly the files a pass changed, push (never forced), and tell the two kinds of
 * rejection apart. Work stays proportional to what changed: single-file status checks, no full-tree scans.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { gitCache as cache, indexCommitted, updateTree } from './commit-tree.js';
import type { GitHttpClient } from './http.js';
import { gitHttpClient } from './http.js';
import { discardDamagedIndex, removeLeftovers } from './workdir.js';
import type { RepoLink } from './own-branch.js';
import type { PackObject } from './receive-pack.js';
import { receivePack } from './receive-pack.js';

export type GitErrorCode = 'auth' | 'not-found' | 'push-rejected' | 'unavailable' | 'aborted';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get transient(): boolean {
    return this.code === 'unavailable' || this.code === 'push-rejected' || this.code === 'aborted';
  }
}

export interface GitCredentials {
  readonly username: string;
  readonly password: string;
}

export interface GitAuthor {
  readonly name: string;
  readonly email: string;
}

export interface RepoOptions {
  readonly dir: string;
  readonly url?: string | undefined;
  readonly branch: string;
  /** Where commits go (default: the branch itself). */
  readonly pushBranch?: string | undefined;
  readonly credentials?: GitCredentials | undefined;
  readonly author: GitAuthor;
  /** The HTTP client (default: undici with timeouts); the daemon passes one that follows the pass's AbortSignal. */
  readonly http?: GitHttpClient | undefined;
  /**
   * Keep the index in step with each commit (default true). The daemon's own clone passes false: it is hard-reset
   * (a forced checkout, `resetTo`) before every pass that plans from a new head, and nothing reads its index in
   * between, so `commitFiles` only records paths HEAD did not have (so that a checkout that drops them deletes them
   * instead of leaving them untracked). Until that reset, `git status` in the clone shows the committed files as
   * changed in the index; the working tree and HEAD agree.
   */
  readonly maintainIndex?: boolean | undefined;
}

/** A file `writeAll` stages before renaming it into place. */
const temporaryFile = /^\..+\.imagestreams-[0-9a-f]+\.tmp$/;

/** `scheme://user:password@host` → `scheme://host`: what an error message or a log line may show of a URL. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1');
}

export function classify(err: unknown, what: string): GitError {
  const e = err as { code?: string; name?: string; message?: string; data?: { statusCode?: number; reason?: string } };
  const status = e.data?.statusCode;
  const detail = redactUrlCredentials(e.message ?? String(err));
  const make = (code: GitErrorCode, message: string): GitError => new GitError(code, redactUrlCredentials(message), { cause: err });
  if (e.code === 'PushRejectedError' || e.name === 'PushRejectedError')
    return make('push-rejected', `${what}: the remote has moved on (not a fast-forward)`);
  if (e.code === 'GitPushError' || e.name === 'GitPushError')
    return make('push-rejected', `${what}: the server refused the push: ${detail}`.trim());
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR' || e.code === 'UND_ERR_ABORTED')
    return make('aborted', `${what}: stopped (the pass ran out of time or the daemon is stopping)`);
  if (status === 401 || status === 403 || (e.code === 'HttpError' && /\b(401|403)\b/.test(e.message ?? '')))
    return make(
      'auth',
      `${what}: the Git server refused the credentials (HTTP ${status ?? /\b(401|403)\b/.exec(e.message ?? '')?.[1] ?? ''})`,
    );
  if (status === 404 || e.code === 'NotFoundError' || (e.code === 'HttpError' && /\b404\b/.test(e.message ?? '')))
    return make('not-found', `${what}: not found: ${detail}`);
  return make('unavailable', `${what}: ${detail}`);
}

export class GitRepo {
  private readonly http: GitHttpClient;
  /** The last commit `commitFiles` made and every object it wrote, for a push that need not walk the trees. */
  private made: { readonly commit: string; readonly parent: string; readonly objects: Map<string, PackObject> } | undefined;

  constructor(private readonly options: RepoOptions) {
    this.http = options.http ?? defaultHttp();
  }

  /** The branch a working tree has checked out (undefined when HEAD is detached). */
  static async currentBranch(dir: string): Promise<string | undefined> {
    return (await git.currentBranch({ fs, dir, fullname: false })) ?? undefined;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** The remote URL as it may be printed (credentials never live in it: see RepoOptions.url). */
  get url(): string | undefined {
    return this.options.url;
  }

  /** What own-branch.ts needs: how to reach the remote, the author, and the last commit `commitFiles` made. */
  get link(): RepoLink {
    const { url, credentials, author, branch } = this.options;
    return { dir: this.dir, http: this.http, url, credentials, author, branch, made: this.made };
  }

  private get auth() {
    const c = this.options.credentials;
    return c ? { onAuth: () => ({ username: c.username, password: c.password }) } : {};
  }

  private get pushBranch(): string {
    return this.options.pushBranch ?? this.options.branch;
  }

  /**
   * Is the directory a complete clone of this repository's branch? A clone killed half-way, or a directory that
   * holds another repository, is not: its HEAD, branch ref, commit or remote URL is missing or different.
   */
  async isCompleteClone(): Promise<boolean> {
    if (!fs.existsSync(path.join(this.dir, '.git'))) return false;
    try {
      const head = await git.resolveRef({ fs, dir: this.dir, ref: 'HEAD' });
      const branch = await git.resolveRef({ fs, dir: this.dir, ref: `refs/heads/${this.options.branch}` });
      if (head !== branch) return false;
      await git.readCommit({ fs, dir: this.dir, oid: head, cache });
      if (this.options.url) {
        const remote = await git.getConfig({ fs, dir: this.dir, path: 'remote.origin.url' });
        if (remote !== this.options.url) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** See workdir.ts: an index a killed process left empty or cut short is removed (the next checkout rebuilds it). */
  private discardDamagedIndex(): void {
    discardDamagedIndex(this.dir);
  }

  /** Clone once (shallow, single branch) when the directory is not already a complete clone. */
  async ensureCloned(): Promise<void> {
    if (await this.isCompleteClone()) return;
    await this.cloneFresh();
  }

  /**
   * Clone into a temporary sibling directory, then move it into place, so that a process killed during the clone
   * leaves no half-made `.git` where the next start would find it. Whatever the directory held is discarded: it is
   * the daemon's, a cache of the remote.
   */
  async cloneFresh(): Promise<void> {
    if (!this.options.url) throw new GitError('not-found', `${this.dir} is not a Git working tree and no URL was given`);
    const parent = path.dirname(this.dir);
    fs.mkdirSync(parent, { recursive: true });
    const tmp = `${this.dir}.clone-${randomBytes(4).toString('hex')}`;
    try {
      await git.clone({
        fs,
        http: this.http,
        dir: tmp,
        url: this.options.url,
        ref: this.options.branch,
        singleBranch: true,
        depth: 1,
        noTags: true,
        cache,
        ...this.auth,
      });
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw classify(err, `clone ${this.options.url}`);
    }
    if (fs.existsSync(this.dir)) {
      // Remove `.git` first: a crash from here on leaves a directory the next start recognises as incomplete.
      fs.rmSync(path.join(this.dir, '.git'), { recursive: true, force: true });
      for (const entry of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, entry), { recursive: true, force: true });
      try {
        fs.rmdirSync(this.dir);
      } catch {
        // a mount point: move the clone's entries in, `.git` last
      }
    }
    if (!fs.existsSync(this.dir)) {
      fs.renameSync(tmp, this.dir);
      return;
    }
    const entries = fs.readdirSync(tmp).sort((a, b) => (a === '.git' ? 1 : b === '.git' ? -1 : 0));
    for (const entry of entries) fs.renameSync(path.join(tmp, entry), path.join(this.dir, entry));
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  /** Temporary files and abandoned clones an interrupted run left (workdir.ts); returns how many were removed. */
  async removeLeftovers(): Promise<number> {
    return removeLeftovers(this.dir, temporaryFile);
  }

  /**
   * Make the daemon's clone exactly the remote head, whatever state an earlier run left it in: an incomplete clone
   * is discarded and cloned again; otherwise the branch is fetched and the working tree hard-reset to it (leftover
   * writes, a moved ref and local commits that were never pushed all go). Returns the head planned from.
   */
  async prepare(): Promise<{ readonly head: string; readonly recloned: boolean }> {
    this.discardDamagedIndex();
    if (!(await this.isCompleteClone())) {
      await this.cloneFresh();
      // A fresh clone is the remote head, but with --push-branch the plan starts from that branch when it exists.
      if (this.pushBranch === this.options.branch) return { head: await this.head(), recloned: true };
      return { head: await this.syncToRemote(), recloned: true };
    }
    try {
      return { head: await this.syncToRemote(), recloned: false };
    } catch (err) {
      if (err instanceof GitError && err.code !== 'unavailable') throw err;
      // The remote answers but the sync failed: the damage is in the clone (an index or an object a killed process
      // left half-written). It is a cache: start again from a fresh clone.
      const reachable = await this.remoteHead().then(
        (h) => h !== undefined,
        () => false,
      );
      if (!reachable) throw err;
      await this.cloneFresh();
      return { head: this.pushBranch === this.options.branch ? await this.head() : await this.syncToRemote(), recloned: true };
    }
  }

  private async remoteBranchExists(branch: string): Promise<boolean> {
    if (!this.options.url) return false;
    const refs = await git.listServerRefs({ http: this.http, url: this.options.url, prefix: `refs/heads/${branch}`, ...this.auth });
    return refs.some((r) => r.ref === `refs/heads/${branch}`);
  }

  /** The commit the remote branch points at now: one small request, no objects. */
  async remoteHead(): Promise<string | undefined> {
    if (!this.options.url) return undefined;
    try {
      const refs = await git.listServerRefs({
        http: this.http,
        url: this.options.url,
        prefix: `refs/heads/${this.options.branch}`,
        ...this.auth,
      });
      return refs.find((r) => r.ref === `refs/heads/${this.options.branch}`)?.oid;
    } catch (err) {
      throw classify(err, 'check the remote branch');
    }
  }

  async head(): Promise<string> {
    return git.resolveRef({ fs, dir: this.dir, ref: 'HEAD' });
  }

  /**
   * Fetch the branch and make the working tree exactly the remote head. The daemon owns this directory, so this
   * is a hard reset: whatever a failed pass left behind goes, including edits to files HEAD already has.
   */
  async syncToRemote(): Promise<string> {
    try {
      // With a separate push branch, plan from it when it exists, so our earlier commits there are the base.
      const base =
        this.pushBranch !== this.options.branch && (await this.remoteBranchExists(this.pushBranch)) ? this.pushBranch : this.options.branch;
      const result = await git.fetch({
        fs,
        http: this.http,
        dir: this.dir,
        ref: base,
        singleBranch: true,
        depth: 1,
        tags: false,
        cache,
        ...this.auth,
      });
      const oid = result.fetchHead;
      if (!oid) throw new GitError('not-found', `the remote has no branch ${base}`);
      await this.resetTo(oid);
      return oid;
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw classify(err, 'fetch');
    }
  }

  /** Point the branch at `oid` and make every tracked file its content there (a forced checkout). */
  async resetTo(oid: string): Promise<void> {
    await git.writeRef({ fs, dir: this.dir, ref: `refs/heads/${this.options.branch}`, value: oid, force: true });
    await git.writeRef({ fs, dir: this.dir, ref: 'HEAD', value: `refs/heads/${this.options.branch}`, force: true, symbolic: true });
    await git.checkout({ fs, dir: this.dir, ref: this.options.branch, force: true, cache });
  }

  /** Tracked files whose working copy or index differs from HEAD (one walk over the tree). */
  async modifiedFiles(): Promise<string[]> {
    const matrix = await git.statusMatrix({ fs, dir: this.dir, cache, filter: (f) => !temporaryFile.test(path.basename(f)) });
    return matrix.filter(([, headStatus, work, stage]) => headStatus === 1 && (work !== 1 || stage !== 1)).map(([f]) => f);
  }

  /** True when a file differs from HEAD in the working tree or the index (a person's uncommitted edit). */
  async isModified(filepath: string): Promise<boolean> {
    const s = await git.status({ fs, dir: this.dir, filepath, cache });
    return !(s === 'unmodified' || s === 'absent' || s === 'ignored');
  }

  /**
   * Commit exactly these files' contents on top of HEAD, building the new tree from HEAD's (only the changed paths'
   * trees are rewritten). The index is not used, so nothing a person staged is swept into the commit; afterwards
   * the index entries of these files are set to the new commit, written once for the whole commit (with
   * `maintainIndex: false`, only for paths HEAD did not have). Returns the new commit.
   */
  async commitFiles(files: ReadonlyArray<{ readonly path: string; readonly content: string }>, message: string): Promise<string> {
    const head = await this.head();
    const { commit } = await git.readCommit({ fs, dir: this.dir, oid: head, cache });
    const added: string[] = [];
    const objects = new Map<string, PackObject>();
    this.made = undefined;
    const tree = await updateTree(
      this.dir,
      commit.tree,
      files.map((f) => ({ parts: f.path.split('/'), content: f.content, path: f.path })),
      added,
      objects,
    );
    const { name, email } = this.options.author;
    const oid = await git.commit({ fs, dir: this.dir, message, author: { name, email }, tree, parent: [head], cache });
    const { object } = await git.readObject({ fs, dir: this.dir, oid, format: 'content', cache });
    objects.set(oid, { type: 'commit', content: Buffer.from(object as Uint8Array) });
    this.made = { commit: oid, parent: head, objects };
    const fresh = new Set(added);
    const indexed = this.options.maintainIndex === false ? files.filter((f) => fresh.has(f.path)) : files;
    await indexCommitted(this.dir, indexed);
    return oid;
  }

  /** Push HEAD to the push branch; never forced. Rejections come back as GitError('push-rejected'). */
  async push(): Promise<void> {
    if (await this.pushMade()) return;
    try {
      const result = await git.push({
        fs,
        http: this.http,
        dir: this.dir,
        ref: 'HEAD',
        remoteRef: `refs/heads/${this.pushBranch}`,
        cache,
        ...this.auth,
      });
      if (!result.ok) throw new GitError('push-rejected', `push refused: ${result.error ?? 'unknown reason'}`);
      const refResult = result.refs[`refs/heads/${this.pushBranch}`];
      if (refResult && !refResult.ok) throw new GitError('push-rejected', `push refused: ${refResult.error ?? 'unknown reason'}`);
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw classify(err, 'push');
    }
  }

  /**
   * The daemon's clone, when HEAD is the commit `commitFiles` made and the remote branch is at its parent: send a
   * pack of the objects that commit made (receive-pack.ts) instead of letting isomorphic-git find them by walking
   * both trees. False when that does not apply; then `push` uses isomorphic-git.
   */
  private async pushMade(): Promise<boolean> {
    const made = this.made;
    const url = this.options.url;
    if (made === undefined || url === undefined || !/^https?:\/\//i.test(url)) return false;
    if ((await this.head().catch(() => undefined)) !== made.commit) return false;
    const ref = `refs/heads/${this.pushBranch}`;
    const result = await receivePack({ http: this.http, url, credentials: this.options.credentials, ref, made }).catch((err: unknown) => {
      throw classify(err, 'push');
    });
    if (result === undefined) return false;
    if ('httpStatus' in result)
      throw classify({ code: 'HttpError', message: `HTTP Error: ${result.httpStatus}`, data: { statusCode: result.httpStatus } }, 'push');
    if (!result.ok) throw new GitError('push-rejected', `push: the server refused the push: ${ref}: ${result.reason}`);
    this.made = undefined;
    await git.writeRef({ fs, dir: this.dir, ref: `refs/remotes/origin/${this.pushBranch}`, value: made.commit, force: true });
    return true;
  }

  /**
   * For a local working tree after a rejected push: fetch the branch from `origin` and move the branch and the
   * working tree to it, dropping our own unpushed commit (the pass plans it again). Refused (GitError
   * 'push-rejected') unless `base`, the commit ours was made on, is already on the remote: a tree with commits of
   * its own that were never pushed is not reset. The caller checks that there are no uncommitted edits.
   */
  async fetchAndReset(base: string): Promise<string> {
    const branch = (await GitRepo.currentBranch(this.dir)) ?? this.options.branch;
    let oid: string | undefined;
    try {
      const url = this.options.url ?? (await git.getConfig({ fs, dir: this.dir, path: 'remote.origin.url' }));
      const result = await git.fetch({
        fs,
        http: this.http,
        dir: this.dir,
        url,
        remote: 'origin',
        ref: branch,
        singleBranch: true,
        tags: false,
        cache,
        ...this.auth,
      });
      oid = result.fetchHead ?? undefined;
    } catch (err) {
      throw classify(err, 'fetch');
    }
    if (!oid) throw new GitError('not-found', `the remote has no branch ${branch}`);
    const contained =
      oid === base || (await git.isDescendent({ fs, dir: this.dir, oid, ancestor: base, depth: 10_000, cache }).catch(() => false));
    if (!contained)
      throw new GitError(
        'push-rejected',
        `the push was rejected and ${branch} has commits that are not on the remote; not resetting it: pull, then run again`,
      );
    await git.writeRef({ fs, dir: this.dir, ref: `refs/heads/${branch}`, value: oid, force: true });
    await git.checkout({ fs, dir: this.dir, ref: branch, force: true, cache });
    return oid;
  }

  async hasRemote(): Promise<boolean> {
    const remotes = await git.listRemotes({ fs, dir: this.dir });
    return remotes.length > 0;
  }
}

let shared: GitHttpClient | undefined;
function defaultHttp(): GitHttpClient {
  shared ??= gitHttpClient();
  return shared;
}
