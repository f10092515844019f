/**
 * policy-checks: what a tag-policy check costs against a real local registry (Debian's docker-registry): 100
 * repositories of 500 tags each, one semver-policy tag per repository. The floor is the issue's: one tags/list
 * walk plus one HEAD of the chosen tag per check (plus the one `GET /v2/` ping), measured in the same run from the
 * registry's own page size; the ratio is requests / floor. Two passes: the first (cold: the chosen tag's manifest
 * and config are fetched once) and a warm one with nothing new (the case that repeats every interval).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reconcilePass } from '../src/cli/pipeline.js';
import { createRegistryImporter } from '../src/import/index.js';
import type { RequestEvent } from '../src/import/index.js';
import { defaultReconcileSettings } from '../src/reconcile/settings.js';
import { defaultLoadLimits } from '../src/render/limits.js';
import { defaultWalkOptions } from '../src/render/walk.js';
import { buildImage } from '../test/support/images.js';
import { RegistryClient } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';
import { testSettings } from '../test/helpers/importer.js';

const repositories = 100;
const tagsPerRepository = 500;

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** 1.0.0 … 1.<k>.<n>: 500 versions per repository, plus prereleases and a 2.x the policy must pass over. */
const tagsOf = (i: number): string[] =>
  Array.from({ length: tagsPerRepository }, (_, k) =>
    k % 50 === 49 ? `2.${k}.0` : k % 25 === 24 ? `1.${Math.floor(k / 10)}.${k % 10}-rc.1` : `1.${Math.floor(k / 10)}.${k % 10}`,
  ).map((t) => (i % 2 === 0 ? t : `v${t}`));

export async function policyChecksBench(): Promise<void> {
  const registry = await startRegistry();
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-policy-'));
  try {
    const client = new RegistryClient({ url: registry.url });
    const image = buildImage({ seed: 'bench-policy' });
    const t0 = performance.now();
    const puts: Array<{ repo: string; tag: string }> = [];
    for (let i = 0; i < repositories; i++) {
      const repo = `policy/r${i}`;
      await client.pushImage(repo, undefined, image);
      for (const tag of tagsOf(i)) puts.push({ repo, tag });
    }
    await pool(puts, 16, (p) => client.pushManifest(p.repo, p.tag, image.manifest));
    await client.close();
    console.log(
      `  setup: ${repositories} repositories x ${tagsPerRepository} tags pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const host = new URL(registry.url).host;
    const streams = Array.from({ length: repositories }, (_, i) => {
      const first = tagsOf(i)[0] as string;
      return `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: r${i}\n  namespace: bench\nspec:\n  tags:\n    - name: stable\n      annotations:\n        imagestreams.dev/policy: '{"semver": "^1"}'\n      from:\n        kind: DockerImage\n        name: ${host}/policy/r${i}:${first}\n      importPolicy:\n        insecure: true\n`;
    });
    writeFileSync(path.join(work, 'streams.yaml'), streams.join('---\n'));

    const events: RequestEvent[] = [];
    const imp = await createRegistryImporter(testSettings({ cacheDir: path.join(work, 'cache') }), {
      onRequest: (e) => void events.push(e),
    });
    const pass = async (now: string) => {
      events.length = 0;
      const started = performance.now();
      const r = await reconcilePass({
        repoDir: work,
        displayBase: work,
        walk: { ...defaultWalkOptions, exclude: ['cache/**'] },
        limits: defaultLoadLimits,
        settings: defaultReconcileSettings,
        now,
        offline: false,
        forceImport: false,
        importer: imp.importer,
      });
      for (const c of r.changes) writeFileSync(c.absolute, c.after);
      const ms = performance.now() - started;
      const lists = events.filter((e) => e.path.endsWith('/tags/list')).length;
      const heads = events.filter((e) => e.method === 'HEAD').length;
      const gets = events.filter((e) => e.method === 'GET' && !e.path.endsWith('/tags/list') && e.path !== '/v2/').length;
      const moved = r.imports.filter((i) => i.policy && i.policy.chosen !== i.policy.previous).length;
      return { ms, requests: events.length, lists, heads, gets, moved, changes: r.changes.length };
    };
    // The registry answers tags/list in one page here (no `n`): the floor is one list and one HEAD per check.
    const floor = 1 + repositories * 2;
    const cold = await pass('2024-06-01T00:00:00Z');
    const warm: Array<Awaited<ReturnType<typeof pass>>> = [];
    for (let k = 0; k < 3; k++) warm.push(await pass(`2024-06-01T0${k + 1}:00:00Z`));
    await imp.close();
    const median = [...warm].sort((a, b) => a.ms - b.ms)[1] as (typeof warm)[number];
    const row = (name: string, f: typeof cold): string =>
      `  ${name.padEnd(28)} ${f.ms.toFixed(0).padStart(7)} ms  ${String(f.requests).padStart(5)} requests (${f.lists} tags/list, ${f.heads} HEAD, ${f.gets} GET)  ${(f.requests / repositories).toFixed(2)} per check  ratio ${(f.requests / floor).toFixed(2)}x floor  ${f.moved} moved`;
    console.log(
      `policy-checks: ${repositories} policy tags over ${repositories} repositories of ${tagsPerRepository} tags (floor ${floor} requests: ping + 1 tags/list + 1 HEAD per check)`,
    );
    console.log(row('first pass (cold)', cold));
    console.log(row('warm pass, nothing new (median of 3)', median));
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
