import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { ParsedNode } from 'yaml';
import { deepEqual, valueAtPointer } from '../reconcile/values.js';
import { readBlockEntry } from './block-reader.js';
import { parseYamlStream } from './patch-yaml.js';
import { joinPointer } from './positions.js';
import { blankOut } from './skeleton.js';
import type { Hole } from './skeleton.js';
import type { SplicedText } from './splice-yaml.js';
import { PatchError } from './yaml-style.js';

/**
 * The check of an edited YAML stream: it must hold exactly the expected value in every edited document and be
 * unchanged elsewhere. `verifyYaml` parses the whole result; `verifiedInParts` proves the same with far less
 * parsing when the edits allow it, and otherwise declines (the caller then runs `verifyYaml`).
 */

/** What the stream was: how many documents, the text before the first, each document's text. */
export interface StreamShape {
  readonly count: number;
  readonly prefix: string;
  readonly segments: readonly string[];
}

/** A mapping's value (not an array, a date, bytes, a Map or a Set). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof Map) &&
    !(v instanceof Set)
  );
}

export function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (deepEqual(a, b)) return '';
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return firstDifference(a[i], b[i], `${at}/${i}`);
  }
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (!deepEqual(a[k], b[k])) return firstDifference(a[k], b[k], `${at}/${k}`);
  }
  return at === '' ? '/' : at;
}

export function verifyYaml(out: string, shape: StreamShape, expected: ReadonlyMap<number, unknown>): void {
  // Only the values and the documents' ranges are compared: no source tokens kept.
  const after = parseYamlStream(out, 'internal check failed: the edited YAML', 'verify-failed', false);
  if (after.docs.length !== shape.count)
    throw new PatchError(`the edit changed the number of documents (${shape.count} → ${after.docs.length})`, 'verify-failed');
  if (after.prefix !== shape.prefix) throw new PatchError('the edit changed the text before the first document', 'verify-failed');
  for (let i = 0; i < shape.count; i++) {
    if (expected.has(i)) {
      const got = (after.docs[i] as (typeof after.docs)[number]).toJS();
      const diff = firstDifference(got, expected.get(i));
      if (diff)
        throw new PatchError(
          `internal check failed: document ${i} does not hold the expected value at ${diff} after the edit`,
          'verify-failed',
        );
    } else if (after.segments[i] !== shape.segments[i]) {
      throw new PatchError(`internal check failed: document ${i} changed although it was not edited`, 'verify-failed');
    }
  }
}

/** A part of the result whose value is known without the YAML library: blanked out before the rest is parsed. */
interface Part {
  readonly start: number;
  readonly end: number;
  readonly value: unknown;
}

const lineStart = (text: string, pos: number): number => text.lastIndexOf('\n', pos - 1) + 1;

/** End of the first line after `pos` (from the end of pos's own line) that holds more than blanks or a comment. */
function nextContentLineEnd(text: string, pos: number): number {
  let i = text.indexOf('\n', pos);
  while (i >= 0) {
    const next = text.indexOf('\n', i + 1);
    const line = text.slice(i + 1, next < 0 ? text.length : next).trim();
    if (line !== '' && !line.startsWith('#')) return next < 0 ? text.length : next;
    i = next;
  }
  return text.length;
}

/**
 * The values the skeleton blanked out that the edits left where they were, with the text around them: from the
 * start of the entry's line to the end of the first line after the value that holds anything. The same text in the
 * same place reads the same, so such a value is the loader's. A hole with an edit in that window is left to the
 * parse. Holes and splices are both in text order: one walk over the splices for all the holes.
 */
function unchangedHoles(text: string, out: SplicedText, holes: readonly Hole[], originals: ReadonlyMap<number, unknown>): Part[] {
  const parts: Part[] = [];
  let k = 0;
  let shift = 0;
  let lastWs = 0;
  for (const hole of holes) {
    const ws = lineStart(text, hole.anchor);
    if (ws < lastWs) [k, shift] = [0, 0]; // out of order (never, for a skeleton's holes): walk again
    lastWs = ws;
    // An item's value must share its line with its `-`, so that its column is in the window too.
    if (hole.item && !/^ *(?:- +)+$/.test(text.slice(ws, hole.start))) continue;
    const we = nextContentLineEnd(text, hole.end);
    for (let s = out.splices[k]; s && s.end <= ws; s = out.splices[++k]) shift += s.length - (s.end - s.start);
    const s = out.splices[k];
    if (s && (s.start < we || (s.start === we && we === text.length))) continue;
    // The window starts a line in the result too (an insertion just before it ended with a line break).
    if (ws + shift > 0 && out.text[ws + shift - 1] !== '\n') continue;
    if (out.text.slice(ws + shift, we + shift) !== text.slice(ws, we)) continue;
    if (we === text.length && we + shift !== out.text.length) continue;
    const at = valueAtPointer(originals.get(hole.document), hole.pointer);
    if (at.found) parts.push({ start: hole.start + shift, end: hole.end + shift, value: at.value });
  }
  return parts;
}

/** Just past the last character before `pos` that is not white space: where an empty value's `:` or `-` ends. */
function slotBefore(text: string, pos: number): number {
  let i = pos;
  while (i > 0 && /\s/.test(text[i - 1] ?? '')) i--;
  return i;
}

/**
 * Offsets just past the `:` or `-` of every entry of a block collection whose value is empty (what a blanked part
 * reads as). Flow collections have none: every part is an entry of a block collection, where indentation decides.
 */
function emptySlots(text: string, node: ParsedNode | null, at: string, slots: Map<number, string>): void {
  if (!node || isAlias(node) || ((isMap(node) || isSeq(node)) && node.flow)) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as ParsedNode | null;
      if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) continue;
      const p = joinPointer(at, String(key.value));
      const value = pair.value as ParsedNode | null;
      if (isScalar(value) && value.value === null && value.source === '') {
        let i = key.range[1];
        while (text[i] === ' ') i++;
        if (text[i] === ':') slots.set(i + 1, p);
      } else emptySlots(text, value, p, slots);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, k) => {
      const n = item as ParsedNode | null;
      const p = joinPointer(at, k);
      if (isScalar(n) && n.value === null && n.source === '') {
        const i = slotBefore(text, n.range[0]);
        if (text[i - 1] === '-') slots.set(i, p);
      } else emptySlots(text, n, p, slots);
    });
  }
}

/** Whether `got` (the parse with the parts blanked) is `want` with null at each part's pointer. */
function sameBesides(got: unknown, want: unknown, at: string, blanked: ReadonlySet<string>): boolean {
  if (blanked.has(at)) return got === null;
  if (Array.isArray(got) && Array.isArray(want))
    return got.length === want.length && got.every((g, i) => sameBesides(g, want[i], joinPointer(at, i), blanked));
  if (isRecord(got) && isRecord(want)) {
    const keys = Object.keys(got);
    if (keys.length !== Object.keys(want).length) return false;
    return keys.every((k) => Object.hasOwn(want, k) && sameBesides(got[k], want[k], joinPointer(at, k), blanked));
  }
  return deepEqual(got, want);
}

/**
 * Prove the result right while parsing only the parts of it the edits touched: the new block entries the edits
 * wrote are read by the strict reader (block-reader.ts), the values the skeleton blanked out and the edits left
 * alone keep the loader's reading, and both are blanked out of the result before the YAML library parses the rest.
 * That parse must put an empty value exactly where each part was, each part's value must be what the expected
 * document holds there, and the rest must be the expected document. False when any of that cannot be shown: the
 * caller then parses the whole result (which also gives the reason, if the result is wrong).
 */
export function verifiedInParts(
  text: string,
  out: SplicedText,
  shape: StreamShape,
  expected: ReadonlyMap<number, unknown>,
  originals: ReadonlyMap<number, unknown>,
  holes: readonly Hole[],
): boolean {
  if (/^%/m.test(text)) return false; // directives: how a scalar reads could depend on them
  const parts = unchangedHoles(text, out, holes, originals);
  for (const entry of out.entries) {
    const read = readBlockEntry(out.text, entry.at, entry.kind, entry.col);
    if (read) parts.push(read);
  }
  if (parts.length === 0) return false;
  parts.sort((a, b) => a.start - b.start);
  const blanked = blankOut(out.text, parts);
  if (blanked === undefined) return false;
  let after: ReturnType<typeof parseYamlStream>;
  try {
    after = parseYamlStream(blanked, 'the edited YAML', 'verify-failed', false);
  } catch (err) {
    if (err instanceof PatchError) return false;
    throw err;
  }
  if (after.docs.length !== shape.count || after.prefix !== shape.prefix) return false;
  const slots = new Map<number, string>();
  // The parts are in text order, and so are the documents.
  let doc = 0;
  const docOf = (pos: number): number => {
    while (doc + 1 < after.docs.length && (after.docs[doc + 1]?.range[0] ?? Infinity) <= pos) doc++;
    return doc;
  };
  for (const i of expected.keys()) emptySlots(blanked, (after.docs[i]?.contents ?? null) as ParsedNode | null, '', slots);
  const nulls = new Map<number, Set<string>>();
  for (const part of parts) {
    const pointer = slots.get(slotBefore(blanked, part.start));
    const at = docOf(part.start);
    if (pointer === undefined || !expected.has(at)) return false;
    const want = valueAtPointer(expected.get(at), pointer);
    if (!want.found || !deepEqual(want.value, part.value)) return false;
    const set = nulls.get(at) ?? new Set<string>();
    set.add(pointer);
    nulls.set(at, set);
  }
  for (let i = 0; i < shape.count; i++) {
    if (expected.has(i)) {
      let got: unknown;
      try {
        got = (after.docs[i] as (typeof after.docs)[number]).toJS();
      } catch {
        return false; // an alias to an anchor that is not there (toJS throws)
      }
      if (!sameBesides(got, expected.get(i), '', nulls.get(i) ?? new Set())) return false;
    } else if (after.segments[i] !== shape.segments[i]) return false;
  }
  return true;
}
