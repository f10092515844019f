/**
 * GitRepo.commitFiles against the real git http-backend: the daemon's clone keeps no index (maintainIndex: false),
 * a local tree has its index written once per commit. Both must leave the remote with exactly the new contents and
 * objects `git fsck --strict` accepts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { GitHttpClient } from '../../src/gitsource/http.js';
import { gitHttpClient } from '../../src/gitsource/http.js';
import { GitRepo } from '../../src/gitsource/repo.js';
import { createBareRepo, git, gitAsync, startGitServer } from '../support/git-server.js';

const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-commit-index-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const author = { name: 'bot', email: 'bot@example.com' };

/** Names chosen so that Git's tree order (a folder sorts as `name/`) differs from plain string order. */
const seed: Record<string, string> = {
  'top.yaml': 'top: 1\n',
  'a.b': 'dot\n',
  'a-b': 'dash\n',
  'a/x.yaml': 'x: 1\n',
  'a/y.yaml': 'y: 1\n',
  'deep/er/z.yaml': 'z: 1\n',
  'other/keep.yaml': 'keep: 1\n',
};

/** path → content of every file at the remote branch's head, read with the git CLI. */
async function remoteFiles(name: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(path.join(work, 'check-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  const out: Record<string, string> = {};
  for (const f of git(['ls-files'], dir).split('\n').filter(Boolean)) out[f] = readFileSync(path.join(dir, f), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const changes = [
  { path: 'top.yaml', content: 'top: 2\n' },
  { path: 'a/y.yaml', content: 'y: 2\n' },
  { path: 'deep/er/z.yaml', content: 'z: 2\n' },
  { path: 'a/new.yaml', content: 'new: 1\n' },
  { path: 'fresh/dir/n.yaml', content: 'n: 1\n' },
];
const expected = {
  ...seed,
  ...Object.fromEntries(changes.map((c) => [c.path, c.content])),
};

async function commitAndPush(repo: GitRepo): Promise<string> {
  for (const c of changes) {
    const p = path.join(repo.dir, c.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, c.content);
  }
  const oid = await repo.commitFiles(changes, 'bot: update');
  await repo.push();
  return oid;
}

describe('commitFiles and the index', () => {
  it("the daemon's clone (no index): the remote has exactly the new contents, and the next reset leaves `git status` clean", async () => {
    const bare = createBareRepo(projectRoot, 'noindex', { files: seed });
    const dir = path.join(work, 'noindex');
    const sent: string[] = [];
    const inner = gitHttpClient();
    const http: GitHttpClient = {
      async request(req) {
        if (req.method === 'POST' && req.body) {
          const chunks: Uint8Array[] = [];
          for await (const c of req.body as AsyncIterable<Uint8Array>) chunks.push(c);
          const body = Buffer.concat(chunks);
          sent.push(body.subarray(0, 200).toString('latin1'));
          return inner.request({ ...req, body: [body] });
        }
        return inner.request(req);
      },
    };
    const repo = new GitRepo({ dir, url: `${gitUrl}/noindex.git`, branch: 'main', author, maintainIndex: false, http });
    await repo.ensureCloned();
    const before = git(['ls-tree', '-r', 'HEAD'], dir);
    const oid = await commitAndPush(repo);
    expect(git(['rev-parse', 'main'], bare)).toBe(oid);
    // The push sent the pack of the objects the commit made (receive-pack.ts), not isomorphic-git's.
    const push = sent.find((b) => b.includes('refs/heads/main'));
    expect(push).toContain(`${oid} refs/heads/main\0 report-status\n0000PACK`);
    expect(git(['rev-parse', 'origin/main'], dir)).toBe(oid);
    expect(await remoteFiles('noindex')).toEqual(expected);
    git(['fsck', '--strict', '--no-dangling'], bare);
    git(['fsck', '--strict', '--no-dangling'], dir);
    // Untouched files keep their blobs.
    const after = git(['ls-tree', '-r', 'HEAD'], dir);
    for (const f of ['a.b', 'a-b', 'a/x.yaml', 'other/keep.yaml']) {
      const line = (s: string) => s.split('\n').find((l) => l.endsWith(`\t${f}`));
      expect(line(after)).toBe(line(before));
    }
    // The index was not maintained: the committed files show as staged changes until the next reset.
    expect(git(['status', '--porcelain'], dir)).not.toBe('');
    const { head } = await repo.prepare();
    expect(head).toBe(oid);
    expect(git(['status', '--porcelain', '--untracked-files=all'], dir)).toBe('');
    await repo.resetTo(oid);
    expect(git(['status', '--porcelain', '--untracked-files=all'], dir)).toBe('');
  });

  it("the daemon's clone: files a commit added are tracked, so a later upstream deletion removes them", async () => {
    createBareRepo(projectRoot, 'noindex-del', { files: seed });
    const dir = path.join(work, 'noindex-del');
    const repo = new GitRepo({ dir, url: `${gitUrl}/noindex-del.git`, branch: 'main', author, maintainIndex: false });
    await repo.ensureCloned();
    await commitAndPush(repo);
    const human = mkdtempSync(path.join(work, 'human-'));
    await gitAsync(['clone', '-q', `${gitUrl}/noindex-del.git`, human]);
    git(['rm', '-q', 'fresh/dir/n.yaml', 'a/new.yaml', 'a/y.yaml'], human);
    git(['commit', '-qm', 'a person removes files'], human);
    await gitAsync(['push', '-q', 'origin', 'main'], human);
    await repo.prepare();
    expect(existsSync(path.join(dir, 'fresh/dir/n.yaml'))).toBe(false);
    expect(existsSync(path.join(dir, 'a/new.yaml'))).toBe(false);
    expect(existsSync(path.join(dir, 'a/y.yaml'))).toBe(false);
    expect(readFileSync(path.join(dir, 'top.yaml'), 'utf8')).toBe('top: 2\n');
    expect(git(['status', '--porcelain', '--untracked-files=all'], dir)).toBe('');
    // And another commit on top of the person's is still correct.
    const next = [{ path: 'top.yaml', content: 'top: 3\n' }];
    writeFileSync(path.join(dir, 'top.yaml'), 'top: 3\n');
    await repo.commitFiles(next, 'bot: again');
    await repo.push();
    const remote = await remoteFiles('noindex-del');
    expect(remote['top.yaml']).toBe('top: 3\n');
    expect(Object.keys(remote).sort()).toEqual(['a-b', 'a.b', 'a/x.yaml', 'deep/er/z.yaml', 'other/keep.yaml', 'top.yaml']);
  });

  it("the daemon's clone: a push after the remote moved is rejected; the same change made again on the new head lands whole", async () => {
    const bare = createBareRepo(projectRoot, 'noindex-moved', { files: seed });
    const dir = path.join(work, 'noindex-moved');
    const repo = new GitRepo({ dir, url: `${gitUrl}/noindex-moved.git`, branch: 'main', author, maintainIndex: false });
    await repo.ensureCloned();
    const human = mkdtempSync(path.join(work, 'human-'));
    await gitAsync(['clone', '-q', `${gitUrl}/noindex-moved.git`, human]);
    writeFileSync(path.join(human, 'other/keep.yaml'), 'keep: person\n');
    git(['commit', '-qam', 'a person edits keep'], human);
    await gitAsync(['push', '-q', 'origin', 'main'], human);
    for (const c of changes) {
      mkdirSync(path.dirname(path.join(dir, c.path)), { recursive: true });
      writeFileSync(path.join(dir, c.path), c.content);
    }
    await repo.commitFiles(changes, 'bot: update');
    await expect(repo.push()).rejects.toMatchObject({ code: 'push-rejected' });
    // Planned again on the new head: the same blobs are already in the clone, and must still be sent.
    await repo.prepare();
    const oid = await commitAndPush(repo);
    expect(git(['rev-parse', 'main'], bare)).toBe(oid);
    git(['fsck', '--strict', '--no-dangling'], bare);
    expect(await remoteFiles('noindex-moved')).toEqual({ ...expected, 'other/keep.yaml': 'keep: person\n' });
  });

  it("the daemon's clone behind Basic auth: the push carries the credentials; wrong ones are an 'auth' error", async () => {
    const server = await startGitServer({ users: { bot: 'secret' }, anonymousRead: true });
    try {
      createBareRepo(server.projectRoot, 'private', { files: seed });
      const wrong = new GitRepo({
        dir: path.join(work, 'private-wrong'),
        url: `${server.url}/private.git`,
        branch: 'main',
        author,
        maintainIndex: false,
        credentials: { username: 'bot', password: 'nope' },
      });
      await wrong.ensureCloned();
      writeFileSync(path.join(wrong.dir, 'top.yaml'), 'top: 2\n');
      await wrong.commitFiles([{ path: 'top.yaml', content: 'top: 2\n' }], 'bot: update');
      await expect(wrong.push()).rejects.toMatchObject({ code: 'auth' });
      const repo = new GitRepo({
        dir: path.join(work, 'private'),
        url: `${server.url}/private.git`,
        branch: 'main',
        author,
        maintainIndex: false,
        credentials: { username: 'bot', password: 'secret' },
      });
      await repo.ensureCloned();
      const before = server.requests.length;
      writeFileSync(path.join(repo.dir, 'top.yaml'), 'top: 2\n');
      const oid = await repo.commitFiles([{ path: 'top.yaml', content: 'top: 2\n' }], 'bot: update');
      await repo.push();
      expect(git(['rev-parse', 'main'], path.join(server.projectRoot, 'private.git'))).toBe(oid);
      // One advertisement and one pack, both authenticated.
      expect(server.requests.slice(before).map((r) => [r.method, r.user, r.status])).toEqual([
        ['GET', 'bot', 200],
        ['POST', 'bot', 200],
      ]);
    } finally {
      await server.stop();
    }
  });

  it('a local tree: the index is updated, so `git status` shows nothing for the committed files; staged edits stay staged', async () => {
    createBareRepo(projectRoot, 'local-index', { files: seed });
    const dir = path.join(work, 'local-index');
    await gitAsync(['clone', '-q', `${gitUrl}/local-index.git`, dir]);
    // A person stages one edit and leaves another unstaged: neither may be committed or lost.
    writeFileSync(path.join(dir, 'other/keep.yaml'), 'keep: staged\n');
    git(['add', 'other/keep.yaml'], dir);
    writeFileSync(path.join(dir, 'a/x.yaml'), 'x: unstaged\n');
    const repo = new GitRepo({ dir, branch: 'main', author });
    const oid = await commitAndPush(repo);
    expect(git(['rev-parse', 'HEAD'], dir)).toBe(oid);
    // (the helper trims its output, so staged and unstaged are asked for separately)
    expect(git(['diff', '--name-only'], dir)).toBe('a/x.yaml');
    expect(git(['diff', '--cached', '--name-only'], dir)).toBe('other/keep.yaml');
    expect(git(['status', '--porcelain', '--untracked-files=all'], dir).split('\n')).toHaveLength(2);
    expect(await remoteFiles('local-index')).toEqual(expected);
    git(['fsck', '--strict', '--no-dangling'], dir);
  });

  it('a local tree: a file whose content on disk is not what was committed shows as changed, not staged', async () => {
    createBareRepo(projectRoot, 'local-race', { files: seed });
    const dir = path.join(work, 'local-race');
    await gitAsync(['clone', '-q', `${gitUrl}/local-race.git`, dir]);
    const repo = new GitRepo({ dir, branch: 'main', author });
    writeFileSync(path.join(dir, 'top.yaml'), 'top: a person typed this meanwhile\n');
    writeFileSync(path.join(dir, 'a/y.yaml'), 'y: 2\n');
    await repo.commitFiles(
      [
        { path: 'top.yaml', content: 'top: 2\n' },
        { path: 'a/y.yaml', content: 'y: 2\n' },
      ],
      'bot: update',
    );
    expect(git(['show', 'HEAD:top.yaml'], dir)).toBe('top: 2');
    expect(git(['diff', '--name-only'], dir)).toBe('top.yaml');
    expect(git(['diff', '--cached', '--name-only'], dir)).toBe('');
    expect(git(['status', '--porcelain'], dir)).toBe('M top.yaml');
  });
});
