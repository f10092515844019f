import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBareRepo, git, gitAsync, installDecliningPreReceive, startGitServer, type GitServer } from '../support/git-server.js';
import { makeTempDir, removeDir } from '../support/tmp.js';

const uniq = `${process.pid}-${Date.now().toString(36)}`;
const work = makeTempDir('is-git-test');
afterAll(() => removeDir(work));

describe('shared git http-backend server (from globalSetup)', () => {
  const gitUrl = inject('gitUrl');
  const root = inject('gitProjectRoot');

  it('clones a seeded repo and pushes a commit back with the git CLI', async () => {
    const name = `shared/seeded-${uniq}`;
    createBareRepo(root, name, { files: { 'README.md': '# hello\n', 'streams/app.yaml': 'kind: ImageStream\n' } });
    const clone = join(work, 'clone1');
    await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, clone]);
    expect(readFileSync(join(clone, 'streams/app.yaml'), 'utf8')).toBe('kind: ImageStream\n');
    expect(git(['rev-parse', '--abbrev-ref', 'HEAD'], clone)).toBe('main');

    writeFileSync(join(clone, 'new.txt'), 'pushed over http\n');
    git(['add', 'new.txt'], clone);
    git(['commit', '-q', '-m', 'add new.txt'], clone);
    await gitAsync(['push', '-q', 'origin', 'main'], clone);
    const head = git(['rev-parse', 'HEAD'], clone);
    expect(git(['rev-parse', 'refs/heads/main'], join(root, `${name}.git`))).toBe(head);

    const clone2 = join(work, 'clone2');
    await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, clone2]);
    expect(existsSync(join(clone2, 'new.txt'))).toBe(true);
  });

  it('a pre-receive hook decline rejects a push', async () => {
    const name = `shared/hooked-${uniq}`;
    const bare = createBareRepo(root, name, { files: { 'a.txt': 'a\n' } });
    installDecliningPreReceive(bare, 'policy says no');
    const clone = join(work, 'clone-hook');
    await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, clone]);
    const before = git(['rev-parse', 'refs/heads/main'], bare);
    writeFileSync(join(clone, 'b.txt'), 'b\n');
    git(['add', 'b.txt'], clone);
    git(['commit', '-q', '-m', 'b'], clone);
    const err = await gitAsync(['push', 'origin', 'main'], clone).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('pre-receive hook declined');
    expect(err?.message).toContain('policy says no');
    expect(git(['rev-parse', 'refs/heads/main'], bare)).toBe(before);
  });

  it('answers 404 for an unknown repository', async () => {
    const res = await fetch(`${gitUrl}/nope-${uniq}.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(404);
  });
});

describe('git server with Basic auth', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ users: { dev: 'pa ss' } });
    createBareRepo(server.projectRoot, 'team/app', { files: { 'x.txt': 'x\n' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses clones without or with wrong credentials', async () => {
    await expect(gitAsync(['clone', '-q', server.repoUrl('team/app'), join(work, 'noauth')])).rejects.toThrow(
      /Authentication failed|401|could not read Username/,
    );
    await expect(
      gitAsync(['clone', '-q', server.repoUrl('team/app', { username: 'dev', password: 'wrong' }), join(work, 'badauth')]),
    ).rejects.toThrow(/Authentication failed|401/);
    expect(server.requests.some((r) => r.status === 401)).toBe(true);
  });

  it('clones and pushes with credentials', async () => {
    const url = server.repoUrl('team/app', { username: 'dev', password: 'pa ss' });
    const clone = join(work, 'auth-clone');
    await gitAsync(['clone', '-q', url, clone]);
    writeFileSync(join(clone, 'y.txt'), 'y\n');
    git(['add', 'y.txt'], clone);
    git(['commit', '-q', '-m', 'y'], clone);
    await gitAsync(['push', '-q', 'origin', 'main'], clone);
    expect(git(['rev-parse', 'refs/heads/main'], join(server.projectRoot, 'team/app.git'))).toBe(git(['rev-parse', 'HEAD'], clone));
    expect(server.requests.filter((r) => r.user === 'dev' && r.url.includes('git-receive-pack')).length).toBeGreaterThan(0);
  });

  it('seeds a bare repo from a directory', async () => {
    const src = makeTempDir('is-git-src');
    writeFileSync(join(src, 'from-dir.txt'), 'dir\n');
    createBareRepo(server.projectRoot, 'team/fromdir', { fromDir: src });
    removeDir(src);
    const clone = join(work, 'fromdir');
    await gitAsync(['clone', '-q', server.repoUrl('team/fromdir', { username: 'dev', password: 'pa ss' }), clone]);
    expect(readFileSync(join(clone, 'from-dir.txt'), 'utf8')).toBe('dir\n');
  });
});
