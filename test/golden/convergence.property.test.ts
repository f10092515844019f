/**
 * Convergence as a property: over seeded, generated repositories (streams with spec tags, tracking chains, lookup,
 * whole-repository imports; workloads of every kind with annotation triggers in every fieldPath form, DeploymentConfig
 * ImageChange triggers, short names and resolve-names), the real pass (`reconcilePass`, as the daemon and the CLI
 * run it) against fixed registry answers converges in one pass: a second pass changes nothing, and neither does a
 * later one that re-checks the scheduled tags against the same registry. A failing case prints its seed and files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImportRequest, Observation } from '../../src/import/index.js';
import type { ImportSource, PassResult } from '../../src/cli/pipeline.js';
import { reconcilePass } from '../../src/cli/pipeline.js';
import { exactReference, mostSpecific, parseOpenShiftReference } from '../../src/reconcile/reference.js';
import { prioritizeTags } from '../../src/reconcile/tag-order.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const CASES = 200;
const SEED = 0x1badcafe;

/** mulberry32: a small seeded generator, so every case can be replayed from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number): boolean => next() < p;
  return { int, pick, chance };
}

interface Repo {
  readonly files: Record<string, string>;
  readonly localRegistry: string | undefined;
  /** Sources the registry does not have (their imports fail). */
  readonly missing: ReadonlySet<string>;
}

const _namespaces = ['shop', 'shared'];
const digestOf = (from: string): string => `sha256:${createHash('sha256').update(from).digest('hex')}`;

/** A stream table first, then workloads that refer to it (sometimes to what is not there). */
function generate(seed: number): Repo {
  const r = rng(seed);
  const files: Record<string, string> = {};
  const missing = new Set<string>();
  const tags: Array<{ namespace: string; stream: string; tag: string }> = [];
  const streamCount = r.int(1, 3);
  const streams: Array<{ namespace: string; name: string; lookup: boolean }> = [];
  for (let s = 0; s < streamCount; s += 1) {
    const namespace = r.chance(0.8) ? 'shop' : 'shared';
    const name = `s${s}`;
    const lookup = r.chance(0.5);
    const specTags: Array<Record<string, unknown>> = [];
    const own: string[] = [];
    const tagCount = r.int(1, 4);
    for (let t = 0; t < tagCount; t += 1) {
      const tag = r.pick(['latest', 'stable', `v${t}`, `1.${t}`, 'dev']);
      if (own.includes(tag)) continue;
      const earlier = tags.filter((x) => !(x.namespace === namespace && x.stream === name && x.tag === tag));
      const tracking = earlier.length > 0 && r.chance(0.4);
      const entry: Record<string, unknown> = { name: tag };
      if (tracking) {
        // Only tags generated earlier are tracked: chains, never cycles.
        const target = r.pick(earlier);
        const sameStream = target.namespace === namespace && target.stream === name;
        entry.from = {
          kind: 'ImageStreamTag',
          name: sameStream && r.chance(0.5) ? target.tag : `${target.stream}:${target.tag}`,
          ...(target.namespace !== namespace ? { namespace: target.namespace } : {}),
        };
      } else {
        const from = `quay.io/${namespace}/${name}:${tag}`;
        if (r.chance(0.1)) missing.add(from);
        entry.from = { kind: 'DockerImage', name: from };
        if (r.chance(0.2)) entry.reference = true;
        else if (r.chance(0.4)) entry.importPolicy = { scheduled: true };
      }
      if (r.chance(0.25)) entry.referencePolicy = { type: r.pick(['Source', 'Local']) };
      specTags.push(entry);
      own.push(tag);
      tags.push({ namespace, stream: name, tag });
    }
    const spec: Record<string, unknown> = { lookupPolicy: { local: lookup }, tags: specTags };
    if (r.chance(0.1)) spec.dockerImageRepository = `quay.io/${namespace}/${name}-all`;
    // When scheduled tags are checked: the default, an interval, or a cron schedule.
    const when = r.pick([
      undefined,
      undefined,
      { 'imagestreams.dev/import-interval': '5m' },
      { 'imagestreams.dev/import-schedule': r.pick(['*/5 * * * *', '0 * * * *', '30 12 * * *']) },
    ]);
    const doc = {
      apiVersion: r.pick(['image.openshift.io/v1', 'v1']),
      kind: 'ImageStream',
      metadata: { name, namespace, ...(when ? { annotations: when } : {}) },
      spec,
    };
    if (r.chance(0.2)) files[`streams/${name}.json`] = `${JSON.stringify(doc, null, 2)}\n`;
    else files[`streams/${name}.yaml`] = stringify(doc, { version: '1.1' });
    streams.push({ namespace, name, lookup });
  }

  const workloadDocs: string[] = [];
  const workloadCount = r.int(1, 5);
  for (let w = 0; w < workloadCount; w += 1) {
    const kind = r.pick(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'Pod', 'DeploymentConfig']);
    const namespace = r.chance(0.85) ? 'shop' : 'shared';
    const image = (): string => {
      const s = r.pick(streams);
      const t = r.pick(
        tags
          .filter((x) => x.namespace === s.namespace && x.stream === s.name)
          .map((x) => x.tag)
          .concat(['nope']),
      );
      return r.pick([`${s.name}:${t}`, s.name, `quay.io/other/thing:${t}`, `${s.name}@${digestOf('x')}`, 'busybox']);
    };
    const containers = Array.from({ length: r.int(1, 3) }, (_, i) => ({ name: `c${i}`, image: image() }));
    const initContainers = r.chance(0.3) ? [{ name: 'init', image: image() }] : [];
    const podSpec = { ...(initContainers.length ? { initContainers } : {}), containers };
    const base = kind === 'Pod' ? 'spec' : kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
    const annotations: Record<string, string> = {};
    const ref = (): { name: string; namespace?: string } => {
      const t = r.chance(0.9) && tags.length > 0 ? r.pick(tags) : { namespace, stream: 'ghost', tag: '1' };
      return { name: `${t.stream}:${t.tag}`, ...(t.namespace !== namespace ? { namespace: t.namespace } : {}) };
    };
    const dcTriggers: Array<Record<string, unknown>> = [{ type: 'ConfigChange' }];
    if (kind !== 'DeploymentConfig') {
      const entries: Array<Record<string, unknown>> = [];
      const all = [
        ...initContainers.map((c, i) => ({ list: 'initContainers', index: i, name: c.name })),
        ...containers.map((c, i) => ({ list: 'containers', index: i, name: c.name })),
      ];
      for (const c of all) {
        if (!r.chance(0.6)) continue;
        const form = r.pick(['index', 'upstream', 'documented-single', 'documented-double']);
        const selector =
          form === 'index'
            ? String(c.index)
            : form === 'upstream'
              ? `?(@.name=="${c.name}")`
              : form === 'documented-single'
                ? `?(@.name=='${c.name}')`
                : `?(@.name="${c.name}")`;
        entries.push({
          from: { kind: 'ImageStreamTag', ...ref() },
          fieldPath: `${base}.${c.list}[${selector}].image`,
          ...(r.chance(0.15) ? { paused: true } : {}),
        });
        // Now and then a second writer for the same container in another form: an error, left unchanged.
        if (r.chance(0.05)) entries.push({ from: { kind: 'ImageStreamTag', ...ref() }, fieldPath: `${base}.${c.list}[${c.index}]image` });
      }
      if (entries.length > 0) annotations['image.openshift.io/triggers'] = JSON.stringify(entries);
    } else {
      const names = [...initContainers, ...containers].map((c) => c.name);
      let free = [...names];
      while (free.length > 0 && r.chance(0.6)) {
        const take = free.filter(() => r.chance(0.5));
        const chosen = take.length > 0 ? take : [free[0] as string];
        free = free.filter((n) => !chosen.includes(n));
        // Now and then a container another ImageChange trigger names already: an error, left unchanged.
        if (r.chance(0.08)) chosen.push(r.pick(names));
        dcTriggers.push({
          type: 'ImageChange',
          imageChangeParams: { automatic: r.chance(0.7), containerNames: chosen, from: { kind: 'ImageStreamTag', ...ref() } },
        });
      }
    }
    if (r.chance(0.15)) annotations['alpha.image.policy.openshift.io/resolve-names'] = '*';
    const metadata = { name: `w${w}`, namespace, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
    const template = { metadata: { labels: { app: `w${w}` } }, spec: podSpec };
    const body =
      kind === 'Pod'
        ? { apiVersion: 'v1', kind, metadata, spec: podSpec }
        : kind === 'CronJob'
          ? { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } }
          : kind === 'DeploymentConfig'
            ? { apiVersion: 'apps.openshift.io/v1', kind, metadata, spec: { replicas: 1, triggers: dcTriggers, template } }
            : { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata, spec: { template } };
    workloadDocs.push(stringify(body, { version: '1.1' }));
  }
  // Several workloads share one multi-document file; the rest have their own.
  const split = r.int(0, workloadDocs.length);
  if (split > 0) files['apps/together.yaml'] = workloadDocs.slice(0, split).join('---\n');
  workloadDocs.slice(split).forEach((d, i) => {
    files[`apps/w-${i}.yaml`] = d;
  });
  return { files, localRegistry: r.chance(0.3) ? 'image-registry.local:5000' : undefined, missing };
}

/** The registry: every source answers with a digest derived from its name, except the missing ones. */
function registry(repo: Repo): ImportSource {
  const answer = (req: ImportRequest): Observation => {
    if (repo.missing.has(req.from))
      return { ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: `manifest unknown: ${req.from}` } };
    const parsed = parseOpenShiftReference(req.from);
    if (!parsed.ok) return { ok: false, failure: { kind: 'invalid', reason: 'Invalid', message: parsed.error } };
    const digest = digestOf(req.from);
    return {
      ok: true,
      image: {
        digest,
        dockerImageReference: exactReference(mostSpecific({ ...parsed.value, id: digest })),
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [],
      },
    };
  };
  return {
    importImages: async (requests) => requests.map(answer),
    repositoryTags: async (_from, _insecure, cap = 50) => {
      // Names that collide with generated spec tags ('latest', 'dev') on purpose: a spec tag is governed by its own
      // import, never by the repository listing (plan.ts), so a collision must converge too.
      const ordered = prioritizeTags(['9.0', '8.1', 'edge', 'latest', 'dev']);
      const n = cap < 0 ? ordered.length : cap;
      return { ok: true, tags: ordered.slice(0, n), additionalTags: ordered.slice(n) };
    },
  };
}

async function pass(dir: string, repo: Repo, now: string): Promise<PassResult> {
  const result = await reconcilePass({
    repoDir: dir,
    displayBase: dir,
    walk: defaultWalkOptions,
    limits: defaultLoadLimits,
    settings: { ...defaultReconcileSettings, localRegistry: repo.localRegistry },
    now,
    offline: false,
    forceImport: false,
    importer: registry(repo),
  });
  for (const c of result.changes) writeFileSync(c.absolute, c.after, 'utf8');
  return result;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, 'utf8');
  }
}

const explain = (seed: number, repo: Repo, dir: string, label: string, result: PassResult): string =>
  [
    `seed ${seed}: ${label} changed ${result.changes.map((c) => c.file).join(', ')}`,
    ...result.changes.map((c) => `--- ${c.file}: edits ${JSON.stringify(c.edits.map((e) => e.op))}\n--- before this pass\n${c.before}`),
    `--- generated repository (replay: generate(${seed}))`,
    ...Object.entries(repo.files).map(([f, t]) => `# ${f}\n${t}`),
    `in ${dir}`,
  ].join('\n');

describe('convergence over generated repositories', () => {
  const totals = { cases: 0, valid: 0, streamChanges: 0, workloadImages: 0, duplicateTargets: 0 };
  afterAll(() => {
    // The property must not hold vacuously: most repositories are valid, and passes really change streams and images.
    expect(totals.cases).toBe(CASES);
    expect(totals.valid).toBeGreaterThan(CASES * 0.6);
    expect(totals.streamChanges).toBeGreaterThan(CASES);
    expect(totals.workloadImages).toBeGreaterThan(CASES / 2);
    expect(totals.duplicateTargets).toBeGreaterThan(0);
  });

  it(`${CASES} seeded repositories: the second pass, and a later one, change nothing`, async () => {
    for (let i = 0; i < CASES; i += 1) {
      const seed = SEED + i;
      const repo = generate(seed);
      const dir = mkdtempSync(path.join(tmpdir(), `imagestreams-converge-${seed}-`));
      try {
        write(dir, repo.files);
        const first = await pass(dir, repo, '2024-05-01T12:00:00Z');
        expect(first.renderErrors, `seed ${seed}`).toEqual([]);
        totals.cases += 1;
        if (!first.diagnostics.some((d) => d.severity === 'error')) totals.valid += 1;
        totals.duplicateTargets += first.diagnostics.filter((d) => d.code === 'duplicate-trigger-target').length;
        totals.streamChanges += first.plan.streams.reduce((n, s) => n + s.changes.length, 0);
        totals.workloadImages += first.workloads.reduce((n, w) => n + w.changes.length, 0);
        const second = await pass(dir, repo, '2024-05-01T12:00:00Z');
        if (second.changes.length > 0) expect.fail(explain(seed, repo, dir, 'the second pass', second));
        const later = await pass(dir, repo, '2024-05-01T13:00:00Z');
        if (later.changes.length > 0) expect.fail(explain(seed, repo, dir, 'a pass an hour later', later));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
