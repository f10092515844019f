/**
 * A scheduled check knows the image the tag's status shows (`ImportRequest.known`): when the tag's HEAD confirms it,
 * the import ends there, with no manifest or config read (from the registry or the cache), because a full import
 * would give that same image. Anything the HEAD cannot vouch for takes the full import. Counted at a proxy in front
 * of the real registry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { FullImportRequest, ImportRequest } from '../../src/import/index.js';
import type { CountingProxy } from '../support/counting-proxy.js';
import { startCountingProxy } from '../support/counting-proxy.js';
import { buildImage, buildMultiArch } from '../support/images.js';
import { pushImage, pushIndex } from '../support/push.js';
import { makeTempDir, removeDir } from '../support/tmp.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const registryUrl = inject('registryUrl');
const req = (from: string, extra: Partial<ImportRequest> = {}): ImportRequest => ({ from, importMode: 'Legacy', insecure: true, ...extra });
const full = (from: string, extra: Partial<FullImportRequest> = {}): FullImportRequest => ({
  from,
  importMode: 'Legacy',
  insecure: true,
  ...extra,
});

const docker = buildImage({ format: 'docker', seed: 'confirm-docker' });
const oci = buildImage({ format: 'oci', seed: 'confirm-oci' });
const older = buildImage({ format: 'oci', seed: 'confirm-older' });
const index = buildMultiArch(
  [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 's390x' },
  ],
  { format: 'oci', seed: 'confirm-index' },
);
let indexDigest: string;
let proxy: CountingProxy;
let dockerRef: string;
let ociRef: string;
let listRef: string;

beforeAll(async () => {
  const target = { url: registryUrl };
  await pushImage(target, 'confirm/app', 'docker', docker);
  await pushImage(target, 'confirm/app', 'oci', oci);
  indexDigest = (await pushIndex(target, 'confirm/multi', 'latest', index)).digest;
  proxy = await startCountingProxy(registryUrl);
  dockerRef = `${proxy.host}/confirm/app:docker`;
  ociRef = `${proxy.host}/confirm/app:oci`;
  listRef = `${proxy.host}/confirm/multi:latest`;
});
afterAll(() => proxy.stop());
beforeEach(() => proxy.reset());

// The registry's /v2/ ping a new importer makes is left out: manifests and blobs only.
const seen = (): string[] =>
  proxy.requests.filter((r) => /\/(manifests|blobs)\//.test(r.path)).map((r) => `${r.method} ${r.path.slice(r.path.lastIndexOf('/') + 1)}`);
const amd64 = (): string => index.children[0]?.manifest.digest ?? '';
const s390x = (): string => index.children[1]?.manifest.digest ?? '';

describe('a known image confirmed by its HEAD', () => {
  it('a single image (Docker schema 2 and OCI) whose HEAD names the known digest: confirmed, one HEAD each, nothing else read', async () => {
    const out = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(dockerRef, { known: docker.manifest.digest }), req(ociRef, { known: oci.manifest.digest })]),
    );
    expect(out).toEqual([
      {
        ok: true,
        image: {
          confirmed: true,
          digest: docker.manifest.digest,
          dockerImageReference: `${proxy.host}/confirm/app@${docker.manifest.digest}`,
        },
      },
      {
        ok: true,
        image: { confirmed: true, digest: oci.manifest.digest, dockerImageReference: `${proxy.host}/confirm/app@${oci.manifest.digest}` },
      },
    ]);
    expect(seen().sort()).toEqual(['HEAD docker', 'HEAD oci']);
  });

  it('a known digest the tag no longer names: the full import of the new image', async () => {
    const [o] = await withImporter(testSettings(), (r) => r.importer.importImages([req(ociRef, { known: older.manifest.digest })]));
    expect(o?.ok && o.image).toMatchObject({ digest: oci.manifest.digest, metadata: { Architecture: 'amd64' } });
    expect(o?.ok && 'confirmed' in o.image).toBe(false);
    expect(seen()).toEqual(['HEAD oci', `GET ${oci.manifest.digest}`, `GET ${oci.config.digest}`]);
  });

  it('a list in Legacy mode: confirmed when the child this platform resolved to before (remembered on disk) is the known image', async () => {
    const cacheDir = makeTempDir('confirm-cache-');
    try {
      const settings = testSettings({ cacheDir });
      // Nothing remembered yet: the HEAD cannot vouch for the child, so the list is read.
      const [first] = await withImporter(settings, (r) => r.importer.importImages([req(listRef, { known: amd64() })]));
      expect(first).toMatchObject({ ok: true, image: { digest: amd64(), listDigest: indexDigest, metadata: { Architecture: 'amd64' } } });
      expect(seen()).toContain(`GET ${indexDigest}`);
      proxy.reset();
      // A new process (the cache on disk): the HEAD and the remembered child suffice.
      const again = await withImporter(settings, (r) =>
        r.importer.importImages([req(listRef, { known: amd64() }), req(listRef, { known: amd64(), preferArch: 's390x' })]),
      );
      expect(again[0]).toEqual({
        ok: true,
        image: {
          confirmed: true,
          digest: amd64(),
          listDigest: indexDigest,
          dockerImageReference: `${proxy.host}/confirm/multi@${amd64()}`,
        },
      });
      // Another platform's child is another image: the known amd64 one does not stand for it.
      expect(again[1]).toMatchObject({ ok: true, image: { digest: s390x(), listDigest: indexDigest } });
      expect(again[1]?.ok && 'confirmed' in again[1].image).toBe(false);
      expect(seen().filter((s) => s.startsWith('HEAD'))).toEqual(['HEAD latest']);
    } finally {
      removeDir(cacheDir);
    }
  });

  it('a list kept whole (PreserveOriginal) is always imported in full, even when its digest is the known one', async () => {
    const [o] = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(listRef, { importMode: 'PreserveOriginal', known: indexDigest })]),
    );
    expect(o?.ok && o.image).toMatchObject({ digest: indexDigest });
    expect(o?.ok && 'children' in o.image && o.image.children?.map((c) => c.digest)).toEqual([amd64(), s390x()]);
    expect(seen()).toContain(`GET ${indexDigest}`);
  });

  it('one source asked with and without a known image in one call: one HEAD; the one that wants the whole image gets it', async () => {
    const out = await withImporter(testSettings(), (r) =>
      r.importer.importImages([req(ociRef, { known: oci.manifest.digest }), full(ociRef)]),
    );
    expect(out[0]).toMatchObject({ ok: true, image: { confirmed: true, digest: oci.manifest.digest } });
    expect(out[1]).toMatchObject({ ok: true, image: { digest: oci.manifest.digest, metadata: { Architecture: 'amd64' } } });
    expect(seen().filter((s) => s.startsWith('HEAD'))).toEqual(['HEAD oci']);
  });
});
