/** Imports from the real registry over plain HTTP: formats, lists, platforms, failures, request economy. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FullImportRequest } from '../../src/import/index.js';
import { buildImage, buildMultiArch } from '../support/images.js';
import { pushImage, pushIndex } from '../support/push.js';
import type { CountingProxy } from '../support/counting-proxy.js';
import { startCountingProxy } from '../support/counting-proxy.js';
import { makeTempDir, removeDir } from '../support/tmp.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const exec = promisify(execFile);
const registryUrl = inject('registryUrl');
const host = inject('registryHost');
const req = (from: string, extra: Partial<FullImportRequest> = {}): FullImportRequest => ({
  from,
  importMode: 'Legacy',
  insecure: true,
  ...extra,
});

const image = buildImage({
  format: 'docker',
  seed: 'plain-docker',
  labels: { 'io.k8s.display-name': 'App' },
  env: ['PATH=/usr/bin'],
  entrypoint: ['/app'],
  cmd: ['serve'],
  workingDir: '/srv',
  user: '1001',
  exposedPorts: ['8080/tcp'],
  author: 'tests',
});
const oci = buildImage({ format: 'oci', seed: 'plain-oci' });
const list = buildMultiArch(
  [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 's390x' },
  ],
  { format: 'docker', seed: 'plain-list' },
);
const index = buildMultiArch(
  [
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'amd64' },
  ],
  { format: 'oci', seed: 'plain-index' },
);
let digests: { image: string; oci: string; list: string; listChildren: string[]; index: string; indexChildren: string[] };
let cacheDir: string;

beforeAll(async () => {
  const target = { url: registryUrl };
  const [a, b, c, d] = await Promise.all([
    pushImage(target, 'team/app', '1.0', image),
    pushImage(target, 'team/oci', 'v1', oci),
    pushIndex(target, 'team/multi', 'latest', list),
    pushIndex(target, 'team/ocimulti', '2', index),
  ]);
  digests = { image: a, oci: b, list: c.digest, listChildren: c.children, index: d.digest, indexChildren: d.children };
  cacheDir = makeTempDir('imagestreams-cache-');
});
afterAll(() => removeDir(cacheDir));

describe('import over plain HTTP (insecure)', () => {
  it('imports a Docker schema 2 image with its metadata; the pull spec keeps the reference as written', async () => {
    const [o] = await withImporter(testSettings(), (r) => r.importer.importImages([req(`${host}/team/app:1.0`)]));
    expect(o?.ok).toBe(true);
    if (!o?.ok) return;
    expect(o.image.digest).toBe(digests.image);
    expect(o.image.dockerImageReference).toBe(`${host}/team/app@${digests.image}`);
    expect(o.image.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(o.image.metadata).toMatchObject({
      Architecture: 'amd64',
      Os: 'linux',
      Author: 'tests',
      Created: '2024-01-01T00:00:00Z',
      Size: image.layers.reduce((n, l) => n + l.size, 0),
      Config: {
        Entrypoint: ['/app'],
        Cmd: ['serve'],
        WorkingDir: '/srv',
        User: '1001',
        Env: ['PATH=/usr/bin'],
        ExposedPorts: { '8080/tcp': {} },
        Labels: { 'io.k8s.display-name': 'App' },
      },
    });
    expect(o.image.layers.map((l) => l.name)).toEqual(image.layers.map((l) => l.digest));
  });

  it('imports an OCI image, and an image by digest', async () => {
    const [byTag, byDigest] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(`${host}/team/oci:v1`), req(`${host}/team/oci@${digests.oci}`)]),
    );
    expect(byTag).toMatchObject({
      ok: true,
      image: { digest: digests.oci, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(byDigest).toMatchObject({ ok: true, image: { digest: digests.oci, dockerImageReference: `${host}/team/oci@${digests.oci}` } });
  });

  it("Legacy on a manifest list picks linux/amd64, or the tag's preferred platform; image and pull spec use the child digest", async () => {
    const [amd, arm, ociAmd] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([
        req(`${host}/team/multi:latest`),
        req(`${host}/team/multi:latest`, { preferArch: 'arm64' }),
        req(`${host}/team/ocimulti:2`),
      ]),
    );
    expect(amd).toMatchObject({
      ok: true,
      image: {
        digest: digests.listChildren[0],
        listDigest: digests.list,
        dockerImageReference: `${host}/team/multi@${digests.listChildren[0]}`,
        metadata: { Architecture: 'amd64' },
      },
    });
    expect(arm).toMatchObject({ ok: true, image: { digest: digests.listChildren[1], platform: { architecture: 'arm64', variant: 'v8' } } });
    expect(ociAmd).toMatchObject({ ok: true, image: { digest: digests.indexChildren[1], listDigest: digests.index } });
  });

  it('a configured platform changes the default choice', async () => {
    const [o] = await withImporter(testSettings({ platform: { os: 'linux', architecture: 's390x' } }), (r) =>
      r.importer.importImages([req(`${host}/team/multi:latest`)]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest: digests.listChildren[2] } });
  });

  it('PreserveOriginal keeps the list digest and imports every child', async () => {
    const [o] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(`${host}/team/ocimulti:2`, { importMode: 'PreserveOriginal' })]),
    );
    expect(o?.ok).toBe(true);
    if (!o?.ok) return;
    expect(o.image.digest).toBe(digests.index);
    expect(o.image.dockerImageReference).toBe(`${host}/team/ocimulti@${digests.index}`);
    expect(o.image.children?.map((c) => [c.digest, c.platform.architecture, c.metadata?.Architecture])).toEqual([
      [digests.indexChildren[0], 'arm64', 'arm64'],
      [digests.indexChildren[1], 'amd64', 'amd64'],
    ]);
  });

  it("reports a missing tag and a missing repository as NotFound with OpenShift's message", async () => {
    const [tag, repo] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(`${host}/team/app:nope`), req(`${host}/team/ghost:1`)]),
    );
    expect(tag).toEqual({
      ok: false,
      failure: expect.objectContaining({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${host}/team/app:nope" not found` }),
    });
    expect(repo).toMatchObject({ ok: false, failure: { reason: 'NotFound' } });
  });

  it('refuses an HTTP-only registry without the insecure flag (BadRequest)', async () => {
    const [o] = await withImporter(testSettings(), (r) => r.importer.importImages([req(`${host}/team/app:1.0`, { insecure: false })]));
    expect(o).toEqual({
      ok: false,
      failure: expect.objectContaining({
        reason: 'BadRequest',
        message: `the repository ${host}/team/app is HTTP only and requires the insecure flag to import`,
      }),
    });
  });

  it('honours blocked registries and forbidden insecure imports', async () => {
    const [blocked] = await withImporter(testSettings({ blocked: [host] }), (r) => r.importer.importImages([req(`${host}/team/app:1.0`)]));
    expect(blocked).toMatchObject({ ok: false, failure: { reason: 'Forbidden', message: `forbidden: registry ${host} blocked` } });
    const [notAllowed] = await withImporter(testSettings({ allowed: ['quay.io'] }), (r) =>
      r.importer.importImages([req(`${host}/team/app:1.0`)]),
    );
    expect(notAllowed).toMatchObject({ ok: false, failure: { reason: 'Forbidden' } });
    const [insecure] = await withImporter(testSettings({ insecureForbidden: [host] }), (r) =>
      r.importer.importImages([req(`${host}/team/app:1.0`)]),
    );
    expect(insecure).toMatchObject({ ok: false, failure: { reason: 'Forbidden', message: expect.stringContaining('insecure') } });
  });

  it('fetches through a configured mirror while the pull spec keeps the original registry', async () => {
    const [o] = await withImporter(testSettings({ mirrors: [{ registry: 'docker.io', mirror: host, insecure: true }] }), (r) =>
      r.importer.importImages([req('docker.io/team/app:1.0', { insecure: false })]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest: digests.image, dockerImageReference: `docker.io/team/app@${digests.image}` } });
  });

  it('reports an unparseable name as Invalid without any request', async () => {
    const [o] = await withImporter(testSettings(), (r) => r.importer.importImages([req('test///un/parse/able/image')]));
    expect(o).toEqual({
      ok: false,
      failure: {
        kind: 'invalid',
        reason: 'Invalid',
        message: 'from.name: Invalid value: "test///un/parse/able/image": invalid name: invalid reference format',
      },
    });
  });

  it("lists tags in OpenShift's priority order", async () => {
    const target = { url: registryUrl };
    for (const t of ['other', '1.2', 'latest', '1.10', 'v1.10']) await pushImage(target, 'team/tags', t, buildImage({ seed: `tags-${t}` }));
    const listed = await withImporter(testSettings(), (r) => r.importer.listTags(`${host}/team/tags`, true));
    expect(listed).toMatchObject({ ok: true });
    if (listed.ok) expect([...listed.tags].sort()).toEqual(['1.10', '1.2', 'latest', 'other', 'v1.10']);
  });

  it('agrees with skopeo, an independent client, on an index it copied with --all', async () => {
    await exec('skopeo', [
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${host}/team/ocimulti:2`,
      `docker://${host}/team/copied:2`,
    ]);
    const { stdout } = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${host}/team/copied:2`]);
    const [o] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(`${host}/team/copied:2`, { importMode: 'PreserveOriginal' })]),
    );
    expect(o?.ok).toBe(true);
    if (o?.ok) {
      const { createHash } = await import('node:crypto');
      expect(o.image.digest).toBe(`sha256:${createHash('sha256').update(stdout).digest('hex')}`);
      expect(o.image.children?.length).toBe(2);
    }
  });
});

describe('request economy (counted at a proxy in front of the registry)', () => {
  let proxy: CountingProxy;
  beforeAll(async () => {
    proxy = await startCountingProxy(registryUrl);
  });
  afterAll(() => proxy.stop());
  const manifestGets = (): number => proxy.count((r) => r.method === 'GET' && r.path.includes('/manifests/'));
  const blobGets = (): number => proxy.count((r) => r.method === 'GET' && r.path.includes('/blobs/'));
  const heads = (): number => proxy.count((r) => r.method === 'HEAD');

  it('resolves a tag with one HEAD once its digest is known, reuses the disk cache after a restart, and fetches shared sources once', async () => {
    const settings = testSettings({ cacheDir });
    const requests = [req(`${proxy.host}/team/multi:latest`), req(`${proxy.host}/team/app:1.0`)];
    await withImporter(settings, async (r) => {
      await r.importer.importImages(requests);
      // list + child manifest + image manifest; two configs.
      expect({ heads: heads(), manifestGets: manifestGets(), blobGets: blobGets() }).toEqual({ heads: 2, manifestGets: 3, blobGets: 2 });
      proxy.reset();
      const again = await r.importer.importImages(requests);
      expect(again.every((o) => o.ok)).toBe(true);
      expect(proxy.requests.map((q) => q.method)).toEqual(['HEAD', 'HEAD']);
    });
    proxy.reset();
    // A new process: the same answers from the disk cache, one ping and one HEAD per tag.
    const restarted = await withImporter(settings, (r) => r.importer.importImages(requests));
    expect(restarted.map((o) => o.ok && o.image.digest)).toEqual([digests.listChildren[0], digests.image]);
    expect({ heads: heads(), manifestGets: manifestGets(), blobGets: blobGets() }).toEqual({ heads: 2, manifestGets: 0, blobGets: 0 });
    proxy.reset();
    // Two streams naming the same tag cost one request.
    const shared = await withImporter(settings, (r) =>
      r.importer.importImages([
        req(`${proxy.host}/team/app:1.0`),
        req(`${proxy.host}/team/app:1.0`),
        req(`${proxy.host}/team/app:1.0`, { preferOs: 'linux' }),
      ]),
    );
    expect(shared.every((o) => o.ok)).toBe(true);
    expect(heads()).toBe(1);
  });
});
