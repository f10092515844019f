import { cloneValue, deepEqual, isIndexSegment as isIndex } from '../reconcile/values.js';
import { parsePointer } from './positions.js';
import { applyJsonOps, parseJsonValue } from './patch-json.js';
import { applyYamlOps, parseYamlStream } from './patch-yaml.js';
import type { YamlStream } from './patch-yaml.js';
import { buildSkeleton, skeletonMatches } from './skeleton.js';
import type { Hole, LoadedDocument } from './skeleton.js';
import { spliceYamlEdits } from './splice-yaml.js';
import type { PlannedOp, SplicedText } from './splice-yaml.js';
import { firstDifference, isRecord, verifiedInParts, verifyYaml } from './verify-yaml.js';
import type { StreamShape } from './verify-yaml.js';
import { PatchError } from './yaml-style.js';
import type { PatchErrorCode } from './yaml-style.js';

/**
 * Apply JSON-Patch–style operations to a user's YAML or JSON file, byte-exactly: only the edited values change,
 * everything else (comments, blank lines, quoting, anchors, other documents, line endings, BOM) stays as written.
 * Every result is verified by parsing it again; a result that does not mean exactly what the operations ask for
 * is refused rather than returned.
 */

export type PatchOp =
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** The operations for one document of the file (its index in a multi-document YAML stream; 0 for JSON). */
export interface DocumentPatch {
  readonly document: number;
  readonly ops: readonly PatchOp[];
}

export type { PatchErrorCode };

export type PatchResult = { ok: true; text: string } | { ok: false; code: PatchErrorCode; error: string };

/** A file that cannot be edited faithfully, for callers that must stop rather than skip the file (the verbs). */
export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    readonly file: string,
    readonly code: PatchErrorCode,
    message: string,
  ) {
    super(`cannot edit ${file} faithfully: ${message}`);
  }
}

export interface PatchOptions {
  /** Refuse (`too-large`) a result longer than this many UTF-8 bytes; it is checked before the result is verified. */
  readonly maxBytes?: number;
  /**
   * What the loader read of this very text (YAML): the edits then parse only a skeleton of the file (see
   * skeleton.ts) and take the documents' values from here. The result is verified the same way.
   */
  readonly loaded?: readonly LoadedDocument[];
}

/** Path segments of an RFC 6901 pointer (`''` is the document root). */
export function pointerSegments(path: string): string[] {
  if (path !== '' && !path.startsWith('/'))
    throw new PatchError(`"${path}" is not a JSON pointer (it must be empty or start with "/")`, 'invalid-op');
  return parsePointer(path);
}

export { deepEqual };

/** Apply one operation to a plain value (the reference the edited text is checked against). */
export function applyOpToValue(root: unknown, op: PatchOp): unknown {
  const segments = pointerSegments(op.path);
  const last = segments[segments.length - 1];
  if (last === undefined) {
    if (op.op === 'remove') throw new PatchError('cannot remove the document root', 'invalid-op');
    return cloneValue(op.value);
  }
  let parent: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i] ?? '';
    const at = `/${segments.slice(0, i + 1).join('/')}`;
    if (Array.isArray(parent)) {
      if (!isIndex(seg) || Number(seg) >= parent.length) throw new PatchError(`${at}: no such array element`, 'path-not-found');
      parent = parent[Number(seg)];
    } else if (isRecord(parent)) {
      if (!Object.hasOwn(parent, seg)) throw new PatchError(`${at}: no such key`, 'path-not-found');
      parent = parent[seg];
    } else throw new PatchError(`${at}: the path goes through a scalar`, 'path-not-found');
  }
  if (Array.isArray(parent)) {
    if (op.op === 'add') {
      const index = last === '-' ? parent.length : isIndex(last) ? Number(last) : NaN;
      if (!(index <= parent.length)) throw new PatchError(`${op.path}: array index out of range for add`, 'path-not-found');
      parent.splice(index, 0, cloneValue(op.value));
    } else {
      if (!isIndex(last) || Number(last) >= parent.length) throw new PatchError(`${op.path}: no such array element`, 'path-not-found');
      if (op.op === 'remove') parent.splice(Number(last), 1);
      else parent[Number(last)] = cloneValue(op.value);
    }
  } else if (isRecord(parent)) {
    const exists = Object.hasOwn(parent, last);
    if (op.op === 'add' && exists) throw new PatchError(`${op.path}: the key already exists (use replace)`, 'invalid-op');
    if (op.op !== 'add' && !exists) throw new PatchError(`${op.path}: no such key`, 'path-not-found');
    if (op.op === 'remove') delete parent[last];
    else Object.defineProperty(parent, last, { value: cloneValue(op.value), enumerable: true, writable: true, configurable: true });
  } else throw new PatchError(`${op.path}: the parent is not an object or array`, 'path-not-found');
  return root;
}

const isContainer = (v: unknown): v is unknown[] | Record<string, unknown> => Array.isArray(v) || isRecord(v);

/**
 * The ops applied to the document's value, which is never written: every array and mapping an op goes through is
 * copied first (once), and everything else is shared with the original.
 */
function expectedValue(original: unknown, ops: readonly PatchOp[]): unknown {
  const own = new Set<object>();
  const copy = (v: unknown[] | Record<string, unknown>) => {
    const c = Array.isArray(v) ? v.slice() : { ...v };
    own.add(c);
    return c;
  };
  let root = isContainer(original) ? copy(original) : original;
  for (const op of ops) {
    const segments = pointerSegments(op.path);
    let parent = root;
    for (const seg of segments.slice(0, -1)) {
      let child: unknown;
      if (Array.isArray(parent) && isIndex(seg) && Number(seg) < parent.length) {
        child = parent[Number(seg)];
        if (isContainer(child) && !own.has(child)) parent[Number(seg)] = child = copy(child);
      } else if (isRecord(parent) && Object.hasOwn(parent, seg)) {
        child = parent[seg];
        if (isContainer(child) && !own.has(child))
          Object.defineProperty(parent, seg, { value: (child = copy(child)), enumerable: true, writable: true, configurable: true });
      } else break; // the op itself says what is wrong
      parent = child;
    }
    root = applyOpToValue(root, op);
  }
  return root;
}

function mergePatches(patches: readonly DocumentPatch[]): Map<number, PatchOp[]> {
  const byDoc = new Map<number, PatchOp[]>();
  for (const p of patches) {
    if (!Number.isInteger(p.document) || p.document < 0) throw new PatchError(`document index ${p.document} is not valid`, 'invalid-op');
    const ops = byDoc.get(p.document) ?? [];
    for (const op of p.ops) ops.push(op);
    byDoc.set(p.document, ops);
  }
  return byDoc;
}

const parentPath = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * The ops of one document restated against the document as it was before any of them, so that all their edits can
 * be computed on one parse; undefined when that is not possible. Possible when no op works inside a value another
 * op writes, no path is written twice (but for insertions into one array), removing does not empty a collection,
 * and each array that gains or loses entries does so as a planner writes it: removals from the highest index down,
 * then insertions at rising indexes, with every other op through that array coming before them (so every index
 * an op holds still means the original entry).
 */
export function planAgainstOriginal(ops: readonly PatchOp[], original: unknown): PlannedOp[] | undefined {
  if (ops.length <= 1) return ops.map((op) => ({ op, group: parentPath(op.path) }));
  const written = new Map<string, number>();
  for (const op of ops) written.set(op.path, (written.get(op.path) ?? 0) + 1);
  const arrays = new Map<
    string,
    { readonly length: number; first: number; removed: number[]; adds: Array<{ readonly at: number; readonly k: number }> }
  >();
  const mapRemovals = new Map<string, number>();
  const plain: boolean[] = [];
  for (const [k, op] of ops.entries()) {
    if (op.path === '' || !op.path.startsWith('/')) return undefined;
    const segments = parsePointer(op.path);
    const last = segments[segments.length - 1] as string;
    let parent: unknown = original;
    for (const seg of segments.slice(0, -1)) {
      if (Array.isArray(parent) && isIndex(seg)) parent = parent[Number(seg)];
      else if (isRecord(parent) && Object.hasOwn(parent, seg)) parent = parent[seg];
      else return undefined; // the parent does not exist yet: another op creates it
    }
    const group = parentPath(op.path);
    if (Array.isArray(parent) && op.op !== 'replace') {
      let a = arrays.get(group);
      if (!a) arrays.set(group, (a = { length: parent.length, first: k, removed: [], adds: [] }));
      if (op.op === 'remove') {
        const at = isIndex(last) ? Number(last) : NaN;
        const previous = a.removed[a.removed.length - 1];
        if (a.adds.length > 0 || !(at < a.length) || (previous !== undefined && at >= previous)) return undefined;
        a.removed.push(at);
      } else {
        const at = last === '-' ? a.length - a.removed.length + a.adds.length : isIndex(last) ? Number(last) : NaN;
        const previous = a.adds[a.adds.length - 1];
        if (!(at <= a.length - a.removed.length + a.adds.length) || (previous !== undefined && at <= previous.at)) return undefined;
        a.adds.push({ at, k });
      }
      plain.push(false);
      continue;
    }
    if ((written.get(op.path) ?? 0) > 1) return undefined;
    if (isRecord(parent) && op.op === 'remove') {
      const n = (mapRemovals.get(group) ?? 0) + 1;
      if (n >= Object.keys(parent).length) return undefined;
      mapRemovals.set(group, n);
    }
    plain.push(true);
  }
  // Nothing inside a value another op writes; nothing through an array after that array's own entries moved.
  for (const [k, op] of ops.entries()) {
    const ownArray = plain[k] ? undefined : parentPath(op.path);
    let p = op.path;
    do {
      p = parentPath(p);
      if (written.has(p)) return undefined;
      const a = arrays.get(p);
      if (a && p !== ownArray && a.first < k) return undefined;
    } while (p !== '');
  }
  const paths = new Map<number, string>();
  for (const [group, a] of arrays) {
    if (a.removed.length >= a.length && a.length > 0) return undefined;
    const gone = new Set(a.removed);
    const survivors: number[] = [];
    for (let i = 0; i < a.length; i++) if (!gone.has(i)) survivors.push(i);
    a.adds.forEach(({ at, k }, j) => {
      const position = at - j; // among the surviving entries: the earlier insertions all sit before this one
      paths.set(k, `${group}/${position < survivors.length ? (survivors[position] as number) : a.length}`);
    });
    // Appending after removed trailing entries would land inside their removal.
    if (a.adds.some(({ at }, j) => at - j >= survivors.length) && a.removed.some((i) => i > (survivors[survivors.length - 1] ?? -1)))
      return undefined;
  }
  return ops.map((op, k) => {
    const path = paths.get(k);
    return { op: path === undefined ? op : { ...op, path }, group: parentPath(op.path) };
  });
}

/** The ops applied one at a time, each document's text re-parsed after each op. */
function oneByOne(text: string, starts: readonly number[], byDoc: ReadonlyMap<number, readonly PatchOp[]>, eol: string): string {
  // Each op re-parses only its own document's text (directives could change how a document reads alone, so a
  // stream that has any is re-parsed whole).
  const whole = /^%/m.test(text);
  const at = [...starts];
  let out = text;
  for (const [index, ops] of byDoc) {
    const start = whole ? 0 : (at[index] ?? 0);
    const end = whole ? out.length : (at[index + 1] ?? out.length);
    const edited = applyYamlOps(out.slice(start, end), whole ? index : 0, ops, eol);
    out = out.slice(0, start) + edited + out.slice(end);
    const delta = edited.length - (end - start);
    if (!whole) for (let j = index + 1; j < at.length; j++) at[j] = (at[j] ?? 0) + delta;
  }
  return out;
}

function checkSize(out: string, maxBytes: number | undefined): void {
  if (maxBytes === undefined) return;
  const bytes = Buffer.byteLength(out, 'utf8');
  if (bytes > maxBytes)
    throw new PatchError(`the edited file would be ${bytes} bytes, more than the limit of ${maxBytes} bytes`, 'too-large');
}

/**
 * The parse of the original and the parse of the result are the two big things a large file costs; the first is
 * let go before the second is made, and the expected values are built in between.
 */
function patchYaml(text: string, patches: readonly DocumentPatch[], options: PatchOptions): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const byDoc = mergePatches(patches);
  const { originals, combined, shape, starts, holes } = editOnce(text, byDoc, eol, options.loaded);
  let out = combined?.text ?? oneByOne(text, starts, byDoc, eol);
  checkSize(out, options.maxBytes);
  // Every op is also applied to the plain value: that is what the result must hold (and a malformed op fails here).
  const expected = new Map<number, unknown>();
  for (const [index, ops] of byDoc) expected.set(index, expectedValue(originals.get(index), ops));
  // The combined edits can usually be proven right without parsing all of the result (verify-yaml.ts).
  if (combined && verifiedInParts(text, combined, shape, expected, originals, holes)) return out;
  originals.clear();
  try {
    verifyYaml(out, shape, expected);
  } catch (err) {
    // The combined edits are only a faster way to the same text; should they ever differ, the slow way decides.
    if (combined === undefined || !(err instanceof PatchError)) throw err;
    out = oneByOne(text, starts, byDoc, eol);
    checkSize(out, options.maxBytes);
    verifyYaml(out, shape, expected);
  }
  return out;
}

/**
 * The edits computed on the loader's skeleton of the file (see skeleton.ts), with the loader's values: undefined
 * when the skeleton is declined or the edits cannot be combined (the whole text is then parsed and decides).
 */
function editOnLoaded(
  text: string,
  byDoc: ReadonlyMap<number, readonly PatchOp[]>,
  eol: string,
  loaded: readonly LoadedDocument[],
): { originals: Map<number, unknown>; combined: SplicedText; shape: StreamShape; starts: number[]; holes: readonly Hole[] } | undefined {
  const docs = new Map(loaded.map((d) => [d.index, d]));
  const plans = new Map<number, PlannedOp[]>();
  for (const [index, ops] of byDoc) {
    const plan = planAgainstOriginal(ops, docs.get(index)?.value);
    if (!docs.get(index)?.style || !plan) return undefined;
    plans.set(index, plan);
  }
  const skeleton = buildSkeleton(text, new Map([...plans].map(([i, plan]) => [i, plan.map((p) => p.op)])), docs);
  if (!skeleton) return undefined;
  let parsed: YamlStream;
  try {
    parsed = parseYamlStream(skeleton.text);
  } catch (err) {
    if (err instanceof PatchError) return undefined;
    throw err;
  }
  if (![...skeleton.kept].every(([i, kept]) => parsed.docs[i] && skeletonMatches(parsed.docs[i], kept))) return undefined;
  const planned = [...plans].map(([i, ops]) => ({ doc: parsed.docs[i] as YamlStream['docs'][number], ops, style: docs.get(i)?.style }));
  const combined = spliceYamlEdits(text, planned, eol);
  if (combined === undefined) return undefined;
  const starts = parsed.docs.map((d) => d.range[0]);
  const segments = starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length));
  return {
    originals: new Map([...plans.keys()].map((i) => [i, docs.get(i)?.value])),
    combined,
    shape: { count: parsed.docs.length, prefix: text.slice(0, starts[0] ?? text.length), segments },
    starts,
    holes: skeleton.holes,
  };
}

/** One parse of the stream: each edited document's value, and all the edits spliced at once when they allow it. */
function editOnce(text: string, byDoc: ReadonlyMap<number, readonly PatchOp[]>, eol: string, loaded?: readonly LoadedDocument[]) {
  const reused = loaded ? editOnLoaded(text, byDoc, eol, loaded) : undefined;
  if (reused) return reused;
  const before = parseYamlStream(text);
  const originals = new Map<number, unknown>();
  const planned: Array<{ doc: YamlStream['docs'][number]; ops: PlannedOp[] }> = [];
  let combinable = true;
  for (const [index, ops] of byDoc) {
    const doc = before.docs[index];
    if (!doc) throw new PatchError(`the file has no document ${index} (it holds ${before.docs.length})`, 'path-not-found');
    const original = doc.toJS();
    originals.set(index, original);
    const plan = combinable ? planAgainstOriginal(ops, original) : undefined;
    if (plan) planned.push({ doc, ops: plan });
    else combinable = false;
  }
  const combined = combinable ? spliceYamlEdits(text, planned, eol) : undefined;
  return {
    originals,
    combined,
    shape: { count: before.docs.length, prefix: before.prefix, segments: before.segments },
    starts: before.docs.map((d) => d.range[0]),
    holes: [] as readonly Hole[],
  };
}

function patchJson(text: string, patches: readonly DocumentPatch[], options: PatchOptions): string {
  const original = parseJsonValue(text);
  const byDoc = mergePatches(patches);
  for (const index of byDoc.keys())
    if (index !== 0) throw new PatchError(`a JSON file holds one document; there is no document ${index}`, 'path-not-found');
  const ops = byDoc.get(0) ?? [];
  let expected = cloneValue(original);
  for (const op of ops) expected = applyOpToValue(expected, op);
  const out = applyJsonOps(text, ops);
  checkSize(out, options.maxBytes);
  const diff = firstDifference(parseJsonValue(out), expected);
  if (diff)
    throw new PatchError(`internal check failed: the JSON does not hold the expected value at ${diff} after the edit`, 'verify-failed');
  return out;
}

/** Fewer bytes than any rendering of `v` can take: its strings and keys as UTF-8, one byte per entry. */
function leastBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + 1 + leastBytes(x), 0);
  if (isRecord(v)) return Object.entries(v).reduce((n, [k, x]) => n + Buffer.byteLength(k, 'utf8') + 1 + leastBytes(x), 0);
  return 0;
}

/**
 * When the patches only add, a lower bound of the result's size needs no parse: a result certainly over the limit
 * is refused before the file is parsed for editing (for a large file that parse is the biggest cost of all).
 */
function certainlyTooLarge(text: string, patches: readonly DocumentPatch[], maxBytes: number): string | undefined {
  if (!patches.every((p) => p.ops.every((op) => op.op === 'add'))) return undefined;
  let least = Buffer.byteLength(text, 'utf8');
  for (const p of patches) for (const op of p.ops) if (op.op === 'add') least += leastBytes(op.value);
  return least > maxBytes ? `the edited file would be more than ${least} bytes, more than the limit of ${maxBytes} bytes` : undefined;
}

/** Apply the patches to the text of a YAML stream or a JSON file; all of them or none. */
export function applyPatches(
  text: string,
  format: 'yaml' | 'json',
  patches: readonly DocumentPatch[],
  options: PatchOptions = {},
): PatchResult {
  try {
    const tooLarge = options.maxBytes === undefined ? undefined : certainlyTooLarge(text, patches, options.maxBytes);
    if (tooLarge) return { ok: false, code: 'too-large', error: tooLarge };
    const out = format === 'yaml' ? patchYaml(text, patches, options) : patchJson(text, patches, options);
    return { ok: true, text: out };
  } catch (err) {
    if (err instanceof PatchError) return { ok: false, code: err.code, error: err.message };
    return { ok: false, code: 'unsupported', error: `cannot patch the file: ${err instanceof Error ? err.message : String(err)}` };
  }
}
