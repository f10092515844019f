import { applyEdits, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { FormattingOptions, JSONPath, ParseError } from 'jsonc-parser';
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
    const edits = modify(body, path, value, { formattingOptions, isArrayInsertion: op.op === 'add' && isArray });
    body = applyEdits(body, edits);
  }
  return bom ? BOM + body : body;
}
