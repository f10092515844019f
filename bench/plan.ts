/**
 * plan-render: the core's plan time and the render time for 2,000 streams / 10,000 tags (one YAML file per stream,
 * every tag imported with a new digest), against baselines measured in the same run: JSON.parse + JSON.stringify of
 * the same objects (the floor for touching every value), and yaml's parse of every file (the floor for reading).
 */
import { parse as parseYaml } from 'yaml';
import type { StreamInput } from '../src/reconcile/due.js';
import { dueImports } from '../src/reconcile/due.js';
import type { ImportOutcome } from '../src/reconcile/plan.js';
import { planStreams } from '../src/reconcile/plan.js';
import { applyPatches } from '../src/render/patch.js';
import type { PatchOp } from '../src/render/patch.js';

const streams = 2000;
const tagsPerStream = 5;
const hex = (n: number): string => n.toString(16).padStart(64, '0');

function file(i: number): string {
  const tags = Array.from(
    { length: tagsPerStream },
    (_, t) =>
      `  - name: "${t}.0"\n    from:\n      kind: DockerImage\n      name: quay.io/bench/app${i}:${t}.0 # tag ${t}\n    importPolicy:\n      scheduled: true\n`,
  ).join('');
  return `# stream ${i}\napiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app${i}\n  namespace: bench\nspec:\n  tags:\n${tags}`;
}

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
};

export async function planRender(): Promise<void> {
  const texts = Array.from({ length: streams }, (_, i) => file(i));
  const [values, parseMs] = time(() => texts.map((t) => parseYaml(t) as Record<string, unknown>));
  const [, jsonMs] = time(() => values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
  const inputs: StreamInput[] = values.map((value, i) => ({ key: String(i), namespace: 'bench', name: `app${i}`, value }));
  const now = '2024-05-01T12:00:00Z';
  const [due, dueMs] = time(() => dueImports(inputs, { now }));
  const tagResults = new Map<string, Map<string, ImportOutcome>>();
  for (const d of due.imports) {
    if (d.kind !== 'tag') continue;
    const m = tagResults.get(d.stream) ?? new Map<string, ImportOutcome>();
    const digest = `sha256:${hex(Number(d.stream) * 10 + m.size)}`;
    m.set(d.tag, { ok: true, image: { digest, dockerImageReference: `${d.from.split(':')[0]}@${digest}` } });
    tagResults.set(d.stream, m);
  }
  const [planned, planMs] = time(() => planStreams({ streams: inputs, tagResults, repositoryResults: new Map(), now, policy: {} }));
  const [rendered, renderMs] = time(() =>
    planned.streams.map((s, i) => applyPatches(texts[i] as string, 'yaml', [{ document: 0, ops: s.edits as PatchOp[] }])),
  );
  const ok = rendered.filter((r) => r.ok).length;
  const edits = planned.streams.reduce((n, s) => n + s.edits.length, 0);
  console.log(`plan-render (${streams} streams, ${streams * tagsPerStream} tags, every tag newly imported)`);
  console.log(`  baseline yaml parse of all files   ${parseMs.toFixed(1).padStart(8)} ms`);
  console.log(`  baseline JSON clone of all values  ${jsonMs.toFixed(1).padStart(8)} ms`);
  console.log(
    `  dueImports                         ${dueMs.toFixed(1).padStart(8)} ms  (${due.imports.length} imports due)  ${(dueMs / jsonMs).toFixed(2)}x JSON clone`,
  );
  console.log(
    `  plan                               ${planMs.toFixed(1).padStart(8)} ms  (${edits} edits)  ${(planMs / jsonMs).toFixed(2)}x JSON clone`,
  );
  console.log(
    `  render (byte-exact, verified)      ${renderMs.toFixed(1).padStart(8)} ms  (${ok}/${streams} files)  ${(renderMs / parseMs).toFixed(2)}x yaml parse`,
  );
}
