/**
 * `reconcile --commit --push` from CI handles a rejected push as the daemon does: fetch, plan again on the new head,
 * push again (bounded); when it finally gives up it exits 5, and a checkout with commits of its own is never reset.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createBareRepo, gitAsync, installDecliningPreReceive } from '../support/git-server.js';

const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-reconcile-push-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const stream = (name: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: ops
spec:
  tags:
  - name: pinned
    reference: true
    from:
      kind: DockerImage
      name: registry.example.com/ops/${name}:1
`;
const args = ['reconcile', '--offline', '--commit', '--push', '--now', '2024-05-01T12:00:00Z', '--author', 'ci-bot <ci@example.com>'];
const env = { HOME: work, PATH: process.env.PATH ?? '' };

async function clone(name: string): Promise<string> {
  const dir = mkdtempSync(path.join(work, `${name}-`));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  return dir;
}

async function humanPush(name: string, file: string, text: string): Promise<void> {
  const dir = await clone(name);
  writeFileSync(path.join(dir, file), text);
  await gitAsync(['add', file], dir);
  await gitAsync(['commit', '-qm', `person edits ${file}`], dir);
  await gitAsync(['push', '-q', 'origin', 'main'], dir);
}

const remoteLog = async (name: string): Promise<string[]> =>
  (await gitAsync(['log', '--format=%an|%s'], await clone(name))).trim().split('\n');

describe('reconcile --commit --push', () => {
  it('a push rejected because the branch moved after checkout is fetched, planned again and pushed on top', async () => {
    createBareRepo(projectRoot, 'ci-race', { files: { 'a.yaml': stream('a') } });
    const ci = await clone('ci-race');
    await humanPush('ci-race', 'b.yaml', stream('b')); // lands after the CI checkout
    const r = await runCli(args, { cwd: ci, env });
    expect(r.stderr).toMatch(/fetching and planning again on the new head \(retry 1\)/);
    expect(r.stderr).toMatch(/committed [0-9a-f]{12} and pushed/);
    expect(r.code).toBe(0);
    const log = await remoteLog('ci-race');
    expect(log[0]).toMatch(/^ci-bot\|imagestreams: /);
    expect(log[1]).toMatch(/person edits b\.yaml$/);
    // Planned again on the new head: the person's new stream is reconciled in the same commit.
    const fresh = await clone('ci-race');
    expect(readFileSync(path.join(fresh, 'a.yaml'), 'utf8')).toContain('status:');
    expect(readFileSync(path.join(fresh, 'b.yaml'), 'utf8')).toContain('status:');
  });

  it('gives up after the bounded retries with exit 5, the commit kept locally', async () => {
    const bare = createBareRepo(projectRoot, 'ci-frozen', { files: { 'a.yaml': stream('a') } });
    installDecliningPreReceive(bare, 'pushes are frozen');
    const ci = await clone('ci-frozen');
    const r = await runCli(args, { cwd: ci, env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/not published after 6 attempts: push: the server refused the push/);
    expect((await gitAsync(['log', '-1', '--format=%an'], ci)).trim()).toBe('ci-bot');
    expect(await remoteLog('ci-frozen')).toHaveLength(1);
  });

  it('a checkout with a commit of its own that is not on the remote is not reset: exit 5 and the commit stays', async () => {
    createBareRepo(projectRoot, 'ci-own', { files: { 'a.yaml': stream('a') } });
    const ci = await clone('ci-own');
    writeFileSync(path.join(ci, 'notes.txt'), 'a local commit\n');
    await gitAsync(['add', 'notes.txt'], ci);
    await gitAsync(['commit', '-qm', 'local work'], ci);
    const own = (await gitAsync(['rev-parse', 'HEAD'], ci)).trim();
    await humanPush('ci-own', 'b.yaml', stream('b'));
    const r = await runCli(args, { cwd: ci, env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/has commits that are not on the remote; not resetting it: pull, then run again/);
    await gitAsync(['merge-base', '--is-ancestor', own, 'HEAD'], ci); // throws if the local commit was dropped
    expect(readFileSync(path.join(ci, 'notes.txt'), 'utf8')).toBe('a local commit\n');
  });
});
