/**
 * import-registry: what an import pass costs against a real local registry (Debian's docker-registry), in requests
 * per tag and wall time, as a ratio to the floor: a raw loop of one HEAD per tag at the same concurrency over a warm
 * keep-alive connection, measured in the same run.
 *
 * Passes: cold (empty cache: HEAD + manifest + config per tag), warm (same process: one HEAD per tag), restart
 * (new process, same disk cache: one HEAD per tag plus one ping).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { createRegistryImporter } from '../src/import/index.js';
import type { ImportRequest } from '../src/import/index.js';
import { buildImage, buildMultiArch } from '../test/support/images.js';
import { pushImage, pushIndex } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';
import { testSettings } from '../test/helpers/importer.js';

const tags = 60;
const concurrency = 8;

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

export async function importRegistry(): Promise<void> {
  const registry = await startRegistry();
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-cache-'));
  try {
    const names: string[] = [];
    for (let i = 0; i < tags; i += 1) {
      const tag = `t${i}`;
      if (i % 3 === 0)
        await pushIndex(
          registry,
          'bench/app',
          tag,
          buildMultiArch(
            [
              { os: 'linux', architecture: 'amd64' },
              { os: 'linux', architecture: 'arm64' },
            ],
            { seed: `bench-${i}` },
          ),
        );
      else await pushImage(registry, 'bench/app', tag, buildImage({ seed: `bench-${i}` }));
      names.push(tag);
    }
    const requests: ImportRequest[] = names.map((t) => ({ from: `${registry.host}/bench/app:${t}`, importMode: 'Legacy', insecure: true }));

    // Baseline: one HEAD per tag, same concurrency, warm connection.
    const agent = new Agent({ connections: concurrency });
    const head = (t: string) =>
      request(`${registry.url}/v2/bench/app/manifests/${t}`, {
        method: 'HEAD',
        dispatcher: agent,
        reset: false,
        headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      }).then((r) => r.body.dump());
    await pool(names, concurrency, head);
    const b0 = performance.now();
    await pool(names, concurrency, head);
    const baselineMs = performance.now() - b0;
    await agent.close();

    let count = 0;
    const settings = testSettings({ cacheDir, concurrency });
    const measure = async (
      imp: Awaited<ReturnType<typeof createRegistryImporter>>,
    ): Promise<{ ms: number; perTag: number; ok: number }> => {
      count = 0;
      const t0 = performance.now();
      const out = await imp.importer.importImages(requests);
      return { ms: performance.now() - t0, perTag: count / tags, ok: out.filter((o) => o.ok).length };
    };
    const first = await createRegistryImporter(settings, { onRequest: () => void (count += 1) });
    const cold = await measure(first);
    const warm = await measure(first);
    await first.close();
    const second = await createRegistryImporter(settings, { onRequest: () => void (count += 1) });
    const restart = await measure(second);
    await second.close();

    const row = (name: string, r: { ms: number; perTag: number; ok: number }): string =>
      `  ${name.padEnd(26)}${r.ms.toFixed(1).padStart(8)} ms  ${r.perTag.toFixed(2)} requests/tag  ${(r.ms / baselineMs).toFixed(2)}x baseline  (${r.ok}/${tags} ok)`;
    console.log(`import-registry (${tags} tags, a third of them multi-arch lists, concurrency ${concurrency})`);
    console.log(`  ${'baseline raw HEAD loop'.padEnd(26)}${baselineMs.toFixed(1).padStart(8)} ms  1.00 requests/tag`);
    console.log(row('imagestreams cold', cold));
    console.log(row('imagestreams warm', warm));
    console.log(row('imagestreams restart', restart));
  } finally {
    await registry.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
