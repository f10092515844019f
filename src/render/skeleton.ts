import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, ParsedNode } from 'yaml';
import type { PatchOp } from './patch.js';
import { isIndexSegment as isIndex } from '../reconcile/values.js';
import { joinPointer, parsePointer } from './positions.js';
import type { PositionMap } from './positions.js';
import type { BlockStyle } from './yaml-style.js';

/**
 * The loader's parse, reused by the renderer: an edit needs the parse tree only along the paths it touches, so the
 * file is parsed for editing as a skeleton, in which every value off those paths is blanked out (made one line of
 * spaces as long as its text, so every offset stays where it was; the edits read lines and columns from the text
 * itself). What the edits need of the rest comes from the
 * loader: the document's value (what the edited text must hold), its indentation habits, and where each value sits.
 *
 * Kept: every node on an op's path, the last entries of a value an edit goes to the end of (an insertion goes after
 * them, a replacement ends where they end), and anything inside a flow collection. A skeleton is refused
 * (the caller parses the whole text) when an alias would be blanked, or when a kept node does not sit in the
 * skeleton's parse where the loader saw it. The result is verified against the whole text's meaning as always.
 */

/** What the loader kept of one YAML document. */
export interface LoadedDocument {
  readonly index: number;
  readonly value: unknown;
  readonly positions: PositionMap;
  /** The document's indentation habits (detectStyle on its full parse). */
  readonly style?: BlockStyle;
}

export interface Skeleton {
  readonly text: string;
  /** Per edited document, the kept pointers and where each one's value starts. */
  readonly kept: ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** The values blanked out, in text order. */
  readonly holes: readonly Hole[];
}

/** A value the skeleton blanks out: an entry of a block collection, off every op's path. */
export interface Hole {
  readonly document: number;
  readonly pointer: string;
  /** The value's range. */
  readonly start: number;
  readonly end: number;
  /** Where its entry starts: its key, or (an item of a sequence) the value itself. */
  readonly anchor: number;
  /** Whether it is an item of a sequence. */
  readonly item: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function child(v: unknown, seg: string): unknown {
  if (Array.isArray(v)) return isIndex(seg) ? v[Number(seg)] : undefined;
  if (isRecord(v) && Object.hasOwn(v, seg)) return v[seg];
  return undefined;
}

function childKeys(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((_, i) => String(i));
  return isRecord(v) ? Object.keys(v) : [];
}

/** Block collections only: the entries of a flow collection are rewritten from their text. */
const isBlockCollection = (text: string, v: unknown, start: number): boolean =>
  (Array.isArray(v) || isRecord(v)) && text[start] !== '[' && text[start] !== '{';

/**
 * The pointers an op's edit reads nodes at: its path (for an add, the parent's: the entry at the index, if any, is
 * found by its dash), and, where the edit goes to the end of a value (replace, remove, an add at the end of a
 * collection, the removal of a last entry), that value's last entries down to a scalar.
 */
function keptPointers(text: string, doc: LoadedDocument, ops: readonly PatchOp[]): Map<string, unknown> | undefined {
  const want = new Map<string, unknown>([['', doc.value]]);
  const ends: string[] = [];
  for (const op of ops) {
    if (op.path !== '' && !op.path.startsWith('/')) return undefined;
    const segments = parsePointer(op.path);
    const adding = op.op === 'add' && segments.length > 0;
    let p = '';
    let v = doc.value;
    let found = true;
    for (const seg of adding ? segments.slice(0, -1) : segments) {
      v = child(v, seg);
      if (v === undefined) {
        found = false;
        break;
      }
      p = joinPointer(p, seg);
      want.set(p, v);
    }
    if (!found) continue;
    if (!adding) ends.push(p);
    if (op.op === 'remove') ends.push(p.slice(0, p.lastIndexOf('/')));
    const last = segments[segments.length - 1] ?? '';
    if (adding && (isRecord(v) || (Array.isArray(v) && (last === '-' || !isIndex(last) || Number(last) >= v.length)))) ends.push(p);
  }
  for (let i = 0; i < ends.length; i++) {
    const p = ends[i] as string;
    const v = want.get(p);
    const range = doc.positions.get(p);
    if (!range || !isBlockCollection(text, v, range.start)) continue;
    let last: string | undefined;
    let lastStart = -1;
    for (const k of childKeys(v)) {
      const start = doc.positions.get(joinPointer(p, k))?.start ?? -1;
      if (start > lastStart) [last, lastStart] = [k, start];
    }
    if (last === undefined) continue;
    const c = joinPointer(p, last);
    if (!want.has(c)) want.set(c, child(v, last));
    ends.push(c);
  }
  return want;
}

/** The skeleton of `text` for the ops of each edited document, or undefined when the whole text must be parsed. */
export function buildSkeleton(
  text: string,
  byDoc: ReadonlyMap<number, readonly PatchOp[]>,
  loaded: ReadonlyMap<number, LoadedDocument>,
): Skeleton | undefined {
  const blanks: Hole[] = [];
  const kept = new Map<number, Map<string, number>>();
  for (const [index, ops] of byDoc) {
    const doc = loaded.get(index);
    if (!doc?.style) return undefined;
    const want = keptPointers(text, doc, ops);
    if (!want) return undefined;
    const starts = new Map<string, number>();
    for (const [p, v] of want) {
      const range = doc.positions.get(p);
      if (!range) continue;
      starts.set(p, range.start);
      if (!isBlockCollection(text, v, range.start)) continue;
      for (const k of childKeys(v)) {
        const c = joinPointer(p, k);
        if (want.has(c)) continue;
        const r = doc.positions.get(c);
        // An entry without a value is recorded at its key, which stays.
        if (!r || r.keyStart === r.start || r.start < range.start || r.end > range.end || r.start >= r.end) continue;
        blanks.push({ document: index, pointer: c, start: r.start, end: r.end, anchor: r.keyStart ?? r.start, item: Array.isArray(v) });
      }
    }
    kept.set(index, starts);
  }
  if (blanks.length === 0) return undefined;
  blanks.sort((a, b) => a.start - b.start);
  // An alias the edits must know of (ctx.aliased) is never blanked.
  if (blanks.some(({ start, end }) => text.slice(start, end).includes('*'))) return undefined;
  const blanked = blankOut(text, blanks);
  return blanked === undefined ? undefined : { text: blanked, kept, holes: blanks };
}

/**
 * `text` with each range (in text order) made one line of spaces as long as its text, then its own final line
 * break, if any: every offset stays where it was, and the lexer's cost is per line. Undefined when ranges overlap.
 */
export function blankOut(text: string, ranges: ReadonlyArray<{ readonly start: number; readonly end: number }>): string | undefined {
  const parts: string[] = [];
  let at = 0;
  for (const { start, end } of ranges) {
    if (start < at || end < start) return undefined;
    const blanked = text.slice(start, end);
    const lineBreak = blanked.endsWith('\r\n') ? 2 : blanked.endsWith('\n') ? 1 : 0;
    parts.push(text.slice(at, start), ' '.repeat(blanked.length - lineBreak), blanked.slice(blanked.length - lineBreak));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** Whether every kept node of the document sits in the skeleton's parse where the loader saw it. */
export function skeletonMatches(doc: Document.Parsed, kept: ReadonlyMap<string, number>): boolean {
  for (const [pointer, start] of kept) {
    let node = doc.contents as ParsedNode | null;
    for (const seg of parsePointer(pointer)) {
      if (isMap(node)) {
        const pairs = node.items.filter((pair) => isScalar(pair.key) && String(pair.key.value) === seg);
        if (pairs.length !== 1) return false;
        node = (pairs[0]?.value ?? null) as ParsedNode | null;
      } else if (isSeq(node)) {
        node = isIndex(seg) ? ((node.items[Number(seg)] ?? null) as ParsedNode | null) : null;
      } else return false;
    }
    if (!node || node.range[0] !== start) return false;
  }
  return true;
}
