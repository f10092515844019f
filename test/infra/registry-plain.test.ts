import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildImage, buildIndex, MEDIA, sha256 } from '../support/images.js';
import { pushImage, pushIndex, RegistryClient } from '../support/push.js';

const execFileP = promisify(execFile);
const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const client = new RegistryClient({ url: registryUrl });
const uniq = `${process.pid}-${Date.now().toString(36)}`;

afterAll(async () => {
  await client.close();
});

describe('shared plain registry', () => {
  it('answers /v2/ with 200 and the API version header', async () => {
    const res = await client.send('GET', '/v2/');
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(registryUrl).toBe(`http://${registryHost}`);
  });

  it('pushes and pulls a Docker schema 2 image byte for byte', async () => {
    const repo = `plain/docker-${uniq}`;
    const image = buildImage({
      format: 'docker',
      seed: 'docker-v2',
      layerCount: 2,
      labels: { 'org.opencontainers.image.version': '1.2.3' },
      env: ['A=1'],
      entrypoint: ['/bin/app'],
      cmd: ['--serve'],
      workingDir: '/srv',
      user: '1001',
      exposedPorts: ['8080/tcp'],
      author: 'tests',
    });
    const digest = await pushImage({ url: registryUrl }, repo, 'v1', image);
    expect(digest).toBe(image.manifest.digest);

    const res = await client.getManifest(repo, 'v1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(MEDIA.dockerManifest);
    expect(res.headers['docker-content-digest']).toBe(image.manifest.digest);
    expect(Buffer.compare(res.body, image.manifest.data)).toBe(0);
    expect(sha256(res.body)).toBe(res.headers['docker-content-digest']);

    const head = await client.getManifest(repo, 'v1', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(image.manifest.size));
    expect(head.headers['docker-content-digest']).toBe(image.manifest.digest);

    const cfg = await client.getBlob(repo, image.config.digest);
    expect(cfg.status).toBe(200);
    expect(sha256(cfg.body)).toBe(image.config.digest);
    const parsed = JSON.parse(cfg.body.toString()) as { config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    expect(parsed.config.Labels).toEqual({ 'org.opencontainers.image.version': '1.2.3' });
    expect(parsed.config.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(parsed.rootfs.diff_ids).toEqual(image.diffIds);
    for (const layer of image.layers) {
      const blob = await client.getBlob(repo, layer.digest);
      expect(blob.status).toBe(200);
      expect(sha256(blob.body)).toBe(layer.digest);
    }
    expect(await client.listTags(repo)).toEqual(['v1']);
  });

  it('pushes and pulls an OCI image manifest', async () => {
    const repo = `plain/oci-${uniq}`;
    const image = buildImage({ format: 'oci', seed: 'oci', annotations: { 'org.example': 'x' } });
    await pushImage({ url: registryUrl }, repo, 'latest', image);
    const res = await client.getManifest(repo, 'latest');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(MEDIA.ociManifest);
    expect(res.headers['docker-content-digest']).toBe(image.manifest.digest);
    expect(Buffer.compare(res.body, image.manifest.data)).toBe(0);
    const byDigest = await client.getManifest(repo, image.manifest.digest);
    expect(byDigest.status).toBe(200);
    expect(Buffer.compare(byDigest.body, image.manifest.data)).toBe(0);
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`pushes a multi-arch ${format} index and resolves its children`, async () => {
      const repo = `plain/multi-${format}-${uniq}`;
      const amd64 = buildImage({ format, seed: `multi-${format}`, architecture: 'amd64' });
      const arm64 = buildImage({ format, seed: `multi-${format}`, architecture: 'arm64', variant: 'v8' });
      expect(amd64.manifest.digest).not.toBe(arm64.manifest.digest);
      const index = buildIndex([amd64, arm64], { format });
      const result = await pushIndex({ url: registryUrl }, repo, 'multi', index);
      expect(result.digest).toBe(index.manifest.digest);
      expect(result.children).toEqual([amd64.manifest.digest, arm64.manifest.digest]);

      const res = await client.getManifest(repo, 'multi');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList);
      expect(res.headers['docker-content-digest']).toBe(index.manifest.digest);
      expect(Buffer.compare(res.body, index.manifest.data)).toBe(0);
      const parsed = JSON.parse(res.body.toString()) as {
        manifests: Array<{ digest: string; platform: { architecture: string; variant?: string } }>;
      };
      expect(parsed.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
      expect(parsed.manifests[1]?.platform.variant).toBe('v8');
      for (const m of parsed.manifests) {
        const child = await client.getManifest(repo, m.digest);
        expect(child.status).toBe(200);
        expect(sha256(child.body)).toBe(m.digest);
      }
    });
  }

  it('reports missing tags and repositories, and deletes by digest', async () => {
    const repo = `plain/delete-${uniq}`;
    // distribution 2.8.2: a manifest GET in an unknown repository answers MANIFEST_UNKNOWN;
    // tags/list of an unknown repository answers NAME_UNKNOWN.
    const missingManifest = await client.getManifest(`plain/nope-${uniq}`, 'latest');
    expect(missingManifest.status).toBe(404);
    expect(missingManifest.body.toString()).toContain('MANIFEST_UNKNOWN');
    const missingRepo = await client.send('GET', `/v2/plain/nope-${uniq}/tags/list`);
    expect(missingRepo.status).toBe(404);
    expect(missingRepo.body.toString()).toContain('NAME_UNKNOWN');

    const image = buildImage({ seed: 'delete-me' });
    await pushImage({ url: registryUrl }, repo, 'gone', image);
    const missingTag = await client.getManifest(repo, 'other');
    expect(missingTag.status).toBe(404);
    expect(missingTag.body.toString()).toContain('MANIFEST_UNKNOWN');

    const del = await client.deleteManifest(repo, image.manifest.digest);
    expect(del.status).toBe(202);
    expect((await client.getManifest(repo, 'gone')).status).toBe(404);
  });

  it('skopeo inspect cross-checks a pushed image digest', async () => {
    const repo = `plain/skopeo-${uniq}`;
    const image = buildImage({ seed: 'skopeo', labels: { via: 'skopeo' }, architecture: 'amd64', os: 'linux' });
    await pushImage({ url: registryUrl }, repo, 'x', image);
    const { stdout } = await execFileP('skopeo', ['inspect', '--tls-verify=false', `docker://${registryHost}/${repo}:x`], {
      timeout: 20_000,
    });
    const info = JSON.parse(stdout) as { Digest: string; Labels: Record<string, string>; Architecture: string; Layers: string[] };
    expect(info.Digest).toBe(image.manifest.digest);
    expect(info.Labels).toEqual({ via: 'skopeo' });
    expect(info.Architecture).toBe('amd64');
    expect(info.Layers).toEqual(image.layers.map((l) => l.digest));
  });

  it('skopeo inspect --raw returns the exact index bytes', async () => {
    const repo = `plain/skopeo-index-${uniq}`;
    const index = buildIndex(
      [buildImage({ format: 'oci', seed: 'sk', architecture: 'amd64' }), buildImage({ format: 'oci', seed: 'sk', architecture: 'arm64' })],
      { format: 'oci' },
    );
    await pushIndex({ url: registryUrl }, repo, 'idx', index);
    const { stdout } = await execFileP('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registryHost}/${repo}:idx`], {
      timeout: 20_000,
      encoding: 'buffer',
    });
    expect(sha256(stdout)).toBe(index.manifest.digest);
  });
});
