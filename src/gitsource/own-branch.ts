/**
 * A branch the tool owns on the remote (pull-request mode): read where it is, read the commit at its tip, and move
 * it with a lease. The move is one receive-pack request whose command names the commit the branch is expected to be
 * at; the server applies it only if the branch is still there (its ref update is compare-and-swap), so a person's
 * push that lands between our look and our push is never overwritten. The pack holds the objects the commit made
 * (its parent is the base branch's head, which the server has), as in receive-pack.ts.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { gitCache as cache } from './commit-tree.js';
import type { GitHttpClient } from './http.js';
import { collect } from './http.js';
import type { PackObject } from './receive-pack.js';
import { buildPack, pktLine, pktLines } from './receive-pack.js';
import type { GitAuthor, GitCredentials } from './repo.js';
import { classify, GitError } from './repo.js';

export interface RepoLink {
  readonly dir: string;
  readonly http: GitHttpClient;
  readonly url: string | undefined;
  readonly credentials: GitCredentials | undefined;
  readonly author: GitAuthor;
  readonly branch: string;
  readonly made: { readonly commit: string; readonly parent: string; readonly objects: ReadonlyMap<string, PackObject> } | undefined;
}

export interface TipCommit {
  readonly oid: string;
  readonly message: string;
  readonly committerEmail: string;
  readonly parents: readonly string[];
}

const zero = '0000000000000000000000000000000000000000';

/** The URL of a working tree's `origin`, if it has one. */
export async function originUrl(dir: string): Promise<string | undefined> {
  const url = await git.getConfig({ fs, dir, path: 'remote.origin.url' }).catch(() => undefined);
  return typeof url === 'string' && url !== '' ? url : undefined;
}

async function remoteUrl(link: RepoLink): Promise<string> {
  const url = link.url ?? (await git.getConfig({ fs, dir: link.dir, path: 'remote.origin.url' }).catch(() => undefined));
  if (typeof url !== 'string' || url === '') throw new GitError('not-found', `${link.dir} has no remote to publish to`);
  return url;
}

const auth = (link: RepoLink) => {
  const c = link.credentials;
  return c ? { onAuth: () => ({ username: c.username, password: c.password }) } : {};
};

/** Where each branch is on the remote now (undefined: no such branch). One small request per branch. */
export async function remoteBranchHeads(link: RepoLink, branches: readonly string[]): Promise<Map<string, string | undefined>> {
  const url = await remoteUrl(link);
  const heads = new Map<string, string | undefined>();
  for (const branch of branches) {
    const ref = `refs/heads/${branch}`;
    try {
      const refs = await git.listServerRefs({ http: link.http, url, prefix: ref, ...auth(link) });
      heads.set(branch, refs.find((r) => r.ref === ref)?.oid);
    } catch (err) {
      throw classify(err, `check the remote branch ${branch}`);
    }
  }
  return heads;
}

/** Fetch the branch's tip commit (depth 1) into the local repository and read it. */
export async function readRemoteTip(link: RepoLink, branch: string, oid: string): Promise<TipCommit> {
  const url = await remoteUrl(link);
  try {
    await git.fetch({
      fs,
      http: link.http,
      dir: link.dir,
      url,
      ref: branch,
      singleBranch: true,
      depth: 1,
      tags: false,
      cache,
      ...auth(link),
    });
    const { commit } = await git.readCommit({ fs, dir: link.dir, oid, cache });
    return { oid, message: commit.message, committerEmail: commit.committer.email, parents: commit.parent };
  } catch (err) {
    throw classify(err, `fetch ${branch}`);
  }
}

/**
 * Move the remote branch from `expected` (undefined: it must not exist) to the commit `commitFiles` made, or delete
 * it (`to: 'delete'`). Throws GitError('push-rejected') when the branch is elsewhere (the lease), and the usual
 * GitErrors when the server refuses or cannot be reached.
 */
export async function moveRemoteBranch(link: RepoLink, branch: string, expected: string | undefined, to: 'made' | 'delete'): Promise<void> {
  const url = (await remoteUrl(link)).replace(/\/+$/, '');
  const ref = `refs/heads/${branch}`;
  const made = link.made;
  if (to === 'made' && made === undefined) throw new Error('moveRemoteBranch: no commit was made in this process');
  const c = link.credentials;
  const headers: Record<string, string> = c
    ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }
    : {};
  const http = async (req: Parameters<GitHttpClient['request']>[0]) => {
    try {
      const res = await link.http.request(req);
      const body = await collect(res.body);
      if (res.statusCode !== 200)
        throw classify(
          { code: 'HttpError', message: `HTTP Error: ${res.statusCode}`, data: { statusCode: res.statusCode } },
          `push ${branch}`,
        );
      return body;
    } catch (err) {
      throw err instanceof GitError ? err : classify(err, `push ${branch}`);
    }
  };
  const advertisement = await http({
    url: `${url}/info/refs?service=git-receive-pack`,
    method: 'GET',
    headers: { ...headers, accept: 'application/x-git-receive-pack-advertisement' },
  });
  let current: string | undefined;
  let capabilities = '';
  for (const line of pktLines(advertisement)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    const nul = text.indexOf('\0');
    if (nul >= 0) capabilities = text.slice(nul + 1);
    const [oid, name] = (nul >= 0 ? text.slice(0, nul) : text).split(' ');
    if (name === ref) current = oid;
  }
  if (current !== expected)
    throw new GitError(
      'push-rejected',
      `push ${branch}: the branch moved (it is at ${current?.slice(0, 12) ?? 'nothing'}, not at ${expected?.slice(0, 12) ?? 'nothing'} as seen)`,
    );
  const caps = ['report-status', ...(to === 'delete' ? ['delete-refs'] : [])];
  if (!caps.every((cap) => capabilities.split(' ').includes(cap)))
    throw new GitError('unavailable', `push ${branch}: the server does not offer ${caps.join(' and ')}`);
  const next = to === 'made' ? (made as NonNullable<typeof made>).commit : zero;
  const body = [pktLine(`${expected ?? zero} ${next} ${ref}\0 ${caps.join(' ')}\n`), Buffer.from('0000', 'ascii')];
  if (to === 'made') body.push(buildPack((made as NonNullable<typeof made>).objects.values()));
  const answer = await http({
    url: `${url}/git-receive-pack`,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' },
    body,
  });
  let unpack: string | undefined;
  let status: string | undefined;
  for (const line of pktLines(answer)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('unpack ')) unpack = text.slice('unpack '.length);
    else if (text === `ok ${ref}`) status = 'ok';
    else if (text.startsWith(`ng ${ref} `)) status = text.slice(`ng ${ref} `.length);
  }
  if (to === 'made' && unpack !== 'ok')
    throw new GitError('push-rejected', `push ${branch}: the server could not unpack: ${unpack ?? 'no status'}`);
  if (status !== 'ok') throw new GitError('push-rejected', `push ${branch}: the server refused the update: ${status ?? 'no status'}`);
}
