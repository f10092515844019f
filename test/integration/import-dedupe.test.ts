/**
 * Cold imports cost one GET per distinct manifest digest and one per distinct config digest, whatever the sharing
 * and the import modes, and one HEAD per (registry, repository, reference) per call: counted at a proxy in front of
 * the real registry, with an empty cache each time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { FullImportRequest } from '../../src/import/index.js';
import type { CountingProxy } from '../support/counting-proxy.js';
import { startCountingProxy } from '../support/counting-proxy.js';
import { buildImage, buildMultiArch } from '../support/images.js';
import type { BuiltImage } from '../support/images.js';
import { pushImage, pushIndex } from '../support/push.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const registryUrl = inject('registryUrl');
const req = (from: string, extra: Partial<FullImportRequest> = {}): FullImportRequest => ({
  from,
  importMode: 'Legacy',
  insecure: true,
  ...extra,
});

// 50 distinct OCI manifests that differ only in an annotation: one config and one layer between them.
const shared: BuiltImage[] = Array.from({ length: 50 }, (_, i) =>
  buildImage({ format: 'oci', seed: 'dedupe-shared', annotations: { 'test.imagestreams.dev/n': String(i) } }),
);
const index = buildMultiArch(
  [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 's390x' },
  ],
  { format: 'oci', seed: 'dedupe-index' },
);
let indexDigest: string;
let proxy: CountingProxy;

beforeAll(async () => {
  const target = { url: registryUrl };
  await pushImage(target, 'dedupe/shared', 't0', shared[0] as BuiltImage);
  for (let i = 1; i < shared.length; i += 10)
    await Promise.all(shared.slice(i, i + 10).map((img, j) => pushImage(target, 'dedupe/shared', `t${i + j}`, img)));
  indexDigest = (await pushIndex(target, 'dedupe/multi', 'latest', index)).digest;
  proxy = await startCountingProxy(registryUrl);
});
afterAll(() => proxy.stop());
beforeEach(() => proxy.reset());

const paths = (method: string, part: string): string[] =>
  proxy.requests.filter((r) => r.method === method && r.path.includes(part)).map((r) => r.path.slice(r.path.lastIndexOf('/') + 1));
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe('cold import: one GET per distinct digest, one HEAD per source', () => {
  it('50 distinct manifests sharing one config: 50 HEADs, 50 manifest GETs and 1 config GET', async () => {
    expect(new Set(shared.map((s) => s.manifest.digest)).size).toBe(50);
    expect(new Set(shared.map((s) => s.config.digest)).size).toBe(1);
    const out = await withImporter(testSettings(), (r) =>
      r.importer.importImages(shared.map((_, i) => req(`${proxy.host}/dedupe/shared:t${i}`))),
    );
    expect(out.map((o) => o.ok && o.image.digest)).toEqual(shared.map((s) => s.manifest.digest));
    expect(out.every((o) => o.ok && o.image.metadata?.Architecture === 'amd64')).toBe(true);
    expect(paths('HEAD', '/manifests/').length).toBe(50);
    expect(sorted(paths('GET', '/manifests/'))).toEqual(sorted(shared.map((s) => s.manifest.digest)));
    expect(paths('GET', '/blobs/')).toEqual([shared[0]?.config.digest]);
  });

  it('one index imported as Legacy and as PreserveOriginal in one call: one HEAD, one GET of the index, one per child and per config', async () => {
    const from = `${proxy.host}/dedupe/multi:latest`;
    const [legacy, preserved] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(from), req(from, { importMode: 'PreserveOriginal' })]),
    );
    expect(legacy).toMatchObject({ ok: true, image: { digest: index.children[0]?.manifest.digest, listDigest: indexDigest } });
    expect(preserved).toMatchObject({ ok: true, image: { digest: indexDigest } });
    if (preserved?.ok) expect(preserved.image.children?.map((c) => c.digest)).toEqual(index.children.map((c) => c.manifest.digest));
    expect(paths('HEAD', '/manifests/')).toEqual(['latest']);
    expect(sorted(paths('GET', '/manifests/'))).toEqual(sorted([indexDigest, ...index.children.map((c) => c.manifest.digest)]));
    expect(sorted(paths('GET', '/blobs/'))).toEqual(sorted([...new Set(index.children.map((c) => c.config.digest))]));
  });

  it('the same source asked twice in one call, and for another platform, costs one HEAD', async () => {
    const from = `${proxy.host}/dedupe/multi:latest`;
    const out = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(from), req(from), req(from, { preferArch: 's390x' })]),
    );
    expect(out.map((o) => o.ok && o.image.digest)).toEqual([
      index.children[0]?.manifest.digest,
      index.children[0]?.manifest.digest,
      index.children[2]?.manifest.digest,
    ]);
    expect(paths('HEAD', '/manifests/')).toEqual(['latest']);
    expect(sorted(paths('GET', '/manifests/'))).toEqual(
      sorted([indexDigest, index.children[0]?.manifest.digest ?? '', index.children[2]?.manifest.digest ?? '']),
    );
  });

  it('a failure is not remembered: a missing tag asked twice costs one HEAD, and the next call asks again', async () => {
    const from = `${proxy.host}/dedupe/multi:nope`;
    await withImporter(testSettings(), async (r) => {
      const first = await r.importer.importImages([req(from), req(from, { importMode: 'PreserveOriginal' })]);
      expect(first.map((o) => 'failure' in o && o.failure.reason)).toEqual(['NotFound', 'NotFound']);
      expect(paths('HEAD', '/manifests/')).toEqual(['nope']);
      const second = await r.importer.importImages([req(from)]);
      expect(second.map((o) => 'failure' in o && o.failure.reason)).toEqual(['NotFound']);
      expect(paths('HEAD', '/manifests/')).toEqual(['nope', 'nope']);
    });
  });
});

describe('imports under way at once', () => {
  it('a few per registry at a time (not every request of the call at once), every observation in its request order', async () => {
    const all = shared.map((_, i) => req(`${proxy.host}/dedupe/shared:t${i}`));
    const out = await withImporter(testSettings({ concurrency: 8, tasksPerRegistry: 3 }), (r) => r.importer.importImages(all));
    expect(out.map((o) => o.ok && o.image.digest)).toEqual(shared.map((s) => s.manifest.digest));
    // The client would send 8 at once; three imports under way send at most three.
    expect(proxy.maxInFlight()).toBeLessThanOrEqual(3);
    expect(proxy.maxInFlight()).toBeGreaterThan(1);
  });
});

describe('connections', () => {
  it('HEADs keep their connection: a warm call of 50 HEADs opens no more connections than the concurrency allows', async () => {
    const settings = testSettings({ concurrency: 4 });
    await withImporter(settings, async (r) => {
      const all = shared.map((_, i) => req(`${proxy.host}/dedupe/shared:t${i}`));
      await r.importer.importImages(all);
      proxy.reset();
      const warm = await r.importer.importImages(all);
      expect(warm.every((o) => o.ok)).toBe(true);
      expect(paths('HEAD', '/manifests/').length).toBe(50);
      expect(paths('GET', '/')).toEqual([]);
      // undici closes the connection after a HEAD unless told otherwise; one per HEAD would be 50 here.
      expect(proxy.connections()).toBeLessThanOrEqual(4);
    });
  });
});
