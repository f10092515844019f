import { deepEqual } from '../reconcile/values.js';
import { parsePointer } from './positions.js';
import { applyJsonOps, parseJsonValue } from './patch-json.js';
import { applyYamlOps, parseYamlStream } from './patch-yaml.js';
import { PatchError } from './yaml-style.js';

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

export type PatchResult = { ok: true; text: string } | { ok: false; error: string };

/** Path segments of an RFC 6901 pointer (`''` is the document root). */
export function pointerSegments(path: string): string[] {
  if (path !== '' && !path.startsWith('/')) throw new PatchError(`"${path}" is not a JSON pointer (it must be empty or start with "/")`);
  return parsePointer(path);
}

const isIndex = (s: string): boolean => /^(0|[1-9][0-9]*)$/.test(s);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set);
}

/** A deep copy that does not keep the sharing aliases create, so editing one place never edits another. */
export function cloneValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneValue);
  if (v instanceof Date) return new Date(v.getTime());
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: cloneValue(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (typeof v === 'object' && v !== null) return structuredClone(v);
  return v;
}

export { deepEqual };

/** Apply one operation to a plain value (the reference the edited text is checked against). */
export function applyOpToValue(root: unknown, op: PatchOp): unknown {
  const segments = pointerSegments(op.path);
  const last = segments[segments.length - 1];
  if (last === undefined) {
    if (op.op === 'remove') throw new PatchError('cannot remove the document root');
    return cloneValue(op.value);
  }
  let parent: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i] ?? '';
    const at = `/${segments.slice(0, i + 1).join('/')}`;
    if (Array.isArray(parent)) {
      if (!isIndex(seg) || Number(seg) >= parent.length) throw new PatchError(`${at}: no such array element`);
      parent = parent[Number(seg)];
    } else if (isRecord(parent)) {
      if (!Object.prototype.hasOwnProperty.call(parent, seg)) throw new PatchError(`${at}: no such key`);
      parent = parent[seg];
    } else throw new PatchError(`${at}: the path goes through a scalar`);
  }
  if (Array.isArray(parent)) {
    if (op.op === 'add') {
      const index = last === '-' ? parent.length : isIndex(last) ? Number(last) : NaN;
      if (!(index <= parent.length)) throw new PatchError(`${op.path}: array index out of range for add`);
      parent.splice(index, 0, cloneValue(op.value));
    } else {
      if (!isIndex(last) || Number(last) >= parent.length) throw new PatchError(`${op.path}: no such array element`);
      if (op.op === 'remove') parent.splice(Number(last), 1);
      else parent[Number(last)] = cloneValue(op.value);
    }
  } else if (isRecord(parent)) {
    const exists = Object.prototype.hasOwnProperty.call(parent, last);
    if (op.op === 'add' && exists) throw new PatchError(`${op.path}: the key already exists (use replace)`);
    if (op.op !== 'add' && !exists) throw new PatchError(`${op.path}: no such key`);
    if (op.op === 'remove') delete parent[last];
    else Object.defineProperty(parent, last, { value: cloneValue(op.value), enumerable: true, writable: true, configurable: true });
  } else throw new PatchError(`${op.path}: the parent is not an object or array`);
  return root;
}

function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (deepEqual(a, b)) return '';
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return firstDifference(a[i], b[i], `${at}/${i}`);
  }
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!deepEqual(a[k], b[k])) return firstDifference(a[k], b[k], `${at}/${k}`);
  }
  return at === '' ? '/' : at;
}

function mergePatches(patches: readonly DocumentPatch[]): Map<number, PatchOp[]> {
  const byDoc = new Map<number, PatchOp[]>();
  for (const p of patches) {
    if (!Number.isInteger(p.document) || p.document < 0) throw new PatchError(`document index ${p.document} is not valid`);
    byDoc.set(p.document, [...(byDoc.get(p.document) ?? []), ...p.ops]);
  }
  return byDoc;
}

function patchYaml(text: string, patches: readonly DocumentPatch[]): string {
  const before = parseYamlStream(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const byDoc = mergePatches(patches);
  const expected = new Map<number, unknown>();
  for (const [index, ops] of byDoc) {
    const doc = before.docs[index];
    if (!doc) throw new PatchError(`the file has no document ${index} (it holds ${before.docs.length})`);
    let value = cloneValue(doc.toJS());
    for (const op of ops) value = applyOpToValue(value, op);
    expected.set(index, value);
  }
  // Each op re-parses only its own document's text (directives could change how a document reads alone, so a
  // stream that has any is re-parsed whole).
  const whole = /^%/m.test(text);
  const starts = before.docs.map((d) => d.range[0]);
  let out = text;
  for (const [index, ops] of byDoc) {
    const start = whole ? 0 : (starts[index] ?? 0);
    const end = whole ? out.length : (starts[index + 1] ?? out.length);
    const edited = applyYamlOps(out.slice(start, end), whole ? index : 0, ops, eol);
    out = out.slice(0, start) + edited + out.slice(end);
    const delta = edited.length - (end - start);
    if (!whole) for (let j = index + 1; j < starts.length; j++) starts[j] = (starts[j] ?? 0) + delta;
  }
  const after = parseYamlStream(out, 'internal check failed: the edited YAML');
  if (after.docs.length !== before.docs.length) throw new PatchError(`the edit changed the number of documents (${before.docs.length} → ${after.docs.length})`);
  if (after.prefix !== before.prefix) throw new PatchError('the edit changed the text before the first document');
  for (let i = 0; i < before.docs.length; i++) {
    if (expected.has(i)) {
      const got = (after.docs[i] as (typeof after.docs)[number]).toJS();
      const diff = firstDifference(got, expected.get(i));
      if (diff) throw new PatchError(`internal check failed: document ${i} does not hold the expected value at ${diff} after the edit`);
    } else if (after.segments[i] !== before.segments[i]) {
      throw new PatchError(`internal check failed: document ${i} changed although it was not edited`);
    }
  }
  return out;
}

function patchJson(text: string, patches: readonly DocumentPatch[]): string {
  const original = parseJsonValue(text);
  const byDoc = mergePatches(patches);
  for (const index of byDoc.keys()) if (index !== 0) throw new PatchError(`a JSON file holds one document; there is no document ${index}`);
  const ops = byDoc.get(0) ?? [];
  let expected = cloneValue(original);
  for (const op of ops) expected = applyOpToValue(expected, op);
  const out = applyJsonOps(text, ops);
  const diff = firstDifference(parseJsonValue(out), expected);
  if (diff) throw new PatchError(`internal check failed: the JSON does not hold the expected value at ${diff} after the edit`);
  return out;
}

/** Apply the patches to the text of a YAML stream or a JSON file; all of them or none. */
export function applyPatches(text: string, format: 'yaml' | 'json', patches: readonly DocumentPatch[]): PatchResult {
  try {
    const out = format === 'yaml' ? patchYaml(text, patches) : patchJson(text, patches);
    return { ok: true, text: out };
  } catch (err) {
    if (err instanceof PatchError) return { ok: false, error: err.message };
    return { ok: false, error: `cannot patch the file: ${err instanceof Error ? err.message : String(err)}` };
  }
}
