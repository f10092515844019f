/**
 * validate-corpus: `imagestreams validate` over the openshift/library corpus (592 JSON files, 532 streams,
 * 60 templates) against the floor of reading and JSON.parse-ing the same files.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLoadLimits } from '../src/render/limits.js';
import { loadRepository } from '../src/render/repository.js';
import { validateRepository } from '../src/render/validate.js';
import { defaultWalkOptions, walkRepository } from '../src/render/walk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = process.env.IMAGESTREAMS_CORPUS_DIR ?? path.resolve(here, '../fixtures/corpus/openshift-library');

export async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; minMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] ?? 0, minMs: times[0] ?? 0 };
}

export async function validateCorpus(): Promise<void> {
  const files = (await walkRepository(corpus)).files;
  const baseline = await timeRuns(7, async () => {
    for (const f of files) JSON.parse(await readFile(path.join(corpus, f), 'utf8'));
  });
  let diagnostics = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const ours = await timeRuns(7, async () => {
    const repo = await loadRepository(['.'], { walk: defaultWalkOptions, limits: defaultLoadLimits, displayBase: corpus });
    diagnostics = validateRepository(repo, { defaultNamespace: 'openshift' }).length;
  });
  const heapAfter = process.memoryUsage().heapUsed;
  console.log('validate-corpus');
  console.log(`  files                     ${files.length}`);
  console.log(`  baseline read+JSON.parse  ${baseline.medianMs.toFixed(1)} ms (median of 7)`);
  console.log(`  imagestreams validate     ${ours.medianMs.toFixed(1)} ms (median of 7), ${diagnostics} diagnostics`);
  console.log(`  ratio                     ${(ours.medianMs / baseline.medianMs).toFixed(1)}x the baseline`);
  console.log(`  per file                  ${(ours.medianMs / files.length).toFixed(2)} ms`);
  console.log(`  heap growth over 7 runs   ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB`);
}
