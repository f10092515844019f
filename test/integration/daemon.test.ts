/**
 * The daemon as a child process against the real git http-backend and the real registry: a push lands as a commit,
 * a human commit is kept, a quiet pass makes no commit, a malformed file does not stop the rest, SIGKILL and
 * restart converge, and the endpoints answer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startDaemon } from '../support/daemon-process.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';

const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-daemon-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const streamFile = (repo: string): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: prod
spec:
  tags:
  - name: live
    from:
      kind: DockerImage
      name: ${registryHost}/${repo}:live
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

async function remoteFile(name: string, file: string): Promise<{ text: string; head: string; log: string[] }> {
  const dir = mkdtempSync(path.join(work, 'clone-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  const text = readFileSync(path.join(dir, file), 'utf8');
  const head = (await gitAsync(['rev-parse', 'HEAD'], dir)).trim();
  const log = (await gitAsync(['log', '--format=%an|%s'], dir)).trim().split('\n');
  rmSync(dir, { recursive: true, force: true });
  return { text, head, log };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const digestOf = (text: string, tag = 'live'): string | undefined =>
  (parse(text) as { status?: { tags?: Array<{ tag: string; items: Array<{ image: string }> }> } }).status?.tags?.find((t) => t.tag === tag)?.items[0]?.image;

const secret = 'registry-hook-secret';
function notify(d: DaemonProcess, repo: string, tag: string): Promise<Response> {
  return fetch(`${d.url}/hooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: JSON.stringify({ events: [{ action: 'push', target: { repository: repo, tag, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }, request: { host: registryHost } }] }),
  });
}

describe('imagestreams run', () => {
  let daemon: DaemonProcess;
  const repo = 'daemon/app';
  let first: string;

  beforeAll(async () => {
    first = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'daemon-1' }));
    createBareRepo(projectRoot, 'deploy', { files: { 'streams/app.yaml': streamFile(repo), 'apps/app.yaml': deployment, 'broken.yaml': 'kind: [\n' } });
    daemon = await startDaemon(['--repo-url', `${gitUrl}/deploy.git`, '--workdir', path.join(work, 'wd'), '--cache-dir', path.join(work, 'cache'), '--poll-interval', '1s', '--debounce', '200ms', '--author', 'bot <bot@example.com>'], {
      env: { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret },
      logFile: path.join(work, 'daemon.log'),
    });
  }, 60_000);
  afterAll(() => daemon?.stop());

  it('commits the first import and the workload it triggers, despite a malformed file', async () => {
    const remote = await until('the first commit', async () => {
      const r = await remoteFile('deploy', 'streams/app.yaml');
      return digestOf(r.text) ? r : undefined;
    });
    expect(digestOf(remote.text)).toBe(first);
    expect(remote.log[0]).toMatch(/^bot\|imagestreams: 1 tag updated, 1 workload image/);
    expect((await remoteFile('deploy', 'apps/app.yaml')).text).toBe(deployment.replace('image: app:dev', `image: ${registryHost}/${repo}@${first}`));
    expect(daemon.logs().some((l) => l.file === 'broken.yaml' && l.code === 'yaml-syntax')).toBe(true);
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('a registry notification lands as a commit; the latency is reported', async () => {
    const next = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'daemon-2' }));
    const t0 = Date.now();
    expect((await notify(daemon, repo, 'live')).status).toBe(202);
    await until('the notified commit', async () => ((digestOf((await remoteFile('deploy', 'streams/app.yaml')).text) === next) ? true : undefined));
    console.log(`push-to-commit latency (notification → commit on the remote): ${Date.now() - t0} ms`);
    const stream = parse((await remoteFile('deploy', 'streams/app.yaml')).text) as { status: { tags: Array<{ items: Array<{ image: string }> }> } };
    expect(stream.status.tags[0]?.items.map((i) => i.image)).toEqual([next, first]);
  });

  it('a hook without the secret is refused; one with nothing new makes no commit', async () => {
    expect((await fetch(`${daemon.url}/hooks/registry`, { method: 'POST', body: '{}' })).status).toBe(401);
    const before = (await remoteFile('deploy', 'streams/app.yaml')).head;
    const passes = daemon.logs().filter((l) => l.msg === 'pass found nothing to commit').length;
    expect((await notify(daemon, repo, 'live')).status).toBe(202);
    await until('a quiet pass', async () => (daemon.logs().filter((l) => l.msg === 'pass found nothing to commit').length > passes ? true : undefined));
    expect((await remoteFile('deploy', 'streams/app.yaml')).head).toBe(before);
  });

  it('a human commit that lands first is kept, and the daemon commits on top', async () => {
    const human = mkdtempSync(path.join(work, 'human-'));
    await gitAsync(['clone', '-q', `${gitUrl}/deploy.git`, human]);
    writeFileSync(path.join(human, 'README.md'), 'hand-written\n');
    await gitAsync(['add', 'README.md'], human);
    await gitAsync(['-c', 'user.name=human', '-c', 'user.email=h@example.com', 'commit', '-qm', 'a person writes docs'], human);
    const third = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'daemon-3' }));
    await gitAsync(['push', '-q', 'origin', 'main'], human);
    expect((await notify(daemon, repo, 'live')).status).toBe(202);
    const remote = await until('the commit on top', async () => {
      const r = await remoteFile('deploy', 'streams/app.yaml');
      return digestOf(r.text) === third ? r : undefined;
    });
    expect(remote.log[0]).toMatch(/^bot\|imagestreams: /);
    expect(remote.log[1]).toMatch(/\|a person writes docs$/);
    expect((await remoteFile('deploy', 'README.md')).text).toBe('hand-written\n');
  });

  it('serves health and Prometheus metrics', async () => {
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/imagestreams_passes_total\{result="success"\} [1-9]/);
    expect(metrics).toMatch(/imagestreams_commits_total [1-9]/);
    expect(metrics).toMatch(/imagestreams_registry_requests_total\{method="HEAD",status="200"\} [1-9]/);
    expect(metrics).toMatch(/imagestreams_notifications_total\{hook="registry",result="unauthorized"\} 1/);
    expect(metrics).toMatch(/imagestreams_last_successful_pass_timestamp_seconds \d/);
  });
});
