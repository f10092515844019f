/** `imagestreams reconcile` against the real registry: digests, a no-op second run, scheduled updates, exit codes. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { buildImage, buildMultiArch } from '../support/images.js';
import { pushImage, pushIndex } from '../support/push.js';
import { startCountingProxy } from '../support/counting-proxy.js';
import type { CountingProxy } from '../support/counting-proxy.js';
import { runCli } from '../helpers/cli.js';

const registryUrl = inject('registryUrl');
let proxy: CountingProxy;
let work: string;
let digests: Record<string, string>;
const stream = (host: string): string => `# Streams for the shop (comments stay).
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: shop
  namespace: prod
spec:
  tags:
  - name: web
    from:
      kind: DockerImage
      name: ${host}/shop/web:stable
    importPolicy:
      insecure: true
      scheduled: true
  - name: api
    from:
      kind: DockerImage
      name: ${host}/shop/api:1.4   # multi-arch
    importPolicy:
      insecure: true
  - name: latest
    from:
      kind: ImageStreamTag
      name: web
`;

beforeAll(async () => {
  proxy = await startCountingProxy(registryUrl);
  const target = { url: registryUrl };
  digests = {
    web: await pushImage(target, 'shop/web', 'stable', buildImage({ seed: 'rec-web-1' })),
    api: (
      await pushIndex(
        target,
        'shop/api',
        '1.4',
        buildMultiArch(
          [
            { os: 'linux', architecture: 'amd64' },
            { os: 'linux', architecture: 'arm64' },
          ],
          { seed: 'rec-api' },
        ),
      )
    ).children[0] as string,
  };
  work = mkdtempSync(path.join(tmpdir(), 'imagestreams-reconcile-'));
  writeFileSync(path.join(work, 'streams.yaml'), stream(proxy.host));
  writeFileSync(path.join(work, 'broken.yaml'), 'kind: [\n');
  writeFileSync(path.join(work, 'deploy.yaml'), deployment);
});

const deployment = `# The storefront.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: storefront
  namespace: prod
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"shop:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]'
spec:
  replicas: 3   # three is enough
  template:
    spec:
      containers:
      - name: web
        image: storefront:dev
        ports: [{containerPort: 8080}]
`;
const deployed = (): string => readFileSync(path.join(work, 'deploy.yaml'), 'utf8');
afterAll(async () => {
  await proxy.stop();
  rmSync(work, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ HOME: work, XDG_CACHE_HOME: path.join(work, '.cache') });
const status = (): { tags: Array<{ tag: string; items: Array<{ image: string; dockerImageReference: string; created: string }> }> } =>
  (parse(readFileSync(path.join(work, 'streams.yaml'), 'utf8')) as { status: never }).status;

describe('reconcile against the real registry', () => {
  it('writes the digests the registry reports, reports the broken file (exit 1) and still writes the valid one', async () => {
    const r = await runCli(['reconcile', '--repo', '.', '--now', '2024-05-01T12:00:00Z', '--exclude', '.cache/**'], {
      cwd: work,
      env: env(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('broken.yaml');
    const s = status();
    const byTag = Object.fromEntries(s.tags.map((t) => [t.tag, t.items[0]]));
    expect(byTag.web).toMatchObject({
      image: digests.web,
      dockerImageReference: `${proxy.host}/shop/web@${digests.web}`,
      created: '2024-05-01T12:00:00Z',
    });
    expect(byTag.api).toMatchObject({ image: digests.api });
    expect(byTag.latest).toMatchObject({ image: digests.web });
    expect(readFileSync(path.join(work, 'streams.yaml'), 'utf8')).toContain('# Streams for the shop (comments stay).');
    // The workload follows the tag in the same pass, and only its image value changed.
    expect(deployed()).toBe(deployment.replace('image: storefront:dev', `image: ${proxy.host}/shop/web@${digests.web}`));
  });

  it('a second run changes nothing and makes only HEAD requests (plus the ping), even with an empty metadata cache', async () => {
    rmSync(path.join(work, 'broken.yaml'));
    const before = readFileSync(path.join(work, 'streams.yaml'), 'utf8');
    proxy.reset();
    // No manifest or config cached: the scheduled tag's HEAD confirms the image its status holds, and that is all.
    const r = await runCli(['reconcile', '--now', '2024-05-01T12:05:00Z', '--exclude', '.cache*/**'], {
      cwd: work,
      env: { ...env(), XDG_CACHE_HOME: path.join(work, '.cache-empty') },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(work, 'streams.yaml'), 'utf8')).toBe(before);
    expect(proxy.requests.filter((q) => q.path !== '/v2/').map((q) => q.method)).toEqual(['HEAD']); // only the scheduled tag
  });

  it('--check is 0 when reconciled; a push to the scheduled tag makes it 3, and a run past the interval prepends one item', async () => {
    expect((await runCli(['reconcile', '--check', '--exclude', '.cache/**'], { cwd: work, env: env() })).code).toBe(0);
    const next = await pushImage({ url: registryUrl }, 'shop/web', 'stable', buildImage({ seed: 'rec-web-2' }));
    const check = await runCli(['reconcile', '--check', '--exclude', '.cache/**'], { cwd: work, env: env() });
    expect(check.code).toBe(3);
    const dry = await runCli(['reconcile', '--dry-run', '--now', '2024-05-01T12:20:00Z', '--exclude', '.cache/**'], {
      cwd: work,
      env: env(),
    });
    expect(dry.stdout).toContain(`+    - created: "2024-05-01T12:20:00Z"`);
    expect(dry.stdout).toContain(`image: ${next}`);
    const r = await runCli(['reconcile', '--now', '2024-05-01T12:20:00Z', '-o', 'json', '--exclude', '.cache/**'], {
      cwd: work,
      env: env(),
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      changes: Array<{ tag: string; kind: string; from: string; to: string }>;
      edits: Array<{ pointer: string; op: string }>;
    };
    expect(report.changes).toEqual(
      expect.arrayContaining([
        { stream: expect.any(String), tag: 'web', kind: 'imported', from: digests.web, to: next },
        expect.objectContaining({ tag: 'latest', kind: 'tracked' }),
      ]),
    );
    const web = status().tags.find((t) => t.tag === 'web');
    expect(web?.items.map((i) => i.image)).toEqual([next, digests.web]);
    expect(
      status()
        .tags.find((t) => t.tag === 'latest')
        ?.items.map((i) => i.image),
    ).toEqual([next, digests.web]);
    expect(deployed()).toBe(deployment.replace('image: storefront:dev', `image: ${proxy.host}/shop/web@${next}`));
  });

  it('--force-import imports every importable tag, scheduled or not, and finds nothing new', async () => {
    const r = await runCli(['reconcile', '--force-import', '-o', 'json', '--exclude', '.cache/**'], { cwd: work, env: env() });
    const report = JSON.parse(r.stdout) as { imports: Array<{ tag: string; reason: string }>; edits: unknown[] };
    expect(report.imports.map((i) => [i.tag, i.reason]).sort()).toEqual([
      ['api', 'forced'],
      ['web', 'forced'],
    ]);
    expect(report.edits).toEqual([]);
  });

  it('a failed import exits 4, records the condition, and keeps the current image', async () => {
    writeFileSync(
      path.join(work, 'gone.yaml'),
      stream(proxy.host).replace('name: shop\n', 'name: gone\n').replace('shop/web:stable', 'shop/nothing:here'),
    );
    const r = await runCli(['reconcile', '--now', '2024-05-01T12:30:00Z', '--exclude', '.cache/**'], { cwd: work, env: env() });
    expect(r.code).toBe(4);
    const gone = parse(readFileSync(path.join(work, 'gone.yaml'), 'utf8')) as {
      status: { tags: Array<{ tag: string; items: unknown; conditions?: Array<{ reason: string; message: string }> }> };
    };
    expect(gone.status.tags.find((t) => t.tag === 'web')?.conditions?.[0]).toMatchObject({
      reason: 'NotFound',
      message: `dockerimage.image.openshift.io "${proxy.host}/shop/nothing:here" not found`,
    });
  });
});

describe('reconcile --offline on the corpus', () => {
  it('changes not one byte of the 592 files (a temporary git repository stays clean)', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(path.join(tmpdir(), 'imagestreams-corpus-'));
    try {
      cpSync(path.resolve(import.meta.dirname, '../../fixtures/corpus/openshift-library'), dir, { recursive: true });
      const git = (...args: string[]): string =>
        execFileSync('git', args, {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
        });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'corpus');
      const r = await runCli(['reconcile', '--offline', '-n', 'openshift'], { cwd: dir, env: { HOME: dir } });
      // One template names a stream defined three times (per-architecture variants): reported, nothing written.
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^0 files changed/m);
      expect(git('status', '--porcelain')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
