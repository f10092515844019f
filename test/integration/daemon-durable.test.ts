/**
 * Accepted work is not lost: a registry notification answered 202 while the Git server is down lands once the
 * server is back, even when the daemon is SIGKILLed and restarted in between. The daemon runs as a child process
 * against the real registry and the real git http-backend behind a proxy the test takes down and brings back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startDaemon } from '../support/daemon-process.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { startSwitchProxy } from '../support/switch-proxy.js';
import { until } from '../helpers/wait.js';

const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-durable-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const secret = 'durable-secret';
// Not scheduled: only a notification (or a change of the spec) makes this tag import again.
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

async function remoteDigest(name: string): Promise<string | undefined> {
  const dir = mkdtempSync(path.join(work, 'clone-'));
  try {
    await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
    const doc = parse(readFileSync(path.join(dir, 'streams/app.yaml'), 'utf8')) as {
      status?: { tags?: Array<{ items: Array<{ image: string }> }> };
    };
    return doc.status?.tags?.[0]?.items[0]?.image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function notify(d: DaemonProcess, repo: string): Promise<Response> {
  return fetch(`${d.url}/hooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: JSON.stringify({
      events: [
        {
          action: 'push',
          target: { repository: repo, tag: 'live', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
          request: { host: registryHost },
        },
      ],
    }),
  });
}

describe('accepted notifications survive failures and restarts', () => {
  it('a notification accepted while the Git server is down lands after it comes back, across a SIGKILL', async () => {
    const repo = 'durable/app';
    const first = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'durable-1' }));
    createBareRepo(projectRoot, 'durable', { files: { 'streams/app.yaml': streamFile(repo) } });
    const proxy = await startSwitchProxy(gitUrl);
    const wd = path.join(work, 'wd');
    const journal = `${wd}.state/pending.json`;
    const args = [
      '--repo-url',
      `${proxy.url}/durable.git`,
      '--workdir',
      wd,
      '--cache-dir',
      path.join(work, 'cache'),
      '--poll-interval',
      '500ms',
    ];
    const env = { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret };
    let second: DaemonProcess | undefined;
    try {
      const one = await startDaemon(args, { env, logFile: path.join(work, 'one.log') });
      await until('the first import', async () => (await remoteDigest('durable')) === first);
      proxy.mode = '503';
      const next = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'durable-2' }));
      expect((await notify(one, repo)).status).toBe(202);
      // On disk before the 202 went out.
      expect((JSON.parse(readFileSync(journal, 'utf8')) as { items: unknown[] }).items).toHaveLength(1);
      await until('a pass that fails on the Git server', () =>
        one.logs().some((l) => l.msg === 'pass failed; retrying' && l.code === 'git-unavailable'),
      );
      // Transient failures: still live, and after three in a row not ready.
      expect((await fetch(`${one.url}/healthz`)).status).toBe(200);
      process.kill(one.proc.pid, 'SIGKILL');
      await until('the process to die', () => one.proc.exited());

      second = await startDaemon(args, { env, logFile: path.join(work, 'two.log') });
      const resumed = second;
      await until('the restarted daemon to resume the notification', () =>
        resumed.logs().some((l) => l.msg === 'resuming accepted work from before the restart' && l.pending === 1),
      );
      await until('a failed pass after the restart', () => resumed.logs().some((l) => l.msg === 'pass failed; retrying'));
      expect(await remoteDigest('durable')).toBe(first); // the proxy is down for the daemon, not for the test
      proxy.mode = 'up';
      await until('the notified image to land', async () => (await remoteDigest('durable')) === next, 60_000);
      await until('the journal to be empty', () => (JSON.parse(readFileSync(journal, 'utf8')) as { items: unknown[] }).items.length === 0);
      const ready = await fetch(`${resumed.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(proxy.refused).toBeGreaterThan(0);
      expect(existsSync(journal)).toBe(true);
    } finally {
      await second?.stop();
      await proxy.stop();
    }
  });
});

describe('a notified import that fails is tried again', () => {
  it('the pass lands with the failure recorded, the notification stays journaled, and a retry lands the image once the registry answers', async () => {
    const repo = 'durable/retry';
    const first = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'retry-1' }));
    // The stream imports through a proxy the test can take down; the Git server stays up the whole time.
    const registryProxy = await startSwitchProxy(registryUrl);
    const proxyHost = new URL(registryProxy.url).host;
    createBareRepo(projectRoot, 'retry', { files: { 'streams/app.yaml': streamFile(repo).replace(registryHost, proxyHost) } });
    const wd = path.join(work, 'wd-retry');
    const journal = `${wd}.state/pending.json`;
    const d = await startDaemon(
      ['--repo-url', `${gitUrl}/retry.git`, '--workdir', wd, '--cache-dir', path.join(work, 'cache-retry'), '--poll-interval', '1h'],
      {
        env: { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret },
        logFile: path.join(work, 'retry.log'),
      },
    );
    try {
      await until('the first import', async () => (await remoteDigest('retry')) === first);
      registryProxy.mode = '503';
      const next = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'retry-2' }));
      const res = await fetch(`${d.url}/hooks/registry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}` },
        body: JSON.stringify({ events: [{ action: 'push', target: { repository: repo, tag: 'live' }, request: { host: proxyHost } }] }),
      });
      expect(res.status).toBe(202);
      await until('a pass that lands with the import failed', () => d.logs().some((l) => l.msg === 'import failed' && l.tag === 'live'));
      await until('the notification to stay, with an attempt counted', () => {
        const items = (JSON.parse(readFileSync(journal, 'utf8')) as { items: Array<{ attempts: number }> }).items;
        return items.length === 1 && (items[0]?.attempts ?? 0) >= 1;
      });
      // The retry is scheduled and visible, as a failed pass's retry is.
      const status = (await (await fetch(`${d.url}/status`)).json()) as { nextRetryAt?: number; pendingWork?: number };
      expect(typeof status.nextRetryAt).toBe('number');
      expect(status.pendingWork).toBe(1);
      registryProxy.mode = 'up';
      await until('the retry to land the notified image', async () => (await remoteDigest('retry')) === next, 60_000);
      await until('the journal to be empty', () => (JSON.parse(readFileSync(journal, 'utf8')) as { items: unknown[] }).items.length === 0);
      expect(
        d
          .logs()
          .some(
            (l) =>
              l.msg === 'pass started' &&
              Array.isArray(l.reasons) &&
              (l.reasons as string[]).includes('retry notified imports that failed'),
          ),
      ).toBe(true);
    } finally {
      await d.stop();
      await registryProxy.stop();
    }
  });
});
