/**
 * The one edit renderer: planned edits (per file, per document, addressed from the document's root) → the new text
 * of each file, byte-exact and verified, or a coded failure for that file. The pass and every authoring verb use
 * it; a file that fails is never half-written, and a file the next read would refuse (limits.maxFileBytes) is
 * refused here.
 */
import path from 'node:path';
import type { FileEdits } from '../reconcile/pass.js';
import type { DocumentPatch, PatchErrorCode, PatchOp } from './patch.js';
import { applyPatches } from './patch.js';
import type { ParsedFile } from './source.js';

export interface FileChange {
  /** Display path (relative to the base the repository was loaded with). */
  readonly file: string;
  readonly absolute: string;
  readonly before: string;
  readonly after: string;
  readonly edits: FileEdits['edits'];
  /** A file this run creates (the verbs that create a stream). */
  readonly created?: boolean;
}

/** A file that could not be rendered (it is left untouched): `code` for machines, `error` for people. */
export interface RenderFailure {
  readonly file: string;
  readonly code: PatchErrorCode;
  readonly error: string;
}

export interface RenderOptions {
  /** Base the display paths are relative to. */
  readonly displayBase: string;
  /** The read limit: a result longer than this is refused (`too-large`). */
  readonly maxBytes: number;
  /** Words to add to a `too-large` refusal, given the objects edited in that file (which streams, what would fix it). */
  readonly explainTooLarge?: (objects: readonly string[]) => string;
}

export function renderEdits(
  files: ReadonlyMap<string, ParsedFile>,
  edits: readonly FileEdits[],
  options: RenderOptions,
): { changes: FileChange[]; failures: RenderFailure[] } {
  const changes: FileChange[] = [];
  const failures: RenderFailure[] = [];
  for (const target of edits) {
    const parsed = files.get(target.file);
    if (!parsed || target.edits.length === 0) continue;
    const byDocument = new Map<number, PatchOp[]>();
    for (const e of target.edits) byDocument.set(e.document, [...(byDocument.get(e.document) ?? []), e.op]);
    const patches: DocumentPatch[] = [...byDocument.entries()].map(([document, ops]) => ({ document, ops }));
    const result = applyPatches(parsed.text, parsed.format, patches, { maxBytes: options.maxBytes, loaded: parsed.documents });
    if (!result.ok) {
      const more = result.code === 'too-large' && options.explainTooLarge ? options.explainTooLarge(target.edits.map((e) => e.object)) : '';
      failures.push({ file: target.file, code: result.code, error: `${result.error}${more}` });
      continue;
    }
    if (result.text === parsed.text) continue;
    changes.push({
      file: target.file,
      absolute: path.resolve(options.displayBase, target.file),
      before: parsed.text,
      after: result.text,
      edits: target.edits,
    });
  }
  return { changes, failures };
}
