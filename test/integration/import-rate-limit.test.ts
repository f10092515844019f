/**
 * The request budget against the real registry behind a Docker-Hub-like rate limit (test/support/rate-limit-proxy.ts:
 * N manifest GETs per window, the ratelimit-* headers on every answer, 429 beyond): no 429 is ever provoked, the
 * imports past the budget are deferred (not failed: nothing is written for them), the next pass imports them, and the
 * daemon's /metrics shows what is left.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { Observation } from '../../src/import/index.js';
import { createBareRepo } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { startRateLimitProxy } from '../support/rate-limit-proxy.js';
import type { RateLimitProxy } from '../support/rate-limit-proxy.js';
import { runCli } from '../helpers/cli.js';
import { inProcessDaemon } from '../helpers/daemon.js';
import { testSettings, withImporter } from '../helpers/importer.js';
import { until } from '../helpers/wait.js';

const registryUrl = inject('registryUrl');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-ratelimit-'));
const tags = Array.from({ length: 12 }, (_, i) => `v${i}`);
const digests = new Map<string, string>();
const proxies: RateLimitProxy[] = [];

beforeAll(async () => {
  for (const t of tags) digests.set(t, await pushImage({ url: registryUrl }, 'limited/app', t, buildImage({ seed: `limited-${t}` })));
});
afterAll(async () => {
  for (const p of proxies) await p.stop();
  rmSync(work, { recursive: true, force: true });
});

const proxy = async (limit: number, windowMs: number): Promise<RateLimitProxy> => {
  const p = await startRateLimitProxy(registryUrl, { limit, windowMs });
  proxies.push(p);
  return p;
};
const requests = (host: string) => tags.map((t) => ({ from: `${host}/limited/app:${t}`, importMode: 'Legacy' as const, insecure: true }));
const kinds = (out: readonly Observation[]) => ({
  ok: out.filter((o) => o.ok).length,
  deferred: out.filter((o) => 'deferred' in o).length,
  failed: out.filter((o) => 'failure' in o).length,
});
const pulls = { counts: 'pulls' as const };

describe('a registry that allows 7 pulls per window', () => {
  it('without a budget the pass runs into 429s and fails the imports past the limit (the baseline)', async () => {
    const p = await proxy(7, 3_600_000);
    const out = await withImporter(testSettings({ cacheDir: path.join(work, 'plain'), pacing: false }), (r) =>
      r.importer.importImages(requests(p.host)),
    );
    expect(kinds(out)).toEqual({ ok: 7, deferred: 0, failed: 5 });
    expect(p.stats.tooMany).toBe(5);
    expect(out.find((o) => 'failure' in o)).toMatchObject({ failure: { kind: 'rate-limited', reason: 'InternalError' } });
  });

  it('with the budget the headers state: 7 imported, 5 deferred with their code, no 429; the next pass imports those 5', async () => {
    const p = await proxy(7, 3_600_000);
    const settings = testSettings({ cacheDir: path.join(work, 'paced'), rateLimits: new Map([[p.host, pulls]]) });
    await withImporter(settings, async (r) => {
      const first = await r.importer.importImages(requests(p.host));
      expect(kinds(first)).toEqual({ ok: 7, deferred: 5, failed: 0 });
      expect(p.stats.tooMany).toBe(0);
      const deferred = first.find((o) => 'deferred' in o);
      expect(deferred).toMatchObject({ ok: false, deferred: { code: 'registry-budget-spent', registry: p.host } });
      // The headers said `w=3600`: room comes back when that window is over.
      const retryAt = deferred && 'deferred' in deferred ? Date.parse(deferred.deferred.retryAt) : 0;
      expect(retryAt).toBeGreaterThan(Date.now() + 3_500_000);
      expect(r.budgets()).toEqual([{ registry: p.host, remaining: 0, limit: 7 }]);

      // The window passes. The next pass's HEADs bring the new headers; the 5 deferred imports go through.
      p.resetWindow();
      const second = await r.importer.importImages(requests(p.host));
      expect(kinds(second)).toEqual({ ok: 12, deferred: 0, failed: 0 });
      expect(second.map((o) => (o.ok ? o.image.digest : ''))).toEqual(tags.map((t) => digests.get(t)));
      expect(p.stats.tooMany).toBe(0);
      expect(p.stats.counted).toBe(12); // one pull per image, ever
      expect(r.budgets()).toEqual([{ registry: p.host, remaining: 2, limit: 7 }]);
    });
  });

  it('a configured budget below the registry limit is kept: 4 pulls, the rest deferred', async () => {
    const p = await proxy(7, 3_600_000);
    const settings = testSettings({
      cacheDir: path.join(work, 'configured'),
      rateLimits: new Map([[p.host, { limit: 4, windowMs: 3_600_000, counts: 'pulls' as const }]]),
    });
    const out = await withImporter(settings, (r) => r.importer.importImages(requests(p.host)));
    expect(kinds(out)).toEqual({ ok: 4, deferred: 8, failed: 0 });
    expect(p.stats.counted).toBe(4);
    expect(p.stats.tooMany).toBe(0);
  });
});

const streamFile = (host: string): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: prod
spec:
  tags:
${tags.map((t) => `  - name: ${t}\n    from:\n      kind: DockerImage\n      name: ${host}/limited/app:${t}\n    importPolicy:\n      insecure: true\n`).join('')}`;

interface StreamStatus {
  tags?: Array<{ tag: string; items: Array<{ image: string }>; conditions?: unknown[] }>;
}
const statusOf = (text: string): StreamStatus => (parse(text) as { status?: StreamStatus }).status ?? {};

describe('reconcile with registries.rateLimits', () => {
  it('deferred imports are reported, write nothing (no ImportSuccess=False), exit 0; the next run imports them', async () => {
    const p = await proxy(100, 3_600_000);
    const dir = mkdtempSync(path.join(work, 'cli-'));
    writeFileSync(path.join(dir, 'app.yaml'), streamFile(p.host));
    writeFileSync(
      path.join(dir, '.imagestreams.yaml'),
      `registries:\n  rateLimits:\n    "${p.host}": {limit: 6, windowSeconds: 3600, counts: pulls}\n`,
    );
    const env = { HOME: dir, XDG_CACHE_HOME: path.join(dir, '.cache') };
    const args = ['reconcile', '--repo', '.', '--exclude', '.cache/**', '--exclude', '.imagestreams.yaml'];
    const first = await runCli([...args, '--now', '2024-05-01T12:00:00Z'], { cwd: dir, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('6 imports deferred (registry-budget-spent)');
    expect(first.stdout).toContain('(0 failed, 6 deferred,');
    const after = readFileSync(path.join(dir, 'app.yaml'), 'utf8');
    const status = statusOf(after);
    expect(status.tags).toHaveLength(6);
    expect(after).not.toContain('ImportSuccess');
    // The import-spec record holds only the imported tags: the deferred ones stay due.
    const record = (parse(after) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
      'imagestreams.dev/import-spec'
    ];
    expect((record ?? '').split(/[,\s]+/).filter((e) => e.includes('='))).toHaveLength(6);

    // A new process, a fresh window of its own budget: the 6 deferred tags are imported, the 6 others not asked again.
    const second = await runCli([...args, '--now', '2024-05-01T13:00:00Z'], { cwd: dir, env });
    expect(second.code).toBe(0);
    const final = statusOf(readFileSync(path.join(dir, 'app.yaml'), 'utf8'));
    expect(final.tags?.map((t) => t.tag).sort()).toEqual([...tags].sort());
    for (const t of final.tags ?? []) expect(t.items[0]?.image).toBe(digests.get(t.tag));
    expect(p.stats.counted).toBe(12);
    expect(p.stats.tooMany).toBe(0);
  });
});

describe('the daemon under a rate limit', () => {
  it('defers past the budget, shows it on /metrics, and imports the rest in the pass it schedules for when the window ends', async () => {
    // 4 pulls per 3 s window; the daemon waits at most 1 s for room, so the rest is deferred, not waited for.
    const p = await proxy(4, 3_000);
    createBareRepo(projectRoot, 'ratelimit', { files: { 'app.yaml': streamFile(p.host) } });
    const d = await inProcessDaemon({
      url: `${gitUrl}/ratelimit.git`,
      work: mkdtempSync(path.join(work, 'daemon-')),
      debounceMs: 10,
      maxWaitMs: 100,
      importer: { rateLimits: new Map([[p.host, pulls]]), maxRetryAfterMs: 1000 },
    });
    try {
      await d.daemon.start();
      await until('the first pass', () => d.daemon.snapshot.passes >= 1 && d.daemon.snapshot.state === 'ready');
      const metrics = await d.metrics.registry.metrics();
      expect(metrics).toContain(`imagestreams_registry_budget_remaining{registry="${p.host}"} 0`);
      expect(metrics).toContain(`imagestreams_registry_budget_limit{registry="${p.host}"} 4`);
      expect(metrics).toMatch(/imagestreams_imports_total\{registry="127\.0\.0\.1:\d+",result="deferred"\} 8/);
      expect(d.daemon.snapshot.lastPass?.outcome).not.toBe('partial'); // a deferral is not a failure
      const firstStatus = statusOf(readFileSync(path.join(d.repo.dir, 'app.yaml'), 'utf8'));
      expect(firstStatus.tags).toHaveLength(4);
      // The core set the next pass for when the registry takes requests again; nothing else asks for one.
      await until(
        'the deferred imports to land',
        () => {
          const s = statusOf(readFileSync(path.join(d.repo.dir, 'app.yaml'), 'utf8'));
          return (s.tags?.length ?? 0) === 12 && d.daemon.snapshot.state === 'ready';
        },
        40_000,
      );
      expect(p.stats.tooMany).toBe(0);
      expect(p.stats.counted).toBe(12);
    } finally {
      await d.close();
    }
  }, 60_000);
});
