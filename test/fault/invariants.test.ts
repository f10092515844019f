/**
 * The invariants have teeth: a history crafted to break each one is caught, and a history that a fault-free
 * `imagestreams reconcile` wrote passes. (Without this, a fault suite that always passes proves nothing.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FaultProxy } from '../support/fault-proxy.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { runCli } from './cli.js';
import { initialFiles } from './fixture.js';
import type { HumanCommit, NotificationRecord, PushRecord } from './harness.js';
import { checkInvariants } from './invariants.js';
import { targets } from './schedule.js';

const registryUrl = inject('registryUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-teeth-'));
const daemon = {
  GIT_AUTHOR_NAME: 'imagestreams-daemon',
  GIT_AUTHOR_EMAIL: 'daemon@fault.test',
  GIT_COMMITTER_NAME: 'imagestreams-daemon',
  GIT_COMMITTER_EMAIL: 'daemon@fault.test',
};
const alice = {
  GIT_AUTHOR_NAME: 'alice',
  GIT_AUTHOR_EMAIL: 'alice@fault.test',
  GIT_COMMITTER_NAME: 'alice',
  GIT_COMMITTER_EMAIL: 'alice@fault.test',
};

let proxy: FaultProxy;
let pushes: PushRecord[];
beforeAll(async () => {
  proxy = await startFaultProxy(registryUrl);
  pushes = [];
  for (let i = 0; i < targets.length; i += 1) {
    const t = targets[i] as (typeof targets)[number];
    pushes.push({
      target: i,
      digest: await pushImage({ url: registryUrl }, t.repository, t.tag, buildImage({ seed: `teeth-${i}` })),
      pushedAt: Date.now(),
      order: 0,
    });
  }
});
afterAll(async () => {
  await proxy.stop();
  rmSync(work, { recursive: true, force: true });
});

async function commit(dir: string, env: Record<string, string>, message: string): Promise<string> {
  await gitAsync(['add', '-A'], dir);
  await gitAsync(['commit', '-qm', message], dir, env);
  return gitAsync(['rev-parse', 'HEAD'], dir);
}

const check = (bare: string, humanCommits: HumanCommit[], notifications: NotificationRecord[], extraPushes: PushRecord[] = []) =>
  checkInvariants({
    bare,
    dir: work,
    host: proxy.host,
    pushes: [...pushes, ...extraPushes],
    notifications,
    humanCommits,
    daemonEmail: 'daemon@fault.test',
    proxy,
    log: () => undefined,
  });

describe('the fault suite invariants', () => {
  it('catch a dropped human commit, a reverted edit, a daemon commit touching a file of a person, an unparsable revision, a repeated history item, a lost notification and an unconverged tree', async () => {
    const host = proxy.host;
    const bare = createBareRepo(projectRoot, 'teeth-bad', { files: initialFiles(host) });
    const dir = path.join(work, 'bad');
    await gitAsync(['clone', '-q', bare, dir]);
    const d0 = pushes[0]?.digest ?? '';
    const item = `    - created: "2024-01-01T00:00:00Z"\n      dockerImageReference: ${host}/fault/app@${d0}\n      image: ${d0}\n      generation: 1\n`;
    writeFileSync(
      path.join(dir, 'streams/app.yaml'),
      `${readFileSync(path.join(dir, 'streams/app.yaml'), 'utf8')}status:\n  tags:\n  - tag: live\n    items:\n${item}${item}`,
    );
    await commit(dir, daemon, 'imagestreams: a history item twice');
    writeFileSync(path.join(dir, 'config/settings.yaml'), 'data: [\n');
    await commit(dir, daemon, 'imagestreams: half a file');
    writeFileSync(
      path.join(dir, 'config/settings.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hello\n',
    );
    await commit(dir, daemon, 'imagestreams: the file again');
    writeFileSync(path.join(dir, 'docs/notes.md'), '# Notes\n- alice was here\n');
    const human = await commit(dir, alice, 'alice: notes');
    await gitAsync(['push', '-q', 'origin', 'HEAD:main'], dir);
    await gitAsync(['reset', '-q', '--hard', 'HEAD~1'], dir);
    await gitAsync(['push', '-q', '--force', 'origin', 'HEAD:main'], dir);

    const worker: PushRecord = {
      target: 2,
      digest: await pushImage({ url: registryUrl }, 'fault/worker', 'live', buildImage({ seed: 'teeth-worker-2' })),
      pushedAt: Date.now(),
      order: 1,
    };
    const result = await check(
      bare,
      [{ who: 'alice', edit: { kind: 'note', line: 'alice was here' }, commit: human, pushedAt: Date.now(), attempts: 1 }],
      [{ push: worker, sentAt: Date.now(), acceptedAt: Date.now(), attempts: 1 }],
      [worker],
    );
    const found = new Set(result.violations.map((v) => v.invariant));
    expect([...found].sort()).toEqual([
      'converged',
      'daemon-writes-status',
      'history-no-duplicates',
      'human-commit-kept',
      'human-edit-present',
      'notification-landed',
      'parses',
    ]);
    expect(result.violations.find((v) => v.invariant === 'parses')?.detail).toMatch(
      /^config\/settings\.yaml at [0-9a-f]{12} does not parse/,
    );
  }, 60_000);

  it('pass on a history a fault-free reconcile wrote, with a person committing on top', async () => {
    const bare = createBareRepo(projectRoot, 'teeth-good', { files: initialFiles(proxy.host) });
    const dir = path.join(work, 'good');
    await gitAsync(['clone', '-q', bare, dir]);
    const rec = await runCli(['reconcile', '--repo', dir, '--cache-dir', path.join(work, 'good-cache')], { HOME: work });
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    await commit(dir, daemon, 'imagestreams: reconciled');
    writeFileSync(path.join(dir, 'docs/notes.md'), '# Notes\n- alice was here\n');
    const human = await commit(dir, alice, 'alice: notes');
    await gitAsync(['push', '-q', 'origin', 'HEAD:main'], dir);
    const first = pushes[0] as PushRecord;
    const result = await check(
      bare,
      [{ who: 'alice', edit: { kind: 'note', line: 'alice was here' }, commit: human, pushedAt: Date.now(), attempts: 1 }],
      [{ push: first, sentAt: Date.now(), acceptedAt: Date.now(), attempts: 1 }],
    );
    expect(result.violations).toEqual([]);
    expect(result.humanCommitsKept).toBe(1);
    expect(result.daemonCommits).toBe(1);
    expect(result.revisions).toBeGreaterThanOrEqual(3 * 6);
  }, 60_000);
});
