/**
 * import-dedupe: what a cold import costs when images share content, against a real local registry (Debian's
 * docker-registry), in requests and wall time. The floor is what the issue asks for: one HEAD per distinct
 * (registry, repository, reference), one GET per distinct manifest digest, one GET per distinct config digest (plus
 * the one `GET /v2/` ping), computed from the pushed images in the same run; the ratio is requests / floor.
 *
 * Cases: 1,000 distinct manifests (one tag each) that share one config; one multi-arch index imported as Legacy
 * and as PreserveOriginal in the same call, each asked twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRegistryImporter } from '../src/import/index.js';
import type { ImportRequest, RequestEvent } from '../src/import/index.js';
import { buildImage, buildMultiArch } from '../test/support/images.js';
import { pushImage, pushIndex } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';
import { testSettings } from '../test/helpers/importer.js';

const sharedManifests = 1000;
const concurrency = 8;

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

interface Figures {
  readonly ms: number;
  readonly heads: number;
  readonly manifestGets: number;
  readonly blobGets: number;
  readonly other: number;
  readonly ok: number;
}

async function coldImport(requests: readonly ImportRequest[]): Promise<Figures> {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-dedupe-'));
  const events: RequestEvent[] = [];
  const imp = await createRegistryImporter(testSettings({ cacheDir, concurrency }), { onRequest: (e) => void events.push(e) });
  try {
    const t0 = performance.now();
    const out = await imp.importer.importImages(requests);
    const ms = performance.now() - t0;
    const heads = events.filter((e) => e.method === 'HEAD').length;
    const manifestGets = events.filter((e) => e.method === 'GET' && e.path.includes('/manifests/')).length;
    const blobGets = events.filter((e) => e.method === 'GET' && e.path.includes('/blobs/')).length;
    return {
      ms,
      heads,
      manifestGets,
      blobGets,
      other: events.length - heads - manifestGets - blobGets,
      ok: out.filter((o) => o.ok).length,
    };
  } finally {
    await imp.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function report(title: string, f: Figures, floor: { heads: number; manifests: number; configs: number }, asked: number): void {
  const requests = f.heads + f.manifestGets + f.blobGets + f.other;
  const floorTotal = floor.heads + floor.manifests + floor.configs + 1;
  console.log(`  ${title}`);
  console.log(
    `    requests ${String(requests).padStart(5)}  (HEAD ${f.heads}, manifest GET ${f.manifestGets}, config GET ${f.blobGets}, other ${f.other})` +
      `  ${f.ms.toFixed(1).padStart(8)} ms  (${f.ok}/${asked} ok)`,
  );
  console.log(
    `    floor    ${String(floorTotal).padStart(5)}  (HEAD ${floor.heads}, manifest GET ${floor.manifests}, config GET ${floor.configs}, ping 1)` +
      `  ratio ${(requests / floorTotal).toFixed(2)}x  (config GETs ${(f.blobGets / floor.configs).toFixed(2)}x, manifest GETs ${(f.manifestGets / floor.manifests).toFixed(2)}x, HEADs ${(f.heads / floor.heads).toFixed(2)}x)`,
  );
}

export async function importDedupe(): Promise<void> {
  const registry = await startRegistry();
  try {
    // 1,000 distinct manifests sharing one config and one layer: OCI manifests differing only in an annotation.
    const images = Array.from({ length: sharedManifests }, (_, i) =>
      buildImage({ format: 'oci', seed: 'bench-dedupe-shared', annotations: { 'bench.imagestreams.dev/n': String(i) } }),
    );
    await pushImage(registry, 'bench/shared', 't0', images[0] as (typeof images)[number]);
    await pool(
      images.map((img, i) => ({ img, i })),
      concurrency,
      ({ img, i }) => pushImage(registry, 'bench/shared', `t${i}`, img),
    );
    const shared = images.map(
      (_, i): ImportRequest => ({ from: `${registry.host}/bench/shared:t${i}`, importMode: 'Legacy', insecure: true }),
    );
    const configs = new Set(images.map((img) => img.config.digest)).size;
    const manifests = new Set(images.map((img) => img.manifest.digest)).size;

    const index = buildMultiArch(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 's390x' },
      ],
      { format: 'oci', seed: 'bench-dedupe-index' },
    );
    await pushIndex(registry, 'bench/multi', 'latest', index);
    const from = `${registry.host}/bench/multi:latest`;
    const modes: ImportRequest[] = [
      { from, importMode: 'Legacy', insecure: true },
      { from, importMode: 'PreserveOriginal', insecure: true },
      { from, importMode: 'Legacy', insecure: true },
      { from, importMode: 'PreserveOriginal', insecure: true },
    ];

    console.log(`import-dedupe (cold imports, empty cache each, concurrency ${concurrency})`);
    report(
      `${sharedManifests} tags, ${manifests} distinct manifests sharing ${configs} config`,
      await coldImport(shared),
      { heads: sharedManifests, manifests, configs },
      shared.length,
    );
    report(
      `one ${index.children.length}-platform index, Legacy and PreserveOriginal, each asked twice`,
      await coldImport(modes),
      { heads: 1, manifests: 1 + index.children.length, configs: new Set(index.children.map((c) => c.config.digest)).size },
      modes.length,
    );
  } finally {
    await registry.stop();
  }
}
