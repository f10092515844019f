import type { FileStamp } from './file-stamp.js';
import { sameStamp, stampOf } from './file-stamp.js';
import { statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestObject, LocatedFinding } from '../reconcile/objects.js';
import { collectObjects } from '../reconcile/objects.js';
import type { Diagnostic } from './diagnostic.js';
import { compareDiagnostics } from './diagnostic.js';
import type { LoadLimits } from './limits.js';
import type { LoadResult } from './load.js';
import { displayPath, loadFile } from './load.js';
import type { ParsedFile } from './source.js';
import type { MarkerSite } from '../reconcile/markers.js';
import type { KustomizationInput } from '../reconcile/kustomize.js';
import { kustomizationFileNames } from '../reconcile/kustomize.js';
import { isRecord } from '../reconcile/objects.js';
import { inChartTemplates } from './go-template.js';
import type { WalkOptions } from './walk.js';
import type { ParseStore } from './parse-store.js';
import { isDirectory, walkRepository } from './walk.js';

export interface LoadOptions {
  readonly walk: WalkOptions;
  readonly limits: LoadLimits;
  /** Base for the names diagnostics print (the working directory for the CLI). */
  readonly displayBase: string;
  /**
   * Parsed files from earlier loads, reused while a file's size and modification time are unchanged (the daemon
   * keeps one across passes, so a pass re-reads only what changed).
   */
  readonly cache?: LoadCache;
  /**
   * Parses kept on disk, keyed on content (src/render/parse-store.ts): a file whose text is in it is not parsed.
   * Opened here; saving it is the caller's (after the pass, or now and then in the daemon).
   */
  readonly store?: ParseStore;
}

export type LoadCache = Map<string, FileStamp & { readonly result: LoadResult }>;

async function loadCached(
  absolute: string,
  display: string,
  limits: LoadLimits,
  cache: LoadCache | undefined,
  store: ParseStore | undefined,
): Promise<LoadResult> {
  const parse = store ? (d: string, text: string, l: LoadLimits, info: Stats) => store.parse(d, text, l, info) : undefined;
  if (!cache) return store?.recall(absolute, display, limits) ?? loadFile(absolute, display, limits, parse);
  // Synchronous, as loadFile's read (the loop that calls this yields between batches).
  let info: Stats;
  try {
    info = statSync(absolute);
  } catch {
    cache.delete(absolute);
    return loadFile(absolute, display, limits, parse);
  }
  const hit = cache.get(absolute);
  if (hit && sameStamp(info, hit)) {
    store?.keep(display);
    return hit.result;
  }
  const result = store?.recall(absolute, display, limits, info) ?? (await loadFile(absolute, display, limits, parse));
  cache.set(absolute, { ...stampOf(info), result });
  return result;
}

/** Everything read from a set of paths: parsed files, the Kubernetes objects in them, and what went wrong. */
export interface LoadedRepository {
  readonly files: ReadonlyMap<string, ParsedFile>;
  readonly objects: readonly ManifestObject[];
  /** Every setter marker, in file order. */
  readonly markers: readonly MarkerSite[];
  /** The first document of every kustomization file (kustomize reads only that one), with or without apiVersion. */
  readonly kustomizations: readonly KustomizationInput[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Load the files under each path (a directory is walked, a file is read as given). One unreadable or broken file
 * becomes diagnostics and never stops the others. Files are read a few at a time to bound memory.
 */
export async function loadRepository(paths: readonly string[], options: LoadOptions): Promise<LoadedRepository> {
  const diagnostics: Diagnostic[] = [];
  const targets: Array<{ absolute: string; display: string }> = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const absolute = path.resolve(options.displayBase, p);
    if (await isDirectory(absolute)) {
      const walked = await walkRepository(absolute, options.walk);
      for (const problem of walked.problems) {
        diagnostics.push({
          file: displayPath(options.displayBase, path.join(absolute, problem.path)),
          line: 1,
          col: 1,
          document: 0,
          pointer: '',
          severity: 'error',
          code: problem.code,
          message: problem.message,
        });
      }
      const exists = async (relative: string): Promise<boolean> => {
        try {
          return (await stat(path.join(absolute, relative))).isFile();
        } catch {
          return false;
        }
      };
      for (const rel of walked.files) {
        // A chart's templates are Go templates, not manifests; they are not read (nor reported).
        if (rel.includes('templates/') && (await inChartTemplates(rel, exists))) continue;
        const abs = path.join(absolute, rel);
        if (!seen.has(abs)) targets.push({ absolute: abs, display: displayPath(options.displayBase, abs) });
        seen.add(abs);
      }
    } else if (!seen.has(absolute)) {
      seen.add(absolute);
      targets.push({ absolute, display: displayPath(options.displayBase, absolute) });
    }
  }
  await options.store?.open();
  const files = new Map<string, ParsedFile>();
  const concurrency = 16;
  for (let i = 0; i < targets.length; i += concurrency) {
    const batch = await Promise.all(
      targets.slice(i, i + concurrency).map((t) => loadCached(t.absolute, t.display, options.limits, options.cache, options.store)),
    );
    // Reads and parses are synchronous: let timers and requests (the daemon's webhooks, health checks) in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const result of batch) {
      if (!result.ok) {
        diagnostics.push(result.diagnostic);
        continue;
      }
      files.set(result.file.path, result.file);
      for (const problem of result.file.problems) {
        const { line, col } = result.file.lines.position(problem.offset);
        diagnostics.push({
          file: result.file.path,
          line,
          col,
          document: problem.document,
          pointer: '',
          severity: problem.severity,
          code: problem.code,
          message: problem.message,
        });
      }
    }
  }
  options.store?.settle();
  const documents = [...files.values()].flatMap((f) => f.documents.map((d) => ({ file: f.path, index: d.index, value: d.value })));
  const collected = collectObjects(documents);
  diagnostics.push(...collected.findings.map((f) => placeFinding(files, f)));
  const markers = [...files.values()].flatMap((f) => f.markers);
  const kustomizations = [...files.values()].flatMap((f) => {
    const doc = f.documents[0];
    const named = (kustomizationFileNames as readonly string[]).includes(f.path.slice(f.path.lastIndexOf('/') + 1));
    return named && doc && doc.index === 0 && isRecord(doc.value) ? [{ file: f.path, document: 0, value: doc.value }] : [];
  });
  return { files, objects: collected.objects, markers, kustomizations, diagnostics: diagnostics.sort(compareDiagnostics) };
}

/** Give a finding its line and column: the pointer's value, its key for `atKey`, or the nearest enclosing value. */
export function placeFinding(files: ReadonlyMap<string, ParsedFile>, f: LocatedFinding): Diagnostic {
  const file = files.get(f.file);
  const doc = file?.documents.find((d) => d.index === f.document);
  let offset = doc?.start ?? 0;
  if (doc) {
    const exact = doc.positions.get(f.pointer);
    const range = exact ?? doc.positions.nearest(f.pointer);
    if (range) offset = f.atKey && exact?.keyStart !== undefined ? exact.keyStart : range.start;
  }
  const { line, col } = file ? file.lines.position(offset) : { line: 1, col: 1 };
  return { file: f.file, line, col, document: f.document, pointer: f.pointer, severity: f.severity, code: f.code, message: f.message };
}
