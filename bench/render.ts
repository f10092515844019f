/**
 * render: the byte-exact, verified render of 2,000 changed stream files (renderEdits, as a pass calls it, on the
 * files the loader read) against a plain YAML parse of the same files (yaml's `parse`, measured in the same run).
 * Medians of 3 rounds after a warm-up round (the first round of any of them is mostly the JIT); each round times
 * the baseline and the render back to back and the ratio is the median of the rounds' ratios. Times are CPU time
 * (user + system), which a loaded machine distorts far less than wall time.
 *
 * Two passes are rendered:
 * - next import: every file already has a status (5 tags, 2 images each); every tag gets a new digest, so each
 *   tag's history gains an entry and the import record changes (the daemon's everyday pass);
 * - first import: no file has a status yet; each gets one (the result is about 2.5× the file, so a verified render
 *   of it is also given against a parse of the results).
 */
import { loadavg } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { StreamInput } from '../src/reconcile/due.js';
import { dueImports } from '../src/reconcile/due.js';
import type { FileEdits } from '../src/reconcile/pass.js';
import type { ImportOutcome } from '../src/reconcile/plan.js';
import { planStreams } from '../src/reconcile/plan.js';
import { renderEdits } from '../src/render/edits.js';
import { parseText } from '../src/render/load.js';
import type { ParsedFile } from '../src/render/source.js';

const streams = Number(process.env.BENCH_STREAMS ?? 2000);
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

function load(texts: readonly string[]): Map<string, ParsedFile> {
  const files = new Map<string, ParsedFile>();
  texts.forEach((text, i) => {
    const r = parseText(`s/${i}.yaml`, text);
    if (!r.ok) throw new Error(r.diagnostic.message);
    files.set(r.file.path, r.file);
  });
  return files;
}

/** The edits of a pass where every tag of every stream is imported with a new digest (`round` makes it new). */
function passEdits(files: ReadonlyMap<string, ParsedFile>, round: number, now: string): FileEdits[] {
  const inputs: StreamInput[] = [...files.values()].map((f, i) => ({
    key: f.path,
    namespace: 'bench',
    name: `app${i}`,
    value: f.documents[0]?.value as Record<string, unknown>,
  }));
  const due = dueImports(inputs, { now, forceImport: true });
  const tagResults = new Map<string, Map<string, ImportOutcome>>();
  for (const d of due.imports) {
    if (d.kind !== 'tag') continue;
    const m = tagResults.get(d.stream) ?? new Map<string, ImportOutcome>();
    const digest = `sha256:${hex(round * 1_000_000 + Number(d.stream.replace(/\D/g, '')) * 10 + m.size)}`;
    m.set(d.tag, { ok: true, image: { digest, dockerImageReference: `${d.from.split(':')[0]}@${digest}` } });
    tagResults.set(d.stream, m);
  }
  const planned = planStreams({ streams: inputs, tagResults, repositoryResults: new Map(), now, policy: {} });
  return planned.streams.map((s) => ({
    file: s.stream,
    edits: s.edits.map((op) => ({ document: 0, op, object: s.stream })),
  }));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** CPU time (user + system, ms) of the work: on a shared machine, wall time mostly measures the neighbours. */
const time = (fn: () => void): number => {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

const render = (files: ReadonlyMap<string, ParsedFile>, edits: readonly FileEdits[]) =>
  renderEdits(files, edits, { displayBase: '/bench', maxBytes: 1 << 20 });

/**
 * Each round times the baseline and the render back to back, so a round's ratio is taken under one load (the
 * machine is shared); the figures are the medians of 3 rounds, after a warm-up round.
 */
function scenario(name: string, files: ReadonlyMap<string, ParsedFile>, edits: readonly FileEdits[]): void {
  const texts = [...files.values()].map((f) => f.text);
  const once = render(files, edits);
  if (once.failures.length > 0) throw new Error(`render failed: ${once.failures[0]?.error}`);
  const results = once.changes.map((c) => c.after);
  const rounds: Array<{ parse: number; after: number; render: number }> = [];
  for (let round = 0; round <= 3; round += 1) {
    const parse = time(() => {
      for (const t of texts) parseYaml(t);
    });
    const after = time(() => {
      for (const t of results) parseYaml(t);
    });
    const ms = time(() => void render(files, edits));
    if (round > 0) rounds.push({ parse, after, render: ms });
  }
  const parseMs = median(rounds.map((r) => r.parse));
  const afterMs = median(rounds.map((r) => r.after));
  const renderMs = median(rounds.map((r) => r.render));
  const ratio = median(rounds.map((r) => r.render / r.parse));
  const ratioAfter = median(rounds.map((r) => r.render / r.after));
  const ops = edits.reduce((n, e) => n + e.edits.length, 0);
  const kb = (xs: readonly string[]) => (xs.reduce((n, t) => n + t.length, 0) / 1024).toFixed(0);
  console.log(`  ${name}: ${once.changes.length} files changed, ${ops} ops, ${kb(texts)} KiB → ${kb(results)} KiB`);
  console.log(`    baseline yaml parse of the files        ${parseMs.toFixed(1).padStart(8)} ms`);
  console.log(`    yaml parse of the results               ${afterMs.toFixed(1).padStart(8)} ms`);
  console.log(
    `    render (byte-exact, verified)           ${renderMs.toFixed(1).padStart(8)} ms  ${ratio.toFixed(2)}x the files' parse, ${ratioAfter.toFixed(2)}x the results' parse`,
  );
}

export async function renderBench(): Promise<void> {
  console.log(
    `render (${streams} stream files, ${streams * tagsPerStream} tags; CPU ms, medians of 3 after a warm-up; load ${loadavg()[0]?.toFixed(1)})`,
  );
  const fresh = load(Array.from({ length: streams }, (_, i) => file(i)));
  const first = passEdits(fresh, 1, '2024-05-01T12:00:00Z');
  let current = fresh;
  for (let round = 1; round <= 2; round += 1) {
    const edits = passEdits(current, round, `2024-05-0${round}T12:00:00Z`);
    current = load(render(current, edits).changes.map((c) => c.after));
  }
  if (process.env.BENCH_RENDER_SHOW) console.log([...current.values()][0]?.text);
  scenario('next import (status with 2 images per tag, a 3rd arrives)', current, passEdits(current, 3, '2024-05-03T12:00:00Z'));
  scenario('first import (no status yet)', fresh, first);
}
