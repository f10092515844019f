import { Composer, Document as YamlDocument, Parser, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node, ParsedNode } from 'yaml';
import { yamlOptions } from './yaml-source.js';
import { BoundedMemo } from '../reconcile/memo.js';

/**
 * How new YAML text is written so that it reads like the file it lands in: scalars in the least surprising style
 * that still means exactly the value asked for (under YAML 1.1, as Kubernetes reads it), collections in block
 * style with the file's own indentation.
 */

/**
 * Why an edit was refused: the file does not parse, a pointer names nothing, the operation is malformed, the edit
 * cannot be made faithfully (aliases, merge keys, flow collections with comments...), the result failed its
 * verification, or it would be larger than the file size limit.
 */
export type PatchErrorCode = 'parse' | 'path-not-found' | 'invalid-op' | 'unsupported' | 'verify-failed' | 'too-large';

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: PatchErrorCode = 'unsupported',
  ) {
    super(message);
  }
}

/** How the file lays out block collections. */
export interface BlockStyle {
  /** Columns a nested mapping is indented by under its key. */
  readonly step: number;
  /** Columns a block sequence's `-` is indented by under its key (0 for `key:\n- a`). */
  readonly seqIndent: number;
}

export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';

export function parseSingle(source: string): Document.Parsed | undefined {
  const composer = new Composer(yamlOptions);
  const docs: Document.Parsed[] = [];
  for (const token of new Parser().parse(source)) for (const d of composer.next(token)) docs.push(d as Document.Parsed);
  for (const d of composer.end()) docs.push(d as Document.Parsed);
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  return doc;
}

/** The one plain scalar a tiny probe document holds at `pick`, or undefined when it is anything else. */
function probe(source: string, pick: (contents: ParsedNode | null) => Node | null | undefined): unknown {
  const doc = parseSingle(source);
  if (!doc) return undefined;
  const node = pick(doc.contents);
  if (!node || !isScalar(node) || node.type !== 'PLAIN') return undefined;
  return { value: node.value };
}

const onlyValue = (c: ParsedNode | null): Node | null | undefined =>
  isMap(c) && c.items.length === 1 && isPair(c.items[0]) ? (c.items[0].value as Node | null) : undefined;
const onlyKey = (c: ParsedNode | null): Node | null | undefined =>
  isMap(c) && c.items.length === 1 && isPair(c.items[0]) ? (c.items[0].key as Node | null) : undefined;
const onlyItem = (c: ParsedNode | null): Node | null | undefined =>
  isSeq(c) && c.items.length === 1 ? (c.items[0] as Node | null) : undefined;

const plainCache = new BoundedMemo<boolean>(10_000);

/**
 * Safe in block context as far as where a plain scalar ends goes: starts with a letter, holds only letters, digits
 * and `._/@+-` with single `:`s inside (image references, digests, tag names). Such a string still needs the tag
 * tests (`yes`, `null`, and `E11`, which YAML 1.1 reads as a float).
 */
const simplePlain = (s: string): boolean => /^[A-Za-z][A-Za-z0-9._/@+-]*(?::[A-Za-z0-9._/@+-]+)*$/.test(s);

/** The tags a plain scalar is resolved by, as the parser does it (`yamlOptions`: YAML 1.1): in order, each with its test. */
let resolverTags: ReadonlyArray<{ readonly default?: boolean | 'key'; readonly test?: RegExp }> | undefined;
const resolvers = () =>
  (resolverTags ??= new YamlDocument(null, yamlOptions).schema.tags.filter((t) => t.test !== undefined && t.default !== false));

/**
 * Whether the parser reads the plain scalar `s` (one line, no leading or trailing space) as the string `s`, asked
 * directly instead of with a probe document: the YAML lexer's rules for where a plain scalar ends (`: ` or a final
 * `:`, ` #`, and in flow context any of `,[]{}`), a key's document-end marker (`... `), and the schema's own tag
 * tests (booleans, null, numbers, timestamps, `<<` as a key). Undefined for what is left to a probe: keys too long
 * to be implicit.
 */
function readsAsString(s: string, context: 'block' | 'flow' | 'key' | 'flow-key'): boolean | undefined {
  const flow = context === 'flow' || context === 'flow-key';
  const key = context === 'key' || context === 'flow-key';
  if (key && s.length > 1000) return undefined;
  if (s.endsWith(':') || s.includes(': ') || s.includes(' #')) return false;
  if (flow && /[,[\]{}]/.test(s)) return false;
  if (key && s.startsWith('... ')) return false;
  return !readsAsOther(s, key);
}

/** Whether a tag test of the schema claims the plain scalar (as a key, `<<` is a merge key). */
const readsAsOther = (s: string, key: boolean): boolean =>
  resolvers().some((t) => (t.default === true || (key && t.default === 'key')) && (t.test as RegExp).test(s));

/**
 * Whether `s` can be written as a plain scalar and read back (YAML 1.1) as exactly the string `s`: not a
 * boolean, number, null or timestamp in disguise, not cut short by `#` or `: `, and the same in flow context
 * (`[...]`) or as a mapping key when asked.
 */
export function isPlainSafe(s: string, context: 'block' | 'flow' | 'key' | 'flow-key'): boolean {
  // Never start with an indicator, even where YAML would allow it (`:x`, `-x`): other readers disagree there.
  if (s === '' || s.trim() !== s || /^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/u.test(s))
    return false;
  // The common case (tens of thousands of digests in one status) needs only the tag tests.
  if (context === 'block' && simplePlain(s)) return !readsAsOther(s, false);
  if (/[\ud800-\udfff]/u.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return false;
  return readsAsString(s, context) ?? plainSafeByProbe(s, context);
}

/**
 * The same question asked of the parser with probe documents (`k: s`, `k: [s]`, `s: v`, `k: {s: v}`): what the
 * direct check is tested against, and what answers for the rare strings it leaves open.
 */
export function plainSafeByProbe(s: string, context: 'block' | 'flow' | 'key' | 'flow-key'): boolean {
  return plainCache.get(`${context}\u0000${s}`, () => {
    const same = (r: unknown): boolean => typeof r === 'object' && r !== null && (r as { value: unknown }).value === s;
    let ok = same(probe(`k: ${s}\n`, onlyValue));
    if (ok && (context === 'flow' || context === 'flow-key'))
      ok = same(probe(`k: [${s}]\n`, (c) => onlyItem(onlyValue(c) as ParsedNode | null)));
    if (ok && (context === 'key' || context === 'flow-key')) ok = same(probe(`${s}: v\n`, onlyKey));
    if (ok && context === 'flow-key') ok = same(probe(`k: {${s}: v}\n`, (c) => onlyKey(onlyValue(c) as ParsedNode | null)));
    return ok;
  });
}

/** A YAML double-quoted scalar; every character YAML would not keep as-is is escaped. */
export function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0xd800 && c <= 0xdfff)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function singleQuoted(s: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/u.test(s)) return undefined;
  return `'${s.replace(/'/g, "''")}'`;
}

function renderNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  const text = String(n);
  // Integers in the safe range are written as YAML 1.1 reads them (`[-+]?(0|[1-9][0-9]*)`).
  if (Number.isSafeInteger(n)) return text;
  const back = probe(`k: ${text}\n`, onlyValue) as { value: unknown } | undefined;
  if (back && back.value === n) return text;
  throw new PatchError(`cannot write the number ${text} so that YAML 1.1 reads it back unchanged`);
}

export function isScalarValue(v: unknown): boolean {
  return (
    v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Date
  );
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Scalars and empty collections: what can follow `key: ` on one line in block context. */
export function isInlineValue(v: unknown): boolean {
  return isScalarValue(v) || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

/**
 * One scalar. Strings keep `prefer` when it can hold them (plain only when it reads back as the same string,
 * single-quoted only for printable one-line text) and fall back to double quotes; other scalars are plain.
 */
export function renderScalar(v: unknown, prefer: ScalarStyle, flow: boolean): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return renderNumber(v);
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Date) {
    const iso = v.toISOString();
    const back = probe(`k: ${iso}\n`, onlyValue) as { value: unknown } | undefined;
    if (back && back.value instanceof Date && back.value.getTime() === v.getTime()) return iso;
    throw new PatchError(`cannot write the date ${iso} as a YAML timestamp`);
  }
  if (typeof v !== 'string') throw new PatchError(`cannot write a value of type ${typeof v} in YAML`);
  if (prefer === 'QUOTE_DOUBLE') return doubleQuoted(v);
  if (prefer === 'QUOTE_SINGLE') return singleQuoted(v) ?? doubleQuoted(v);
  if (isPlainSafe(v, flow ? 'flow' : 'block')) return v;
  // Text full of double quotes or backslashes (a JSON annotation) reads better single-quoted, as people write it.
  if (/["\\]/.test(v)) return singleQuoted(v) ?? doubleQuoted(v);
  return doubleQuoted(v);
}

export function renderKey(key: string, flow: boolean): string {
  return isPlainSafe(key, flow ? 'flow-key' : 'key') ? key : doubleQuoted(key);
}

/** A value on one line: scalars, `[]`, `{}`, and (in flow context) whole flow collections. */
export function renderInline(v: unknown, flow: boolean): string {
  if (isScalarValue(v)) return renderScalar(v, 'PLAIN', flow);
  if (Array.isArray(v)) return `[${v.map((x) => renderInline(x, true)).join(', ')}]`;
  if (isPlainObject(v)) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${renderKey(k, true)}: ${renderInline(x, true)}`)
      .join(', ')}}`;
  }
  throw new PatchError(
    `cannot write a value of type ${v === undefined ? 'undefined' : (Object.getPrototypeOf(v)?.constructor?.name ?? typeof v)} in YAML`,
  );
}

const pad = (n: number): string => ' '.repeat(n);

/** The lines of one `key: value` entry of a block mapping whose keys sit at `col`. */
export function renderPairLines(key: string, v: unknown, col: number, style: BlockStyle): string[] {
  const out: string[] = [];
  pushPair(out, key, v, col, style);
  return out;
}

/** The lines of one `- item` of a block sequence whose dashes sit at `col`. */
export function renderItemLines(v: unknown, col: number, style: BlockStyle): string[] {
  const out: string[] = [];
  pushItem(out, v, col, style);
  return out;
}

/** A non-empty array or object as block lines at column `col`. */
export function renderBlockLines(v: unknown, col: number, style: BlockStyle): string[] {
  const out: string[] = [];
  pushBlock(out, v, col, style);
  return out;
}

// The renderers append to one array: a status of tens of thousands of tags makes no array per value.
function pushPair(out: string[], key: string, v: unknown, col: number, style: BlockStyle): void {
  const head = `${pad(col)}${renderKey(key, false)}:`;
  if (isInlineValue(v)) {
    out.push(`${head} ${renderInline(v, false)}`);
    return;
  }
  out.push(head);
  pushBlock(out, v, col + (Array.isArray(v) ? style.seqIndent : style.step), style);
}

function pushItem(out: string[], v: unknown, col: number, style: BlockStyle): void {
  if (isInlineValue(v)) {
    out.push(`${pad(col)}- ${renderInline(v, false)}`);
    return;
  }
  const first = out.length;
  pushBlock(out, v, col + 2, style);
  out[first] = `${pad(col)}- ${(out[first] ?? '').slice(col + 2)}`;
}

function pushBlock(out: string[], v: unknown, col: number, style: BlockStyle): void {
  if (Array.isArray(v)) for (const item of v) pushItem(out, item, col, style);
  else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) pushPair(out, k, x, col, style);
  else out.push(`${pad(col)}${renderInline(v, false)}`);
}

/** Column of an offset (a byte-order mark at the start of the file takes no column). */
export function columnOf(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const bom = lineStart === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return offset - lineStart - bom;
}

/**
 * The document's indentation habits: the most common indent of a block mapping nested under a key, and the most
 * common indent of a block sequence under its key (`key:\n  - a` vs `key:\n- a`). Defaults: 2 and the mapping step.
 */
export function detectStyle(text: string, root: ParsedNode | null): BlockStyle {
  const steps = new Map<number, number>();
  const seqs = new Map<number, number>();
  const stack: Array<ParsedNode | null> = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node) continue;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as ParsedNode | null;
        const value = pair.value as ParsedNode | null;
        if (value) stack.push(value);
        if (!key || !value || node.flow) continue;
        const keyCol = columnOf(text, key.range[0]);
        const onNextLine = text.slice(key.range[1], value.range[0]).includes('\n');
        if (!onNextLine) continue;
        if (isMap(value) && !value.flow) {
          const d = columnOf(text, value.range[0]) - keyCol;
          if (d > 0) steps.set(d, (steps.get(d) ?? 0) + 1);
        } else if (isSeq(value) && !value.flow) {
          const d = columnOf(text, value.range[0]) - keyCol;
          if (d >= 0) seqs.set(d, (seqs.get(d) ?? 0) + 1);
        }
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as ParsedNode | null);
    }
  }
  const top = (m: Map<number, number>): number | undefined => {
    let best: number | undefined;
    let count = 0;
    for (const [k, c] of m) if (c > count) [best, count] = [k, c];
    return best;
  };
  const step = top(steps) ?? 2;
  return { step, seqIndent: top(seqs) ?? step };
}
