/**
 * large-stream: one reconcile pass (load, plan, render, verify) over a single stream with tens of thousands of tags,
 * fed recorded observations as the golden tests are. Each case runs in a fresh process so that its peak RSS is its
 * own; the baseline, measured in the same run, is a process that only parses the same input file with `yaml` (the
 * floor: every pass reads the file that way) and a process that does nothing.
 *
 *   npm run bench -- large
 *
 * Figures when this benchmark was written (2 shared cores, Node 20; peak RSS, wall time; the yaml-parse baseline
 * was ~410 MB / ~2 s in both runs), before → after the changes that came with it:
 *   first import, 50,000 tags, default limit   2,089 MB  121 s (73 s alone), wrote 18.6 MB (unreadable next pass)  →  577 MB  3.1 s, not written (too-large)
 *   first import, 50,000 tags, 64 MiB limit    2,091 MB  133 s                                       →  1,211 MB  10 s
 *   every tag moved, 20,000 tags, 64 MiB       2,699 MB  262 s                                       →  942 MB  7.5 s
 * What remains is mostly `yaml`'s Document of the input (~65 bytes per byte of YAML, paid by the load and again by
 * the render's own parse) and the verifying parse of the result.
 * Verification in parts (src/render/verify-yaml.ts), the old and new code run the same hour:
 *   first import, 50,000 tags, 64 MiB limit    1,232 MB  22.7 s  →  505 MB  11.5 s
 *   every tag moved, 20,000 tags, 64 MiB       1,235 MB  16.3 s  →  1,055 MB  13.8 s (one child process each)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Composer, Parser } from 'yaml';
import type { ImportSource } from '../src/cli/pipeline.js';
import { reconcilePass } from '../src/cli/pipeline.js';
import type { Observation } from '../src/import/index.js';
import { defaultLoadLimits } from '../src/render/limits.js';
import { defaultWalkOptions } from '../src/render/walk.js';
import { yamlOptions } from '../src/render/yaml-source.js';
import { defaultReconcileSettings } from '../src/reconcile/settings.js';

const now = '2024-05-01T12:00:00Z';
const hex = (n: number, salt = 0): string => (n + salt * 1_000_000).toString(16).padStart(64, '0');

/** A stream with `n` DockerImage spec tags; with `imported`, a status as a previous pass wrote it (digest salt 0). */
function streamFile(n: number, imported: boolean): string {
  const spec = Array.from(
    { length: n },
    (_, t) => `  - name: v${t}\n    from:\n      kind: DockerImage\n      name: quay.io/bench/app:v${t}\n`,
  ).join('');
  const head = `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: bench\nspec:\n  tags:\n${spec}`;
  if (!imported) return head;
  const names = Array.from({ length: n }, (_, t) => `v${t}`).sort();
  const status = names
    .map((tag) => {
      const t = Number(tag.slice(1));
      return `  - tag: ${tag}\n    items:\n    - created: "2024-04-01T12:00:00Z"\n      dockerImageReference: quay.io/bench/app@sha256:${hex(t)}\n      image: sha256:${hex(t)}\n      generation: 2\n`;
    })
    .join('');
  return `${head}status:\n  dockerImageRepository: ""\n  tags:\n${status}`;
}

/** Every tag answers with a digest of its own (`salt` 1: every tag moved since the recorded status). */
function recorded(salt: number): ImportSource {
  const answer = (from: string): Observation => {
    const t = Number(from.slice(from.lastIndexOf(':v') + 2));
    const digest = `sha256:${hex(t, salt)}`;
    return {
      ok: true,
      image: {
        digest,
        dockerImageReference: `quay.io/bench/app@${digest}`,
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [],
      },
    };
  };
  return {
    importImages: async (requests) => requests.map((r) => answer(r.from)),
    repositoryTags: async () => ({ ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: 'no repository recorded' } }),
  };
}

interface Case {
  readonly name: string;
  readonly tags: number;
  readonly imported: boolean;
  readonly maxFileBytes: number;
}

const cases: Case[] = [
  { name: 'first import, 50,000 tags, default 10 MiB limit', tags: 50_000, imported: false, maxFileBytes: defaultLoadLimits.maxFileBytes },
  { name: 'first import, 50,000 tags, limit 64 MiB', tags: 50_000, imported: false, maxFileBytes: 64 << 20 },
  { name: 'every tag moved, 20,000 tags (20,000 edits), limit 64 MiB', tags: 20_000, imported: true, maxFileBytes: 64 << 20 },
];

interface Figures {
  readonly ms: number;
  readonly rssMB: number;
  readonly inBytes: number;
  readonly outBytes?: number;
  readonly renderErrors?: string[];
}

const peakMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** In the child: run one case (or a baseline) and print its figures as JSON. */
async function child(kind: string, index: number): Promise<void> {
  const c = cases[index] as Case;
  const text = streamFile(c.tags, c.imported);
  if (kind === 'idle') {
    console.log(JSON.stringify({ ms: 0, rssMB: peakMB(), inBytes: 0 } satisfies Figures));
    return;
  }
  if (kind === 'parse') {
    const t0 = performance.now();
    const composer = new Composer(yamlOptions);
    const values: unknown[] = [];
    for (const token of new Parser().parse(text)) for (const d of composer.next(token)) values.push(d.toJS());
    for (const d of composer.end()) values.push(d.toJS());
    console.log(JSON.stringify({ ms: performance.now() - t0, rssMB: peakMB(), inBytes: Buffer.byteLength(text) } satisfies Figures));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-large-'));
  try {
    const file = path.join(dir, 'app.yaml');
    writeFileSync(file, text);
    const t0 = performance.now();
    const result = await reconcilePass({
      repoDir: dir,
      displayBase: dir,
      walk: defaultWalkOptions,
      limits: { ...defaultLoadLimits, maxFileBytes: c.maxFileBytes },
      settings: defaultReconcileSettings,
      now,
      offline: false,
      // A recorded status without an import record is not due again by itself: ask for every tag, as --force-import.
      forceImport: c.imported,
      importer: recorded(c.imported ? 1 : 0),
    });
    for (const change of result.changes) writeFileSync(change.absolute, change.after);
    const ms = performance.now() - t0;
    const written = result.changes.length > 0 ? Buffer.byteLength(readFileSync(file, 'utf8')) : undefined;
    console.log(
      JSON.stringify({
        ms,
        rssMB: peakMB(),
        inBytes: Buffer.byteLength(text),
        ...(written ? { outBytes: written } : {}),
        renderErrors: result.renderErrors.map((e) => e.code),
      } satisfies Figures),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const self = fileURLToPath(import.meta.url);
const run = (kind: string, index: number): Figures =>
  JSON.parse(
    execFileSync(process.execPath, [...process.execArgv, self, '--large-stream-child', kind, String(index)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    })
      .trim()
      .split('\n')
      .pop() ?? '{}',
  ) as Figures;

const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${(bytes / 1048576).toFixed(1)} MB`);

export async function largeStream(): Promise<void> {
  const idle = run('idle', 0);
  console.log(`large-stream (one stream, one pass; peak RSS of a fresh process each; an idle process peaks at ${idle.rssMB} MB)`);
  for (const [i, c] of cases.entries()) {
    const floor = run('parse', i);
    const pass = run('pass', i);
    const outcome =
      pass.renderErrors && pass.renderErrors.length > 0 ? `not written (${pass.renderErrors.join(', ')})` : `wrote ${mb(pass.outBytes)}`;
    console.log(`  ${c.name}: input ${mb(pass.inBytes)}, ${outcome}`);
    console.log(`    baseline yaml parse of the input  ${String(floor.rssMB).padStart(6)} MB peak  ${floor.ms.toFixed(0).padStart(7)} ms`);
    console.log(
      `    reconcile pass                    ${String(pass.rssMB).padStart(6)} MB peak  ${pass.ms.toFixed(0).padStart(7)} ms  ${(pass.rssMB / floor.rssMB).toFixed(2)}x parse RSS  ${(pass.ms / floor.ms).toFixed(1)}x parse time`,
    );
  }
}

if (process.argv[2] === '--large-stream-child' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await child(process.argv[3] ?? 'pass', Number(process.argv[4] ?? 0));
}
