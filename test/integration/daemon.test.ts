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
import { until } from '../helpers/wait.js';

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

const digestOf = (text: string, tag = 'live'): string | undefined =>
  (parse(text) as { status?: { tags?: Array<{ tag: string; items: Array<{ image: string }> }> } }).status?.tags?.find((t) => t.tag === tag)
    ?.items[0]?.image;

const secret = 'registry-hook-secret';
function notify(d: DaemonProcess, repo: string, tag: string): Promise<Response> {
  return fetch(`${d.url}/hooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: JSON.stringify({
      events: [
        {
          action: 'push',
          target: { repository: repo, tag, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
          request: { host: registryHost },
        },
      ],
    }),
  });
}

describe('imagestreams run', () => {
  let daemon: DaemonProcess;
  const repo = 'daemon/app';
  let first: string;

  beforeAll(async () => {
    first = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'daemon-1' }));
    createBareRepo(projectRoot, 'deploy', {
      files: { 'streams/app.yaml': streamFile(repo), 'apps/app.yaml': deployment, 'broken.yaml': 'kind: [\n' },
    });
    daemon = await startDaemon(
      [
        '--repo-url',
        `${gitUrl}/deploy.git`,
        '--workdir',
        path.join(work, 'wd'),
        '--cache-dir',
        path.join(work, 'cache'),
        '--poll-interval',
        '1s',
        '--debounce',
        '200ms',
        '--author',
        'bot <bot@example.com>',
      ],
      {
        env: { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret, IMAGESTREAMS_GIT_HOOK_SECRET: 'git-secret' },
        logFile: path.join(work, 'daemon.log'),
      },
    );
  }, 60_000);
  afterAll(async () => {
    // SIGTERM: the current pass finishes, then a clean exit.
    await daemon?.stop();
    expect(daemon.logs().map((l) => l.msg)).toContain('stopped');
  });

  it('commits the first import and the workload it triggers, despite a malformed file', async () => {
    const remote = await until('the first commit', async () => {
      const r = await remoteFile('deploy', 'streams/app.yaml');
      return digestOf(r.text) ? r : undefined;
    });
    expect(digestOf(remote.text)).toBe(first);
    expect(remote.log[0]).toMatch(/^bot\|imagestreams: 1 tag updated, 1 workload image/);
    expect((await remoteFile('deploy', 'apps/app.yaml')).text).toBe(
      deployment.replace('image: app:dev', `image: ${registryHost}/${repo}@${first}`),
    );
    expect(daemon.logs().some((l) => l.file === 'broken.yaml' && l.code === 'yaml-syntax')).toBe(true);
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('a registry notification lands as a commit; the latency is reported', async () => {
    const next = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'daemon-2' }));
    const t0 = Date.now();
    expect((await notify(daemon, repo, 'live')).status).toBe(202);
    await until('the notified commit', async () =>
      digestOf((await remoteFile('deploy', 'streams/app.yaml')).text) === next ? true : undefined,
    );
    console.log(`push-to-commit latency (notification → commit on the remote): ${Date.now() - t0} ms`);
    const stream = parse((await remoteFile('deploy', 'streams/app.yaml')).text) as {
      status: { tags: Array<{ items: Array<{ image: string }> }> };
    };
    expect(stream.status.tags[0]?.items.map((i) => i.image)).toEqual([next, first]);
  });

  it('a hook without the secret is refused; one with nothing new makes no commit', async () => {
    expect((await fetch(`${daemon.url}/hooks/registry`, { method: 'POST', body: '{}' })).status).toBe(401);
    const before = (await remoteFile('deploy', 'streams/app.yaml')).head;
    const passes = daemon.logs().filter((l) => l.msg === 'pass found nothing to commit').length;
    expect((await notify(daemon, repo, 'live')).status).toBe(202);
    await until('a quiet pass', async () =>
      daemon.logs().filter((l) => l.msg === 'pass found nothing to commit').length > passes ? true : undefined,
    );
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

  it('a forge push webhook (GitHub-style HMAC, or GitLab token) triggers a pass; a bad signature does not', async () => {
    const { createHmac } = await import('node:crypto');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const bad = await fetch(`${daemon.url}/hooks/git`, { method: 'POST', headers: { 'x-hub-signature-256': 'sha256=00' }, body });
    expect(bad.status).toBe(401);
    const passes = daemon
      .logs()
      .filter((l) => l.msg === 'pass started' && Array.isArray(l.reasons) && (l.reasons as string[]).includes('git webhook')).length;
    const good = await fetch(`${daemon.url}/hooks/git`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'git-secret').update(body).digest('hex')}` },
      body,
    });
    expect(good.status).toBe(202);
    expect((await fetch(`${daemon.url}/hooks/git`, { method: 'POST', headers: { 'x-gitlab-token': 'git-secret' }, body })).status).toBe(
      202,
    );
    await until('the webhook pass', async () =>
      daemon.logs().filter((l) => l.msg === 'pass started' && Array.isArray(l.reasons) && (l.reasons as string[]).includes('git webhook'))
        .length > passes
        ? true
        : undefined,
    );
  });

  it('never writes a secret into its logs', () => {
    const text = readFileSync(path.join(work, 'daemon.log'), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('git-secret');
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

describe('imagestreams run: crash safety, local trees, real registry notifications', () => {
  it('SIGKILL during a pass, then restart: converges, with no duplicate history', async () => {
    const repo = 'daemon/crash';
    const digest = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'crash-1' }));
    createBareRepo(projectRoot, 'crash', { files: { 'streams/app.yaml': streamFile(repo), 'apps/app.yaml': deployment } });
    const args = [
      '--repo-url',
      `${gitUrl}/crash.git`,
      '--workdir',
      path.join(work, 'crash-wd'),
      '--cache-dir',
      path.join(work, 'crash-cache'),
      '--poll-interval',
      '1s',
      '--debounce',
      '100ms',
    ];
    const first = await startDaemon(args, { logFile: path.join(work, 'crash-1.log') });
    await until('the pass to start', async () => (first.logs().some((l) => l.msg === 'pass started') ? true : undefined));
    process.kill(first.proc.pid, 'SIGKILL');
    await until('the process to die', async () => (first.proc.exited() ? true : undefined));
    const second = await startDaemon(args, { logFile: path.join(work, 'crash-2.log') });
    try {
      const text = await until('the converged commit', async () => {
        const r = await remoteFile('crash', 'streams/app.yaml');
        return digestOf(r.text) === digest ? r.text : undefined;
      });
      const items = (parse(text) as { status: { tags: Array<{ items: unknown[] }> } }).status.tags[0]?.items;
      expect(items).toHaveLength(1);
      await until('a quiet pass', async () =>
        second.logs().some((l) => l.msg === 'pass found nothing to commit') ||
        second.logs().filter((l) => l.msg === 'pass committed').length >= 1
          ? true
          : undefined,
      );
      expect((await remoteFile('crash', 'apps/app.yaml')).text).toContain(`@${digest}`);
    } finally {
      await second.stop();
    }
  });

  it('follows a local working tree: commits locally, reacts to edits, never loops on its own writes', async () => {
    const dir = mkdtempSync(path.join(work, 'local-'));
    await gitAsync(['init', '-q', '-b', 'main', dir]);
    writeFileSync(
      path.join(dir, 'tools.yaml'),
      `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: tools\n  namespace: ops\nspec:\n  tags:\n  - name: pinned\n    reference: true\n    from:\n      kind: DockerImage\n      name: registry.example.com/ops/tools:1\n`,
    );
    await gitAsync(['add', '-A'], dir);
    await gitAsync(['commit', '-qm', 'start'], dir);
    const d = await startDaemon(
      ['--repo', dir, '--no-push', '--debounce', '100ms', '--poll-interval', '300ms', '--cache-dir', path.join(work, 'local-cache')],
      { logFile: path.join(work, 'local.log'), env: { IMAGESTREAMS_GIT_HOOK_SECRET: 'local-secret' } },
    );
    try {
      const count = async (): Promise<number> => Number((await gitAsync(['rev-list', '--count', 'HEAD'], dir)).trim());
      await until('the local commit', async () => ((await count()) === 2 ? true : undefined));
      writeFileSync(
        path.join(dir, 'more.yaml'),
        `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: more\n  namespace: ops\nspec:\n  tags:\n  - name: pinned\n    reference: true\n    from:\n      kind: DockerImage\n      name: registry.example.com/ops/more:1\n`,
      );
      // A new file a person has not committed yet is theirs: reported and left alone.
      await until('the held-back report', async () =>
        d.logs().some((l) => l.msg === 'left alone: the file has uncommitted edits' && l.file === 'more.yaml') ? true : undefined,
      );
      expect(await count()).toBe(2);
      expect(readFileSync(path.join(dir, 'more.yaml'), 'utf8')).not.toContain('status:');
      // Once they commit it, the daemon notices the new HEAD and reconciles it in a commit of its own.
      await gitAsync(['add', 'more.yaml'], dir);
      await gitAsync(['commit', '-qm', 'a person adds more'], dir);
      await until('a commit for the new file', async () => ((await count()) === 4 ? true : undefined));
      expect((await gitAsync(['log', '--format=%s', '-1'], dir)).trim()).toBe('imagestreams: 1 file reconciled');
      // It does not react to its own writes: no further commits.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await count()).toBe(4);
      // Accepted work is journaled in the tree's .git (never in the working tree), and settled by the pass.
      const journal = path.join(dir, '.git', 'imagestreams', 'pending.json');
      const passes = d.logs().filter((l) => l.msg === 'pass started').length;
      expect(
        (await fetch(`${d.url}/hooks/git`, { method: 'POST', headers: { authorization: 'Bearer local-secret' }, body: '{}' })).status,
      ).toBe(202);
      await until("the hook's pass", async () => (d.logs().filter((l) => l.msg === 'pass started').length > passes ? true : undefined));
      await until('the journal to be settled', async () =>
        (JSON.parse(readFileSync(journal, 'utf8')) as { items: unknown[] }).items.length === 0 ? true : undefined,
      );
      expect((await gitAsync(['status', '--porcelain'], dir)).trim()).toBe('');
    } finally {
      await d.stop();
    }
  });

  it('takes notifications from a real registry configured to call it', async () => {
    const { startRegistry } = await import('../support/registry.js');
    const repo = 'notify/app';
    createBareRepo(projectRoot, 'notified', { files: { 'streams/app.yaml': '' } });
    const d = await startDaemon(
      [
        '--repo-url',
        `${gitUrl}/notified.git`,
        '--workdir',
        path.join(work, 'n-wd'),
        '--cache-dir',
        path.join(work, 'n-cache'),
        '--poll-interval',
        '1s',
        '--debounce',
        '300ms',
      ],
      {
        env: { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret },
        logFile: path.join(work, 'n.log'),
      },
    );
    const registry = await startRegistry({
      notifications: { url: `${d.url}/hooks/registry`, headers: { Authorization: [`Bearer ${secret}`] }, ignorePull: true },
    });
    try {
      await pushImage(registry, repo, 'live', buildImage({ seed: 'n-1' }));
      // The stream appears after the first push (a person adds it), then a second push is notified.
      const human = mkdtempSync(path.join(work, 'n-human-'));
      await gitAsync(['clone', '-q', `${gitUrl}/notified.git`, human]);
      writeFileSync(path.join(human, 'streams/app.yaml'), streamFile(repo).replaceAll(registryHost, registry.host));
      await gitAsync(['commit', '-qam', 'add the stream'], human);
      await gitAsync(['push', '-q', 'origin', 'main'], human);
      await until('the first import (the daemon polls the branch)', async () =>
        digestOf((await remoteFile('notified', 'streams/app.yaml')).text) ? true : undefined,
      );
      const next = await pushImage(registry, repo, 'live', buildImage({ seed: 'n-2' }));
      await until('the notified import', async () =>
        digestOf((await remoteFile('notified', 'streams/app.yaml')).text) === next ? true : undefined,
      );
      expect(
        d
          .logs()
          .some(
            (l) =>
              l.msg === 'registry notification accepted' &&
              Array.isArray(l.pushes) &&
              (l.pushes as string[]).some((p) => p.endsWith(`${repo}:live`)),
          ),
      ).toBe(true);
    } finally {
      await registry.stop();
      await d.stop();
    }
  }, 120_000);
});

describe('two daemons on one repository', () => {
  it("converge without losing either's work", async () => {
    const repo = 'daemon/two';
    createBareRepo(projectRoot, 'twin', {
      files: {
        'streams/app.yaml': streamFile(repo),
        'streams/other.yaml': streamFile('daemon/two-other').replace('name: app\n', 'name: other\n'),
      },
    });
    await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'twin-1' }));
    await pushImage({ url: registryUrl }, 'daemon/two-other', 'live', buildImage({ seed: 'twin-o1' }));
    const common = ['--repo-url', `${gitUrl}/twin.git`, '--poll-interval', '500ms', '--debounce', '50ms'];
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) =>
        startDaemon(
          [
            ...common,
            '--workdir',
            path.join(work, `twin-${n}`),
            '--cache-dir',
            path.join(work, `twin-cache-${n}`),
            '--author',
            `daemon-${n} <${n}@x>`,
          ],
          { env: { IMAGESTREAMS_REGISTRY_HOOK_SECRET: secret }, logFile: path.join(work, `twin-${n}.log`) },
        ),
      ),
    );
    try {
      const next = await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'twin-2' }));
      const otherNext = await pushImage({ url: registryUrl }, 'daemon/two-other', 'live', buildImage({ seed: 'twin-o2' }));
      // Each daemon hears about a different push, at the same time.
      await Promise.all([notify(a as DaemonProcess, repo, 'live'), notify(b as DaemonProcess, 'daemon/two-other', 'live')]);
      await until('both updates on the remote', async () => {
        const app = digestOf((await remoteFile('twin', 'streams/app.yaml')).text);
        const other = digestOf((await remoteFile('twin', 'streams/other.yaml')).text);
        return app === next && other === otherNext ? true : undefined;
      });
      const { log } = await remoteFile('twin', 'streams/app.yaml');
      expect(log.at(-1)).toMatch(/initial commit$/);
      expect(log.every((l) => /^(daemon-a|daemon-b)\|imagestreams: |initial commit$/.test(l))).toBe(true);
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
    }
  }, 90_000);
});
