/**
 * Every trigger in the corpus templates, applied: parameters substituted with the templates' own defaults, every
 * referenced tag given a synthetic status, then the file rendered. The result may differ from the original only in
 * image values (and a DeploymentConfig's lastTriggeredImage).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRecord } from '../../src/reconcile/objects.js';
import type { ResolvedStream, WorkloadInput } from '../../src/reconcile/workloads.js';
import { planWorkloads } from '../../src/reconcile/workloads.js';
import { applyPatches } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = process.env.IMAGESTREAMS_CORPUS_DIR ?? path.resolve(here, '../../fixtures/corpus/openshift-library');
const templates = (readdirSync(corpus, { recursive: true }) as string[])
  .filter((f) => /\/templates\/[^/]+\.json$/.test(f.split(path.sep).join('/')))
  .sort();
const kinds = new Set([
  'Pod',
  'ReplicationController',
  'Deployment',
  'DaemonSet',
  'ReplicaSet',
  'StatefulSet',
  'Job',
  'CronJob',
  'DeploymentConfig',
]);

/** Paths where two JSON values differ. */
function differences(a: unknown, b: unknown, p = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (isRecord(a) && isRecord(b))
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differences(a[k], b[k], `${p}/${k}`));
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => differences(x, b[i], `${p}/${i}`));
  return [p];
}

describe('corpus template triggers, applied', () => {
  it('finds the 60 templates', () => expect(templates).toHaveLength(60));

  for (const file of templates) {
    it(file, () => {
      const original = readFileSync(path.join(corpus, file), 'utf8');
      const params = (JSON.parse(original) as { parameters?: Array<{ name: string; value?: string }> }).parameters ?? [];
      const defaults = new Map(params.map((p) => [p.name, p.value ?? `${p.name.toLowerCase().replace(/_/g, '-')}`]));
      const text = original.replace(/\$\{\{?([A-Z0-9_]+)\}?\}/g, (m, name: string) =>
        defaults.has(name) ? (defaults.get(name) as string).replace(/["\\]/g, '') : m,
      );
      const template = JSON.parse(text) as { objects: Array<Record<string, unknown>> };
      const workloads: WorkloadInput[] = [];
      const wanted = new Map<string, Set<string>>();
      template.objects.forEach((o, i) => {
        if (!kinds.has(String(o.kind))) return;
        const metadata = isRecord(o.metadata) ? o.metadata : {};
        const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'openshift';
        workloads.push({ key: String(i), kind: String(o.kind), namespace, value: o });
        const notes = isRecord(metadata.annotations) ? metadata.annotations : {};
        const triggers: Array<{ from: { name: string; namespace?: string } }> = [];
        if (typeof notes['image.openshift.io/triggers'] === 'string')
          triggers.push(...(JSON.parse(notes['image.openshift.io/triggers'] as string) as typeof triggers));
        const specTriggers = isRecord(o.spec) && Array.isArray(o.spec.triggers) ? o.spec.triggers : [];
        for (const t of specTriggers)
          if (isRecord(t) && isRecord(t.imageChangeParams) && isRecord(t.imageChangeParams.from))
            triggers.push({ from: t.imageChangeParams.from as { name: string; namespace?: string } });
        for (const t of triggers) {
          const [stream, tag = 'latest'] = t.from.name.split(':');
          const key = `${t.from.namespace || namespace}/${stream}`;
          wanted.set(key, (wanted.get(key) ?? new Set()).add(tag));
        }
      });
      if (workloads.length === 0) {
        // One template triggers only a BuildConfig (image change triggers start builds; nothing to rewrite).
        expect(template.objects.filter((o) => o.kind === 'BuildConfig').length).toBeGreaterThan(0);
        return;
      }
      let n = 0;
      const streams: ResolvedStream[] = [...wanted.entries()].map(([key, tags]) => {
        const [namespace, name] = key.split('/') as [string, string];
        const items = [...tags].map((tag) => ({
          tag,
          items: [
            {
              created: '2024-05-01T12:00:00Z',
              dockerImageReference: `quay.io/${namespace}/${name}@sha256:${(++n).toString(16).padStart(64, '0')}`,
              image: `sha256:${n.toString(16).padStart(64, '0')}`,
              generation: 2,
            },
          ],
        }));
        return {
          namespace,
          name,
          value: { spec: { tags: [...tags].map((tag) => ({ name: tag })) }, status: { dockerImageRepository: '', tags: items } },
        };
      });
      const { plans, skips } = planWorkloads(workloads, streams);
      expect(skips.filter((s) => s.reason.startsWith('left unchanged'))).toEqual([]);
      expect(plans.reduce((k, p) => k + p.changes.length, 0)).toBeGreaterThan(0);
      const ops: PatchOp[] = plans.flatMap((p) => p.edits.map((e) => ({ ...e, path: `/objects/${p.workload}${e.path}` }) as PatchOp));
      const rendered = applyPatches(text, 'json', [{ document: 0, ops }]);
      expect(rendered.ok).toBe(true);
      if (!rendered.ok) return;
      const changed = differences(JSON.parse(text), JSON.parse(rendered.text));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.filter((p) => !/\/image$|\/lastTriggeredImage$/.test(p))).toEqual([]);
      // Byte-wise, only those values moved: every other line is as it was (a line that gained the comma before an
      // added lastTriggeredImage counts as unchanged).
      const before = new Set(text.split('\n').map((l) => l.replace(/,$/, '')));
      const after = rendered.text.split('\n');
      expect(after.length - text.split('\n').length).toBe(ops.filter((o) => o.op === 'add').length);
      expect(
        after
          .filter((line) => !before.has(line.replace(/,$/, '')))
          .filter((line) => !/"(image|lastTriggeredImage)": "quay\.io\//.test(line)),
      ).toEqual([]);
    });
  }
});
