/**
 * `imagestreams run --pull-request`: the daemon as a child process (run-command.ts wires the publisher, its metrics
 * and its log), the Git side a real `git http-backend` of this file's own (its request log shows every push), the
 * images on the real registry, the API side the typed GitHub test server with every request asserted. The passes
 * follow registry notifications: the first opens the pull request from the base, a new image updates the same one,
 * a notification with nothing new pushes nothing and edits nothing, and a forge outage is a failed publish on
 * /status and in the metrics with the branch kept, published by the next pass; once merged, the pull request is
 * closed, and a notified image's pull request outlives a pass that was not notified.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DaemonSnapshot } from '../../src/cli/daemon/status.js';
import { until } from '../helpers/wait.js';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startDaemon } from '../support/daemon-process.js';
import type { GitHubServer } from '../support/forge-github.js';
import { startGitHubServer } from '../support/forge-github.js';
import type { GitServer } from '../support/git-server.js';
import { createBareRepo, gitAsync, startGitServer } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';

const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-pr-daemon-'));
const token = 'ghp_daemontoken0123456789abcdefgh';
const hookSecret = 'registry-hook-secret';
const image = 'prdaemon/app';

const streamFile = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: prod
spec:
  tags:
  - name: live
    from:
      kind: DockerImage
      name: ${registryHost}/${image}:live
    importPolicy:
      insecure: true
`;
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: prod
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"app:live"},"fieldPath":"spec.template.spec.containers[0].image"}]'
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:dev
`;

let git: GitServer;
let gh: GitHubServer;
let daemon: DaemonProcess;
let bare = '';

beforeAll(async () => {
  git = await startGitServer();
  gh = await startGitHubServer({ owner: 'ops', repo: 'deploy', tokens: [token] });
  await pushImage({ url: registryUrl }, image, 'live', buildImage({ seed: 'pr-daemon-1' }));
  bare = createBareRepo(git.projectRoot, 'deploy', { files: { 'streams/app.yaml': streamFile, 'apps/app.yaml': deployment } });
  daemon = await startDaemon(
    [
      '--repo-url',
      `${git.url}/deploy.git`,
      '--workdir',
      path.join(work, 'wd'),
      '--cache-dir',
      path.join(work, 'cache'),
      '--poll-interval',
      '1s',
      '--debounce',
      '100ms',
      '--author',
      'bot <bot@example.com>',
      '--pull-request',
      '--forge',
      'github',
      '--forge-url',
      gh.url,
      '--forge-repo',
      'ops/deploy',
    ],
    {
      env: { IMAGESTREAMS_FORGE_TOKEN: token, IMAGESTREAMS_REGISTRY_HOOK_SECRET: hookSecret, IMAGESTREAMS_GIT_HOOK_SECRET: hookSecret },
      logFile: path.join(work, 'daemon.log'),
    },
  );
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await gh?.stop();
  await git?.stop();
  rmSync(work, { recursive: true, force: true });
});

const list = `GET /repos/ops/deploy/pulls?${new URLSearchParams({ state: 'open', head: 'ops:imagestreams/main', base: 'main', per_page: '10' })}`;
const status = async (): Promise<DaemonSnapshot & { lastPublish?: Record<string, unknown> }> =>
  (await (await fetch(`${daemon.url}/status`)).json()) as DaemonSnapshot & { lastPublish?: Record<string, unknown> };
const pushes = (): number => git.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/git-receive-pack')).length;
const remoteRef = async (ref: string): Promise<string | undefined> =>
  (await gitAsync(['ls-remote', `${git.url}/deploy.git`, `refs/heads/${ref}`])).split(/\s/)[0] || undefined;
const publishMetric = async (outcome: string): Promise<number> => {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const m = new RegExp(`^imagestreams_publish_total\\{publisher="pull-request",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
};

/** The snapshot once a pass after `after` has finished. */
const passAfter = (after: number, what: string) =>
  until(what, async () => {
    const s = await status();
    return s.lastPass !== undefined && s.lastPass.id > after && s.passStartedAt === undefined ? s : undefined;
  });

async function notify(): Promise<void> {
  const r = await fetch(`${daemon.url}/hooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hookSecret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: JSON.stringify({
      events: [
        {
          action: 'push',
          target: { repository: image, tag: 'live', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
          request: { host: registryHost },
        },
      ],
    }),
  });
  expect(r.status).toBe(202);
}

describe('imagestreams run --pull-request', () => {
  let main: string | undefined;
  let lastPass = 0;

  it('the first pass opens the pull request from the base; the base is not pushed to', async () => {
    main = await remoteRef('main');
    const s = await until('the pull request', async () => {
      const x = await status();
      return x.lastPublish?.outcome === 'opened' ? x : undefined;
    });
    lastPass = s.lastPass?.id ?? 0;
    expect(s.state).toBe('ready');
    expect(s.lastPublish).toMatchObject({ outcome: 'opened', url: `${gh.url}/ops/deploy/pull/1`, branch: 'imagestreams/main' });
    expect(gh.calls()).toEqual([list, 'POST /repos/ops/deploy/pulls']);
    expect(gh.pulls.get(1)?.body).toContain('| prod/app | `live` |');
    expect(gh.pulls.get(1)?.body).toContain('apps/app.yaml');
    expect(await remoteRef('main')).toBe(main);
    const tip = await remoteRef('imagestreams/main');
    const log = await gitAsync(['--git-dir', bare, 'log', '--format=%P|%cn', '-1', tip as string]);
    expect(log).toBe(`${main}|bot`);
    expect(pushes()).toBe(1);
    expect(await publishMetric('opened')).toBe(1);
    expect(daemon.proc.log()).not.toContain(token);
  });

  it('a notification with nothing new pushes nothing and edits nothing', async () => {
    const tip = await remoteRef('imagestreams/main');
    const before = gh.requests.length;
    await notify();
    const s = await passAfter(lastPass, 'the quiet pass');
    lastPass = s.lastPass?.id ?? 0;
    expect(s.lastPublish).toMatchObject({ outcome: 'unchanged' });
    expect(gh.calls().slice(before)).toEqual([list]);
    expect(await remoteRef('imagestreams/main')).toBe(tip);
    expect(pushes()).toBe(1);
    expect(await publishMetric('unchanged')).toBe(1);
  });

  it('a new image on the registry updates the same pull request', async () => {
    const next = await pushImage({ url: registryUrl }, image, 'live', buildImage({ seed: 'pr-daemon-2' }));
    const before = gh.requests.length;
    await notify();
    const s = await passAfter(lastPass, 'the updating pass');
    lastPass = s.lastPass?.id ?? 0;
    expect(s.lastPublish).toMatchObject({ outcome: 'updated', url: `${gh.url}/ops/deploy/pull/1` });
    expect(gh.calls().slice(before)).toEqual([list, 'PATCH /repos/ops/deploy/pulls/1']);
    expect(gh.pulls.size).toBe(1);
    expect(gh.pulls.get(1)?.body).toContain(next.slice(7, 19));
    expect(pushes()).toBe(2);
    expect(await remoteRef('main')).toBe(main);
  });

  it('a forge outage is a failed publish on /status and in the metrics; the branch is kept; the next pass publishes', async () => {
    const third = await pushImage({ url: registryUrl }, image, 'live', buildImage({ seed: 'pr-daemon-3' }));
    const tipBefore = await remoteRef('imagestreams/main');
    gh.down = true;
    await notify();
    const failed = await passAfter(lastPass, 'the failed pass');
    expect(failed.lastPass?.outcome).toBe('failed');
    expect(failed.code).toBe('forge-unavailable');
    expect(failed.reason).toMatch(/GitHub answered HTTP 503/);
    expect(failed.lastPublish).toMatchObject({ outcome: 'failed', code: 'forge-unavailable' });
    expect(failed.lastPublish?.message).toMatch(/imagestreams\/main: GitHub answered HTTP 503/);
    expect(await publishMetric('failed')).toBeGreaterThanOrEqual(1);
    // Git went first: the branch holds the new change set; retries while the forge is down push nothing more.
    const kept = await remoteRef('imagestreams/main');
    expect(kept).not.toBe(tipBefore);
    expect(pushes()).toBe(3);
    expect(gh.pulls.get(1)?.body).not.toContain(third.slice(7, 19));
    gh.down = false;
    const s = await until('the publishing retry', async () => {
      const x = await status();
      return x.lastPublish?.outcome === 'updated' ? x : undefined;
    });
    expect(s.state).toBe('ready');
    expect(s.code).toBeUndefined();
    expect(gh.pulls.get(1)?.body).toContain(third.slice(7, 19));
    expect(await remoteRef('imagestreams/main')).toBe(kept);
    expect(pushes()).toBe(3);
    expect(gh.unexpected).toEqual([]);
    expect(await remoteRef('main')).toBe(main);
  });

  it('once merged, the base holds everything: closed; a notified image stays in its pull request through a pass that was not notified', async () => {
    const dir = mkdtempSync(path.join(work, 'merge-'));
    await gitAsync(['clone', '-q', '-b', 'imagestreams/main', `${git.url}/deploy.git`, dir]);
    await gitAsync(['push', '-q', 'origin', 'imagestreams/main:main'], dir); // a fast-forward merge
    const closed = await until('the pull request closed', async () => {
      const x = await status();
      return x.lastPublish?.outcome === 'closed' ? x : undefined;
    });
    lastPass = closed.lastPass?.id ?? 0;
    expect(gh.pulls.get(1)?.state).toBe('closed');
    expect(await remoteRef('imagestreams/main')).toBeUndefined();
    // The base now holds the tag's import: only a notification imports it again.
    const fourth = await pushImage({ url: registryUrl }, image, 'live', buildImage({ seed: 'pr-daemon-4' }));
    await notify();
    const opened = await until('the second pull request', async () => {
      const x = await status();
      return x.lastPublish?.outcome === 'opened' && x.lastPass && x.lastPass.id > lastPass ? x : undefined;
    });
    lastPass = opened.lastPass?.id ?? 0;
    expect(gh.pulls.get(2)?.body).toContain(fourth.slice(7, 19));
    const tip = await remoteRef('imagestreams/main');
    const before = gh.requests.length;
    const hook = await fetch(`${daemon.url}/hooks/git`, { method: 'POST', headers: { 'x-gitlab-token': hookSecret }, body: '{}' });
    expect(hook.status).toBe(202);
    const s = await passAfter(lastPass, 'the pass after a git webhook');
    expect(s.lastPublish).toMatchObject({ outcome: 'unchanged', url: `${gh.url}/ops/deploy/pull/2` });
    expect(gh.calls().slice(before)).toEqual([list]);
    expect(gh.pulls.get(2)?.state).toBe('open');
    expect(await remoteRef('imagestreams/main')).toBe(tip);
    expect(gh.unexpected).toEqual([]);
  });
});
