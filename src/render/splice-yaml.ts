import type { Document } from 'yaml';
import type { PatchOp } from './patch.js';
import { Ctx, editOf } from './patch-yaml.js';
import type { Edit, NewEntry } from './patch-yaml.js';
import { PatchError } from './yaml-style.js';
import type { BlockStyle } from './yaml-style.js';

/** An operation whose indexes refer to the document as parsed, and the collection it edits (its parent's path). */
export interface PlannedOp {
  readonly op: PatchOp;
  readonly group: string;
}

/** A new block entry in the spliced text: its kind and column, and the offset of its key or `-` in that text. */
export interface SplicedEntry {
  readonly kind: NewEntry['kind'];
  readonly col: number;
  readonly at: number;
}

/** Where the spliced text differs from the original: `[start, end)` of the original became `[start + shift, ...)`. */
export interface Splice {
  readonly start: number;
  readonly end: number;
  /** Length of the text put in its place. */
  readonly length: number;
}

export interface SplicedText {
  readonly text: string;
  /** The splices in text order (ranges of the original). */
  readonly splices: readonly Splice[];
  /** Every whole new block entry the splices wrote. */
  readonly entries: readonly SplicedEntry[];
}

/**
 * The ops of several documents, all computed on the one parse of the stream they come from and spliced in one pass:
 * one parse however many ops. Insertions at the same point into the same collection keep their order. Returns
 * undefined when the edits cannot be combined (ranges that overlap, insertions at one point into different
 * collections, an op this parse cannot place): the caller then applies the ops one by one.
 */
export function spliceYamlEdits(
  text: string,
  docs: ReadonlyArray<{ readonly doc: Document.Parsed; readonly ops: readonly PlannedOp[]; readonly style?: BlockStyle | undefined }>,
  eol: string,
): SplicedText | undefined {
  const edits: Array<Edit & { readonly group: string; readonly order: number }> = [];
  try {
    for (const { doc, ops, style } of docs) {
      const ctx = new Ctx(text, doc, eol, style);
      for (const { op, group } of ops) edits.push({ ...editOf(ctx, op), group, order: edits.length });
    }
  } catch (err) {
    if (err instanceof PatchError) return undefined; // the op-by-op path gives the authoritative answer
    throw err;
  }
  edits.sort((a, b) => a.start - b.start || a.order - b.order);
  const merged: Array<{ start: number; end: number; text: string; group: string; entries: NewEntry[] }> = [];
  for (const e of edits) {
    const prev = merged[merged.length - 1];
    if (prev && e.start === prev.start) {
      // Two insertions at one point into one collection: in op order, as applying them one by one would place them.
      if (prev.start !== prev.end || e.start !== e.end || prev.group !== e.group) return undefined;
      if (e.entry) prev.entries.push({ ...e.entry, lead: prev.text.length + e.entry.lead });
      prev.text += e.text;
      continue;
    }
    if (prev && e.start < prev.end) return undefined;
    merged.push({ start: e.start, end: e.end, text: e.text, group: e.group, entries: e.entry ? [e.entry] : [] });
  }
  const parts: string[] = [];
  const entries: SplicedEntry[] = [];
  let at = 0;
  let length = 0;
  for (const e of merged) {
    const before = text.slice(at, e.start);
    length += before.length;
    for (const entry of e.entries) entries.push({ kind: entry.kind, col: entry.col, at: length + entry.lead });
    parts.push(before, e.text);
    length += e.text.length;
    at = e.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), splices: merged.map((e) => ({ start: e.start, end: e.end, length: e.text.length })), entries };
}
