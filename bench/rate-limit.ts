/**
 * rate-limit: a cold import pass against the real registry behind a Docker-Hub-like limit (test/support/rate-limit-
 * proxy.ts: `limit` manifest GETs per window, the ratelimit-* headers on every answer, 429 beyond), with the request
 * budget and without it (the client as it was: headers ignored, a 429 past the retries fails the import), measured in
 * the same run, median of 3 (fresh cache and fresh window each). Then the next pass after the window: what the
 * budget deferred is imported, still without a 429.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRegistryImporter } from '../src/import/index.js';
import type { FullImportRequest, Observation } from '../src/import/index.js';
import { testSettings } from '../test/helpers/importer.js';
import { buildImage } from '../test/support/images.js';
import { pushImage } from '../test/support/push.js';
import { startRateLimitProxy } from '../test/support/rate-limit-proxy.js';
import { startRegistry } from '../test/support/registry.js';

const tags = 100;
const limit = 60;
const runs = 3;

interface Figures {
  ms: number;
  requests: number;
  tooMany: number;
  ok: number;
  deferred: number;
  failed: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function rateLimitBench(): Promise<void> {
  const registry = await startRegistry();
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-ratelimit-'));
  try {
    for (let i = 0; i < tags; i += 1) await pushImage(registry, 'bench/limited', `t${i}`, buildImage({ seed: `rl-${i}` }));
    const rows: Record<'plain' | 'budget' | 'next', Figures[]> = { plain: [], budget: [], next: [] };
    for (let run = 0; run < runs; run += 1) {
      for (const mode of ['plain', 'budget'] as const) {
        const proxy = await startRateLimitProxy(registry.url, { limit, windowMs: 3_600_000 });
        const requests: FullImportRequest[] = Array.from({ length: tags }, (_, i) => ({
          from: `${proxy.host}/bench/limited:t${i}`,
          importMode: 'Legacy',
          insecure: true,
        }));
        const settings = testSettings({
          cacheDir: path.join(work, `${mode}-${run}`),
          retries: 3,
          maxRetryAfterMs: 60_000,
          ...(mode === 'plain' ? { pacing: false } : { rateLimits: new Map([[proxy.host, { counts: 'pulls' as const }]]) }),
        });
        const imp = await createRegistryImporter(settings);
        const pass = async (): Promise<Figures> => {
          proxy.resetStats();
          const t0 = performance.now();
          const out: Observation[] = await imp.importer.importImages(requests);
          return {
            ms: performance.now() - t0,
            requests: proxy.stats.requests,
            tooMany: proxy.stats.tooMany,
            ok: out.filter((o) => o.ok).length,
            deferred: out.filter((o) => 'deferred' in o).length,
            failed: out.filter((o) => 'failure' in o).length,
          };
        };
        rows[mode].push(await pass());
        if (mode === 'budget') {
          proxy.resetWindow();
          rows.next.push(await pass());
        }
        await imp.close();
        await proxy.stop();
      }
    }
    const m = (r: Figures[], k: keyof Figures): number => median(r.map((x) => x[k]));
    const line = (name: string, r: Figures[]): string =>
      `  ${name.padEnd(34)}${m(r, 'ms').toFixed(1).padStart(8)} ms  ${String(m(r, 'requests')).padStart(4)} requests  ${String(m(r, 'tooMany')).padStart(3)} x 429  ${m(r, 'ok')} ok, ${m(r, 'deferred')} deferred, ${m(r, 'failed')} failed`;
    console.log(`rate-limit (${tags} new tags, the registry allows ${limit} manifest GETs per window; median of ${runs})`);
    console.log(line('plain pass (no budget, baseline)', rows.plain));
    console.log(line('budget (headers)', rows.budget));
    console.log(line('budget, next pass after the window', rows.next));
    const plain429 = m(rows.plain, 'tooMany');
    console.log(
      `  429s: ${m(rows.budget, 'tooMany') + m(rows.next, 'tooMany')} with the budget vs ${plain429} without (ratio ${(
        (m(rows.budget, 'tooMany') + m(rows.next, 'tooMany')) / Math.max(1, plain429)
      ).toFixed(2)}); requests ${(m(rows.budget, 'requests') / m(rows.plain, 'requests')).toFixed(2)}x, wall ${(
        m(rows.budget, 'ms') / m(rows.plain, 'ms')
      ).toFixed(
        2,
      )}x the plain pass; imported over two passes: ${m(rows.budget, 'ok')} + ${m(rows.next, 'ok') - m(rows.budget, 'ok')} of ${tags}`,
    );
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
