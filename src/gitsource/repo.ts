/**
 * The Git edge, on isomorphic-git: clone (shallow, one branch) into a directory the daemon owns, fetch and move to
 * the remote head, commit exactly the files a pass changed, push (never forced), and tell the two kinds of
 * rejection apart. Work stays proportional to what changed: single-file status checks, no full-tree scans.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';

export type GitErrorCode = 'auth' | 'not-found' | 'push-rejected' | 'unavailable' | 'conflict';

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
    return this.code === 'unavailable' || this.code === 'push-rejected';
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
}

const cache = {};

function classify(err: unknown, what: string): GitError {
  const e = err as { code?: string; name?: string; message?: string; data?: { statusCode?: number; reason?: string } };
  const status = e.data?.statusCode;
  if (e.code === 'PushRejectedError' || e.name === 'PushRejectedError') return new GitError('push-rejected', `${what}: the remote has moved on (not a fast-forward)`, { cause: err });
  if (e.code === 'GitPushError' || e.name === 'GitPushError') return new GitError('push-rejected', `${what}: the server refused the push: ${e.message ?? ''}`.trim(), { cause: err });
  if (status === 401 || status === 403 || e.code === 'HttpError' && /401|403/.test(e.message ?? '')) return new GitError('auth', `${what}: the Git server refused the credentials`, { cause: err });
  if (status === 404 || e.code === 'NotFoundError') return new GitError('not-found', `${what}: not found: ${e.message ?? ''}`, { cause: err });
  return new GitError('unavailable', `${what}: ${e.message ?? String(err)}`, { cause: err });
}

export class GitRepo {
  constructor(private readonly options: RepoOptions) {}

  /** The branch a working tree has checked out (undefined when HEAD is detached). */
  static async currentBranch(dir: string): Promise<string | undefined> {
    return (await git.currentBranch({ fs, dir, fullname: false })) ?? undefined;
  }

  get dir(): string {
    return this.options.dir;
  }

  private get auth() {
    const c = this.options.credentials;
    return c ? { onAuth: () => ({ username: c.username, password: c.password }) } : {};
  }

  private get pushBranch(): string {
    return this.options.pushBranch ?? this.options.branch;
  }

  /** Clone once (shallow, single branch); later calls only fetch. */
  async ensureCloned(): Promise<void> {
    if (fs.existsSync(`${this.dir}/.git`)) return;
    if (!this.options.url) throw new GitError('not-found', `${this.dir} is not a Git working tree and no URL was given`);
    try {
      await git.clone({ fs, http, dir: this.dir, url: this.options.url, ref: this.options.branch, singleBranch: true, depth: 1, noTags: true, cache, ...this.auth });
    } catch (err) {
      throw classify(err, `clone ${this.options.url}`);
    }
  }

  private async remoteBranchExists(branch: string): Promise<boolean> {
    if (!this.options.url) return false;
    const refs = await git.listServerRefs({ http, url: this.options.url, prefix: `refs/heads/${branch}`, ...this.auth });
    return refs.some((r) => r.ref === `refs/heads/${branch}`);
  }

  /** The commit the remote branch points at now: one small request, no objects. */
  async remoteHead(): Promise<string | undefined> {
    if (!this.options.url) return undefined;
    try {
      const refs = await git.listServerRefs({ http, url: this.options.url, prefix: `refs/heads/${this.options.branch}`, ...this.auth });
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
   * is a hard reset: whatever a failed pass left behind goes.
   */
  async syncToRemote(): Promise<string> {
    try {
      // With a separate push branch, plan from it when it exists, so our earlier commits there are the base.
      const base = this.pushBranch !== this.options.branch && (await this.remoteBranchExists(this.pushBranch)) ? this.pushBranch : this.options.branch;
      const result = await git.fetch({ fs, http, dir: this.dir, ref: base, singleBranch: true, depth: 1, tags: false, cache, ...this.auth });
      const oid = result.fetchHead;
      if (!oid) throw new GitError('not-found', `the remote has no branch ${this.options.branch}`);
      await git.writeRef({ fs, dir: this.dir, ref: `refs/heads/${this.options.branch}`, value: oid, force: true });
      await git.checkout({ fs, dir: this.dir, ref: this.options.branch, force: true, cache });
      return oid;
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw classify(err, 'fetch');
    }
  }

  /** True when a file differs from HEAD in the working tree or the index (a person's uncommitted edit). */
  async isModified(filepath: string): Promise<boolean> {
    const s = await git.status({ fs, dir: this.dir, filepath, cache });
    return !(s === 'unmodified' || s === 'absent' || s === 'ignored');
  }

  /**
   * Commit exactly these files' contents on top of HEAD, building the new tree from HEAD's (only the changed paths'
   * trees are rewritten). The index is not used, so nothing a person staged is swept into the commit; afterwards
   * the index entries of these files are set to the new commit. Returns the new commit.
   */
  async commitFiles(files: ReadonlyArray<{ readonly path: string; readonly content: string }>, message: string): Promise<string> {
    const head = await this.head();
    const { commit } = await git.readCommit({ fs, dir: this.dir, oid: head, cache });
    const tree = await this.updateTree(commit.tree, files.map((f) => ({ parts: f.path.split('/'), content: f.content })));
    const { name, email } = this.options.author;
    const oid = await git.commit({ fs, dir: this.dir, message, author: { name, email }, tree, parent: [head], cache });
    for (const f of files) await git.resetIndex({ fs, dir: this.dir, filepath: f.path, cache });
    return oid;
  }

  private async updateTree(treeOid: string | undefined, changes: ReadonlyArray<{ parts: string[]; content: string }>): Promise<string> {
    const entries = treeOid ? [...(await git.readTree({ fs, dir: this.dir, oid: treeOid, cache })).tree] : [];
    const groups = new Map<string, Array<{ parts: string[]; content: string }>>();
    for (const c of changes) {
      const [first, ...rest] = c.parts;
      if (first === undefined) continue;
      if (rest.length === 0) {
        const blob = await git.writeBlob({ fs, dir: this.dir, blob: Buffer.from(c.content, 'utf8') });
        const i = entries.findIndex((e) => e.path === first);
        const entry = { mode: i >= 0 ? (entries[i] as { mode: string }).mode : '100644', path: first, oid: blob, type: 'blob' as const };
        if (i >= 0) entries[i] = entry;
        else entries.push(entry);
      } else {
        groups.set(first, [...(groups.get(first) ?? []), { parts: rest, content: c.content }]);
      }
    }
    for (const [dirName, sub] of groups) {
      const i = entries.findIndex((e) => e.path === dirName && e.type === 'tree');
      const oid = await this.updateTree(i >= 0 ? (entries[i] as { oid: string }).oid : undefined, sub);
      const entry = { mode: '040000', path: dirName, oid, type: 'tree' as const };
      if (i >= 0) entries[i] = entry;
      else entries.push(entry);
    }
    return git.writeTree({ fs, dir: this.dir, tree: entries });
  }

  /** Push HEAD to the push branch; never forced. Rejections come back as GitError('push-rejected'). */
  async push(): Promise<void> {
    try {
      const result = await git.push({ fs, http, dir: this.dir, ref: 'HEAD', remoteRef: `refs/heads/${this.pushBranch}`, cache, ...this.auth });
      if (!result.ok) throw new GitError('push-rejected', `push refused: ${result.error ?? 'unknown reason'}`);
      const refResult = result.refs[`refs/heads/${this.pushBranch}`];
      if (refResult && !refResult.ok) throw new GitError('push-rejected', `push refused: ${refResult.error ?? 'unknown reason'}`);
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw classify(err, 'push');
    }
  }

  async hasRemote(): Promise<boolean> {
    const remotes = await git.listRemotes({ fs, dir: this.dir });
    return remotes.length > 0;
  }
}
