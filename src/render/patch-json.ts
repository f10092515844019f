import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { FormattingOptions, JSONPath, Node, ParseError } from 'jsonc-parser';
import type { PatchOp } from './patch.js';
import { parsePointer } from './positions.js';
import { PatchError } from './yaml-style.js';

/** Edit JSON text with jsonc-parser's `modify`, formatted the way the file already is. */

const BOM = '\ufeff';

/** The value of strict JSON text (a BOM is allowed); a syntax error is a PatchError. */
export function parseJsonValue(text: string): unknown {
  const source = text.startsWith(BOM) ? ` ${text.slice(1)}` : text;
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) throw new PatchError(`the JSON does not parse: ${printParseErrorCode(first.error)} at offset ${first.offset}`, 'parse');
  if (!root) throw new PatchError('the file holds no JSON value', 'parse');
  return getNodeValue(root) as unknown;
}

/** Tabs or spaces, how many, and which line ending, as the file writes them. */
export function detectJsonFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /\n([ \t]+)\S/.exec(text);
  const lead = indented?.[1] ?? '  ';
  if (lead.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol, insertFinalNewline: false };
  return { insertSpaces: true, tabSize: lead.length, eol, insertFinalNewline: false };
}

/** The jsonc-parser path of a pointer, with array indices as numbers (resolved against the current value). */
function jsonPath(value: unknown, pointer: string, forAdd: boolean): JSONPath {
  const segments = parsePointer(pointer);
  const path: JSONPath = [];
  let node: unknown = value;
  segments.forEach((seg, i) => {
    const isLast = i === segments.length - 1;
    if (Array.isArray(node)) {
      const index = seg === '-' && isLast && forAdd ? node.length : Number(seg);
      path.push(index);
      node = node[index];
    } else {
      path.push(seg);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
    }
  });
  return path;
}

/** How a one-line container writes itself: after a key, between members, inside its brackets. */
interface CompactStyle {
  readonly colon: string;
  readonly comma: string;
  readonly objectPad: string;
  readonly arrayPad: string;
}

function compactStyle(body: string, node: Node): CompactStyle {
  const kids = node.children ?? [];
  const [first, second] = kids;
  const between = first && second ? body.slice(first.offset + first.length, second.offset) : ', ';
  const inside = first ? body.slice(node.offset + 1, first.offset) : '';
  const pad = /^[ \t]*$/.test(inside) ? inside : '';
  const [key, value] = node.type === 'object' && first?.children ? first.children : [];
  // A container without a member to copy the colon from takes the file's first one.
  const colon = key && value ? body.slice(key.offset + key.length, value.offset) : `:${/":( ?)/.exec(body)?.[1] ?? ' '}`;
  return {
    colon: /^[ \t]*:[ \t]*$/.test(colon) ? colon : ': ',
    comma: /^[ \t]*,[ \t]*$/.test(between) ? between : ', ',
    objectPad: node.type === 'object' ? pad : '',
    arrayPad: node.type === 'array' ? pad : '',
  };
}

/** A value on one line, in the container's own style. */
function compactValue(v: unknown, s: CompactStyle): string {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${s.arrayPad}${v.map((x) => compactValue(x, s)).join(s.comma)}${s.arrayPad}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{${s.objectPad}${entries.map(([k, x]) => `${JSON.stringify(k)}${s.colon}${compactValue(x, s)}`).join(s.comma)}${s.objectPad}}`;
  }
  return JSON.stringify(v);
}

const splice = (text: string, at: number, length: number, insert: string): string => text.slice(0, at) + insert + text.slice(at + length);

/**
 * An add or replace inside a container written on one line (`{"name": "a", "namespace": "b"}`, `[1, 2]`, or an
 * empty one inside such a container): the container stays on one line, the new value written compactly in its
 * style; a removal takes the member and one separator out of the line. Undefined when the container spans lines
 * (jsonc-parser's formatting is right there).
 */
function compactEdit(body: string, op: PatchOp, path: JSONPath): string | undefined {
  const root = parseTree(body);
  const parent = root && (path.length === 1 ? root : findNodeAtLocation(root, path.slice(0, -1)));
  if (!parent || (parent.type !== 'object' && parent.type !== 'array')) return undefined;
  // An empty `{}` or `[]` shows no style of its own: it is as compact as the container around it.
  let judged: Node | undefined = parent;
  while (judged && (judged.children ?? []).length === 0) {
    judged = judged.parent;
    while (judged && judged.type !== 'object' && judged.type !== 'array') judged = judged.parent;
  }
  if (!judged || /[\r\n]/.test(body.slice(judged.offset, judged.offset + judged.length))) return undefined;
  const kids = parent.children ?? [];
  const last = kids[kids.length - 1];
  const key = path[path.length - 1];
  if (op.op === 'remove') {
    // The member and one separator go; the rest of the line stays as it is.
    const i = parent.type === 'object' ? kids.findIndex((p) => p.children?.[0]?.value === key) : Number(key);
    const gone = kids[i];
    if (!gone) return undefined;
    const before = kids[i - 1];
    const after = kids[i + 1];
    if (before) return splice(body, before.offset + before.length, gone.offset + gone.length - (before.offset + before.length), '');
    if (after) return splice(body, gone.offset, after.offset - gone.offset, '');
    return splice(body, parent.offset, parent.length, parent.type === 'object' ? '{}' : '[]');
  }
  const s = compactStyle(body, parent);
  const value = compactValue(op.value, s);
  if (parent.type === 'object') {
    const existing = kids.find((p) => p.children?.[0]?.value === key)?.children?.[1];
    if (existing) return splice(body, existing.offset, existing.length, value);
    const member = `${JSON.stringify(String(key))}${s.colon}${value}`;
    if (last) return splice(body, last.offset + last.length, 0, `${s.comma}${member}`);
    return splice(body, parent.offset, parent.length, `{${member}}`);
  }
  const index = typeof key === 'number' ? key : Number(key);
  const at = kids[index];
  if (op.op === 'replace') return at ? splice(body, at.offset, at.length, value) : undefined;
  if (!last) return splice(body, parent.offset, parent.length, `[${value}]`);
  if (!at) return splice(body, last.offset + last.length, 0, `${s.comma}${value}`);
  return splice(body, at.offset, 0, `${value}${s.comma}`);
}

/** Apply the operations in order; the caller checks the result against the expected value. */
export function applyJsonOps(text: string, ops: readonly PatchOp[]): string {
  const bom = text.startsWith(BOM);
  let body = bom ? text.slice(1) : text;
  const formattingOptions = detectJsonFormatting(body);
  for (const op of ops) {
    if (op.path === '') throw new PatchError('replacing the whole JSON document is not supported');
    const current = parseJsonValue(body);
    const path = jsonPath(current, op.path, op.op === 'add');
    const isArray = typeof path[path.length - 1] === 'number';
    const value = op.op === 'remove' ? undefined : op.value;
    if (op.op !== 'remove' && value === undefined) throw new PatchError(`${op.path}: the value is undefined`, 'invalid-op');
    const compact = compactEdit(body, op, path);
    if (compact !== undefined) {
      body = compact;
      continue;
    }
    const edits = modify(body, path, value, { formattingOptions, isArrayInsertion: op.op === 'add' && isArray });
    body = applyEdits(body, edits);
  }
  return bom ? BOM + body : body;
}
