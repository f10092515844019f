/**
 * warm-pass: a pass over 2,000 streams / 10,000 tags (5 tags per file, 1,000 distinct sources on the real local
 * registry, each followed by 10 tags) when every tag is due and nothing is new, against the floor measured in the
 * same run: a raw loop of the same 1,000 HEADs at the same concurrency over a warm keep-alive connection.
 *
 * - reconcile: what `imagestreams reconcile` does (in process, so without Node's start): a fresh importer over the
 *   disk cache, every file read and parsed;
 * - reconcile also reads the parse store a previous run saved (a new ParseStore each round, read from disk);
 * - daemon pass: what the daemon repeats: one importer, one load cache and one validation memo kept across passes.
 * Each round times the floor and both passes back to back; medians of 5 rounds after a warm-up round (wall time:
 * the registry is another process). Requests are counted per pass (the floor: one HEAD per distinct source).
 *
 *   npm run bench -- warm-pass
 */
import { tagImage } from './tag-image.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import type { PassOptions } from '../src/cli/pipeline.js';
import { reconcilePass } from '../src/cli/pipeline.js';
import { createRegistryImporter } from '../src/import/index.js';
import type { LoadCache } from '../src/render/repository.js';
import { ParseStore } from '../src/render/parse-store.js';
import { ValidationMemo } from '../src/render/validate.js';
import { defaultLoadLimits } from '../src/render/limits.js';
import { defaultWalkOptions } from '../src/render/walk.js';
import { defaultReconcileSettings } from '../src/reconcile/settings.js';
import { testSettings } from '../test/helpers/importer.js';
import { startRegistry } from '../test/support/registry.js';

const streams = Number(process.env.BENCH_STREAMS ?? 2000);
const perStream = 5;
const sources = Math.min(1000, streams * perStream);
const concurrency = 8;

const streamFile = (host: string, s: number): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app${s}\n  namespace: bench\nspec:\n  tags:\n${Array.from(
    { length: perStream },
    (_, t) =>
      `  - name: v${t}\n    from:\n      kind: DockerImage\n      name: ${host}/bench/app:t${(s * perStream + t) % sources}\n    importPolicy:\n      insecure: true\n      scheduled: true\n`,
  ).join('')}`;

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function warmPassBench(): Promise<void> {
  const registry = await startRegistry();
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-warm-'));
  try {
    await tagImage(registry.url, 'bench/app', sources, 'warm-pass');
    const repoDir = path.join(work, 'repo');
    mkdirSync(path.join(repoDir, 'streams'), { recursive: true });
    for (let s = 0; s < streams; s += 1) writeFileSync(path.join(repoDir, 'streams', `app${s}.yaml`), streamFile(registry.host, s));
    const settings = testSettings({ cacheDir: path.join(work, 'cache'), concurrency });
    let requests = 0;
    const onRequest = () => void (requests += 1);
    const day = (n: number): string => new Date(Date.UTC(2030, 0, 1 + n)).toISOString().replace('.000Z', 'Z');
    const base = (now: string): Omit<PassOptions, 'importer' | 'loadCache'> => ({
      repoDir,
      displayBase: repoDir,
      walk: defaultWalkOptions,
      limits: defaultLoadLimits,
      settings: defaultReconcileSettings,
      now,
      offline: false,
      forceImport: false,
    });

    // The first pass imports everything and writes the statuses.
    const first = await createRegistryImporter(settings);
    // What `reconcile` keeps on disk between runs: the parse store, in the cache directory.
    const store = (): ParseStore => new ParseStore(path.join(work, 'cache', 'parsed'), repoDir);
    const cold = await reconcilePass({ ...base(day(0)), importer: first.importer });
    for (const c of cold.changes) writeFileSync(c.absolute, c.after);
    await first.close();
    await (async (s) => {
      await reconcilePass({ ...base(day(0)), offline: true, parseStore: s });
      await s.save();
    })(store());

    // The floor: one HEAD per distinct source, same concurrency, warm connection.
    const agent = new Agent({ connections: concurrency });
    const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json';
    const names = Array.from({ length: sources }, (_, i) => `t${i}`);
    const head = (t: string) =>
      request(`${registry.url}/v2/bench/app/manifests/${t}`, { method: 'HEAD', dispatcher: agent, headers: { accept }, reset: false }).then(
        (r) => r.body.dump(),
      );
    const floor = async (): Promise<number> => {
      const t0 = performance.now();
      await pool(names, concurrency, head);
      return performance.now() - t0;
    };

    const daemon = await createRegistryImporter(settings, { onRequest });
    const loadCache: LoadCache = new Map();
    const validationMemo = new ValidationMemo();
    const storeHits: number[] = [];
    const storeRecalls: number[] = [];
    const rounds: Array<{ floor: number; reconcile: number; daemon: number; rq: number; dq: number; changes: number }> = [];
    for (let round = 0; round <= 5; round += 1) {
      const now = day(1 + round);
      const floorMs = await floor();
      requests = 0;
      const r0 = performance.now();
      const fresh = await createRegistryImporter(settings, { onRequest });
      const parsed = store();
      const once = await reconcilePass({ ...base(now), importer: fresh.importer, parseStore: parsed });
      await parsed.save();
      await fresh.close();
      storeHits.push(parsed.stats.hits);
      storeRecalls.push(parsed.stats.recalled);
      const reconcileMs = performance.now() - r0;
      const rq = requests;
      requests = 0;
      const d0 = performance.now();
      const pass = await reconcilePass({ ...base(now), importer: daemon.importer, loadCache, validationMemo });
      const daemonMs = performance.now() - d0;
      if (round > 0)
        rounds.push({
          floor: floorMs,
          reconcile: reconcileMs,
          daemon: daemonMs,
          rq,
          dq: requests,
          changes: once.changes.length + pass.changes.length,
        });
    }
    await daemon.close();
    await agent.close();
    const f = median(rounds.map((r) => r.floor));
    const row = (name: string, ms: number, ratio: number, q: number): string =>
      `  ${name.padEnd(30)}${ms.toFixed(1).padStart(9)} ms  ${ratio.toFixed(2)}x the floor  ${q} requests`;
    console.log(
      `warm-pass (${streams} streams, ${streams * perStream} tags, ${sources} distinct sources, every tag due, nothing new; concurrency ${concurrency}; wall, medians of 5 after a warm-up; load ${loadavg()[0]?.toFixed(1)})`,
    );
    console.log(`  ${'floor: raw HEAD loop'.padEnd(30)}${f.toFixed(1).padStart(9)} ms  1.00x            ${sources} requests`);
    console.log(
      row(
        'reconcile (fresh importer)',
        median(rounds.map((r) => r.reconcile)),
        median(rounds.map((r) => r.reconcile / r.floor)),
        median(rounds.map((r) => r.rq)),
      ),
    );
    console.log(
      row(
        'daemon pass (caches kept)',
        median(rounds.map((r) => r.daemon)),
        median(rounds.map((r) => r.daemon / r.floor)),
        median(rounds.map((r) => r.dq)),
      ),
    );
    console.log(
      `  reconcile: files from the parse store ${median(storeHits)} of ${streams}, ${median(storeRecalls)} of them not read (their stat stood)`,
    );
    console.log(`  files changed by the warm passes: ${median(rounds.map((r) => r.changes))} (should be 0)`);
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
