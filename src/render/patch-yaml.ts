import { Composer, Parser, isAlias, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { CST, Document, Pair, ParsedNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { PatchOp } from './patch.js';
import { isIndexSegment } from '../reconcile/values.js';
import { parsePointer } from './positions.js';
import {
  PatchError,
  columnOf,
  detectStyle,
  isInlineValue,
  isScalarValue,
  renderBlockLines,
  renderInline,
  renderItemLines,
  renderKey,
  renderPairLines,
  renderScalar,
} from './yaml-style.js';
import type { BlockStyle, PatchErrorCode, ScalarStyle } from './yaml-style.js';
import { yamlOptions } from './yaml-source.js';

/**
 * One JSON-Patch operation on one document of a YAML stream, as a single splice of the text: the smallest range
 * that holds the change is rewritten and every other byte is left alone.
 */

export interface YamlStream {
  readonly docs: Document.Parsed[];
  /** The text of each document, from its start to the start of the next (separators and `...` included). */
  readonly segments: string[];
  /** Whatever comes before the first document. */
  readonly prefix: string;
}

export function parseYamlStream(text: string, what = 'the YAML', code: PatchErrorCode = 'parse', tokens = true): YamlStream {
  const composer = new Composer(tokens ? yamlOptions : { ...yamlOptions, keepSourceTokens: false });
  const docs: Document.Parsed[] = [];
  for (const token of new Parser().parse(text)) for (const d of composer.next(token)) docs.push(d as Document.Parsed);
  for (const d of composer.end()) docs.push(d as Document.Parsed);
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err)
      throw new PatchError(
        `${what} does not parse: ${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        code,
      );
  }
  const starts = docs.map((d) => d.range[0]);
  const segments = starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length));
  return { docs, segments, prefix: text.slice(0, starts[0] ?? text.length) };
}

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
interface Step {
  readonly node: ParsedNode | null;
  readonly parent: Collection | null;
  readonly index: number;
}
/** Where a value sits: after a `key:` or a `-` of a block collection (indicatorEnd just past it), or the root. */
interface Slot {
  readonly kind: 'root' | 'pair' | 'item';
  readonly indicatorEnd: number;
  readonly col: number;
}
/** One splice of the text; `entry` marks a whole new block entry in it (where its `-` or its key line starts, in `text`). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly entry?: NewEntry;
}

/** A new entry of a block collection the edit writes: a `key:` at column `col`, or an item whose `-` is there. */
export interface NewEntry {
  readonly kind: 'pair' | 'item';
  /** Offset in the edit's text of the entry's key or `-`. */
  readonly lead: number;
  readonly col: number;
}

const pad = (n: number): string => ' '.repeat(n);
const isBlockScalar = (n: ParsedNode): boolean => isScalar(n) && (n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED');

export class Ctx {
  readonly eol: string;
  private styleCache: BlockStyle | undefined;
  readonly aliased = new Set<string>();

  constructor(
    readonly text: string,
    readonly doc: Document.Parsed,
    eol: string,
    style?: BlockStyle,
  ) {
    this.eol = eol;
    this.styleCache = style;
    visit(doc, { Alias: (_, node) => void this.aliased.add(node.source) });
  }

  get style(): BlockStyle {
    this.styleCache ??= detectStyle(this.text, this.doc.contents);
    return this.styleCache;
  }

  lineStart(pos: number): number {
    return this.text.lastIndexOf('\n', pos - 1) + 1;
  }

  /** End of the line holding pos, before its line break. */
  lineEnd(pos: number): number {
    const i = this.text.indexOf('\n', pos);
    if (i < 0) return this.text.length;
    return this.text[i - 1] === '\r' ? i - 1 : i;
  }

  nextLineStart(pos: number): number {
    const i = this.text.indexOf('\n', pos);
    return i < 0 ? this.text.length : i + 1;
  }

  /** Offset just past the `:` of a mapping entry. */
  indicatorEnd(pair: Pair<unknown, unknown>): number {
    const key = pair.key as ParsedNode | null;
    if (!key) throw new PatchError('entries with an empty key are not supported');
    let i = key.range[1];
    while (this.text[i] === ' ' || this.text[i] === '\t') i++;
    if (this.text[i] !== ':') throw new PatchError('explicit (`? key`) entries are not supported');
    return i + 1;
  }

  /** Offset of the `-` of a block sequence item. */
  dash(seq: YAMLSeq<unknown>, index: number): number {
    const token = seq.srcToken as CST.BlockSequence | undefined;
    const dash = token?.type === 'block-seq' ? token.items[index]?.start.find((t) => t.type === 'seq-item-ind') : undefined;
    if (!dash) throw new PatchError('cannot find the "-" of a sequence item');
    return dash.offset;
  }

  /** Where the value's own text ends: trailing comments, blank lines and line breaks are not part of it. */
  contentEnd(node: ParsedNode | null, fallback: number): number {
    if (!node) return fallback;
    if (isScalar(node) && isBlockScalar(node)) {
      let e = node.range[1];
      while (e > node.range[0] && (this.text[e - 1] === '\n' || this.text[e - 1] === '\r')) e--;
      return e;
    }
    if ((isMap(node) || isSeq(node)) && !node.flow) {
      const i = node.items.length - 1;
      if (i < 0) return node.range[1];
      if (isMap(node)) {
        const pair = node.items[i] as Pair<unknown, unknown>;
        return this.contentEnd(pair.value as ParsedNode | null, this.indicatorEnd(pair));
      }
      return this.contentEnd(node.items[i] as ParsedNode | null, this.dash(node, i) + 1);
    }
    return node.range[1];
  }

  slotOf(step: Step): Slot {
    const { parent, index } = step;
    if (!parent) return { kind: 'root', indicatorEnd: step.node?.range[0] ?? 0, col: 0 };
    if (parent.flow) throw new PatchError('internal: flow collections have no block slot');
    if (isMap(parent)) {
      const pair = parent.items[index] as Pair<unknown, unknown>;
      return { kind: 'pair', indicatorEnd: this.indicatorEnd(pair), col: columnOf(this.text, (pair.key as ParsedNode).range[0]) };
    }
    const dash = this.dash(parent, index);
    return { kind: 'item', indicatorEnd: dash + 1, col: columnOf(this.text, dash) };
  }

  /** A trailing `# comment` between pos and the end of its line, or ''. */
  commentAfter(pos: number): string {
    const rest = this.text.slice(pos, this.lineEnd(pos)).trim();
    return rest.startsWith('#') ? ` ${rest}` : '';
  }
}

/** Walk a pointer from the document root; every step must be a real node of this document (no alias, no merge). */
function resolve(ctx: Ctx, segments: readonly string[]): Step[] {
  const steps: Step[] = [{ node: ctx.doc.contents, parent: null, index: -1 }];
  let at = '';
  for (const seg of segments) {
    const cur = (steps[steps.length - 1] as Step).node;
    if (isAlias(cur)) throw new PatchError(`${at || '/'} is an alias (*${cur.source}); edit the anchored value instead`);
    at += `/${seg}`;
    if (isMap(cur)) {
      let index = -1;
      cur.items.forEach((pair, i) => {
        if (isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === seg) index = i;
      });
      if (index < 0) {
        const merged = cur.items.some((pair) => isScalar(pair.key) && typeof pair.key.value === 'symbol');
        throw new PatchError(
          merged ? `${at} comes from a merge key (<<); edit the merged mapping instead` : `${at}: no such key`,
          merged ? 'unsupported' : 'path-not-found',
        );
      }
      steps.push({ node: (cur.items[index] as Pair<unknown, unknown>).value as ParsedNode | null, parent: cur, index });
    } else if (isSeq(cur)) {
      const index = isIndexSegment(seg) ? Number(seg) : -1;
      if (index < 0 || index >= cur.items.length) throw new PatchError(`${at}: no such array element`, 'path-not-found');
      steps.push({ node: cur.items[index] as ParsedNode | null, parent: cur, index });
    } else throw new PatchError(`${at}: the path goes through a scalar`, 'path-not-found');
  }
  for (const step of steps) {
    const anchor = step.node?.anchor;
    if (anchor && ctx.aliased.has(anchor)) {
      throw new PatchError(`${at || '/'}: the edit would change the value anchored as &${anchor}, which *${anchor} repeats elsewhere`);
    }
  }
  return steps;
}

function preferredStyle(node: Scalar): ScalarStyle {
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return node.type;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return 'QUOTE_DOUBLE';
  return 'PLAIN';
}

/** Rewrite one scalar in place, keeping its quoting where it can hold the new value, its props and its comment. */
function rewriteScalar(ctx: Ctx, node: Scalar, value: unknown, flow: boolean): Edit {
  const prefer = typeof value === 'string' ? preferredStyle(node) : 'PLAIN';
  let out = renderScalar(value, prefer, flow);
  const range = (node as ParsedNode).range;
  const start = range[0];
  const end = ctx.contentEnd(node as ParsedNode, range[1]);
  if (start === end && !/\s/.test(ctx.text[start - 1] ?? ' ')) out = ` ${out}`;
  if (isBlockScalar(node as ParsedNode)) {
    const props = (node.srcToken as CST.BlockScalar | undefined)?.props ?? [];
    const comment = props.find((t) => t.type === 'comment');
    if (comment) out += ` ${(comment as CST.SourceToken).source}`;
  }
  return { start, end, text: out };
}

/** Re-write a flow collection on one line, keeping the source text of every entry that stays. */
function rerenderFlow(ctx: Ctx, coll: Collection, change: { index: number; remove: number; insert?: string }): Edit {
  const token = coll.srcToken as CST.FlowCollection | undefined;
  if (token?.type !== 'flow-collection' || token.items.length !== coll.items.length) {
    throw new PatchError('this flow collection is too unusual to edit');
  }
  const range0 = (coll as ParsedNode).range;
  if (/(^|\s)#/.test(ctx.text.slice(range0[0], range0[1]).replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, '""'))) {
    throw new PatchError('cannot edit a flow collection ([...] or {...}) that holds comments without losing them');
  }
  const parts = coll.items.map((item, i) => {
    const props = token.items[i]?.start.find((t) => t.type === 'anchor' || t.type === 'tag');
    if (isPair(item)) {
      const key = item.key as ParsedNode;
      const start = props?.offset ?? key.range[0];
      return ctx.text.slice(start, ctx.contentEnd(item.value as ParsedNode | null, key.range[1]));
    }
    const node = item as ParsedNode;
    return ctx.text.slice(props?.offset ?? node.range[0], ctx.contentEnd(node, node.range[1]));
  });
  parts.splice(change.index, change.remove, ...(change.insert === undefined ? [] : [change.insert]));
  const [open, close] = isMap(coll) ? ['{', '}'] : ['[', ']'];
  const range = (coll as ParsedNode).range;
  const spaced = ctx.text[range[0] + 1] === ' ' && parts.length > 0 ? ' ' : '';
  const body = parts.length === 0 ? '' : `${spaced}${parts.join(', ')}${spaced}`;
  return { start: range[0], end: range[1], text: `${open}${body}${close}` };
}

/** Put a new value (any kind) where `node` is, in a block slot or at the root. */
function replaceInSlot(ctx: Ctx, slot: Slot, node: ParsedNode | null, value: unknown): Edit {
  const { text, eol } = ctx;
  const oldStart = node ? node.range[0] : slot.indicatorEnd;
  const oldEnd = ctx.contentEnd(node, slot.indicatorEnd);
  const sameLine = slot.kind === 'root' || !text.slice(slot.indicatorEnd, oldStart).includes('\n');
  if (isInlineValue(value)) {
    const out = renderInline(value, false);
    if (sameLine)
      return { start: oldStart, end: oldEnd, text: oldStart === oldEnd && !/\s/.test(text[oldStart - 1] ?? ' ') ? ` ${out}` : out };
    return { start: slot.indicatorEnd, end: oldEnd, text: ` ${out}${ctx.commentAfter(slot.indicatorEnd)}` };
  }
  const style = ctx.style;
  const childCol =
    slot.kind === 'root' ? 0 : slot.kind === 'item' ? slot.col + 2 : slot.col + (Array.isArray(value) ? style.seqIndent : style.step);
  const lines = renderBlockLines(value, childCol, style);
  if (slot.kind === 'root') return { start: oldStart, end: oldEnd, text: lines.join(eol) };
  if (!sameLine) return { start: ctx.lineEnd(slot.indicatorEnd), end: oldEnd, text: eol + lines.join(eol) };
  const comment = ctx.commentAfter(oldEnd);
  const lineEnd = ctx.lineEnd(oldEnd);
  if (slot.kind === 'item') {
    const [first = '', ...rest] = lines;
    return { start: oldStart, end: lineEnd, text: [first.slice(childCol) + comment, ...rest].join(eol) };
  }
  const props = text.slice(slot.indicatorEnd, oldStart).trim();
  return { start: slot.indicatorEnd, end: lineEnd, text: `${props ? ` ${props}` : ''}${comment}${eol}${lines.join(eol)}` };
}

/** New block lines after the line where `end` is (after its trailing comment): one new entry at column `col`. */
function insertAfter(ctx: Ctx, end: number, lines: readonly string[], kind: NewEntry['kind'], col: number): Edit {
  const at = ctx.lineEnd(end);
  return { start: at, end: at, text: ctx.eol + lines.join(ctx.eol), entry: { kind, lead: ctx.eol.length + col, col } };
}

function replaceOp(ctx: Ctx, steps: Step[], value: unknown): Edit {
  const target = steps[steps.length - 1] as Step;
  const node = target.node;
  if (isAlias(node)) throw new PatchError(`the value is an alias (*${node.source}); edit the anchored value instead`);
  const flow = target.parent?.flow === true;
  if (node && isScalar(node) && isScalarValue(value)) return rewriteScalar(ctx, node, value, flow);
  if (flow && target.parent) {
    const insert = isMap(target.parent)
      ? `${ctx.text.slice(((target.parent.items[target.index] as Pair<unknown, unknown>).key as ParsedNode).range[0], ctx.indicatorEnd(target.parent.items[target.index] as Pair<unknown, unknown>))} ${renderInline(value, true)}`
      : renderInline(value, true);
    return rerenderFlow(ctx, target.parent, { index: target.index, remove: 1, insert });
  }
  return replaceInSlot(ctx, ctx.slotOf(target), node, value);
}

function addOp(ctx: Ctx, steps: Step[], last: string, value: unknown): Edit {
  const parentStep = steps[steps.length - 1] as Step;
  const parent = parentStep.node;
  if (isAlias(parent)) throw new PatchError(`the target is an alias (*${parent.source}); edit the anchored value instead`);
  const blockSlot = !parentStep.parent?.flow;
  if (isMap(parent)) {
    if (parent.flow) {
      if (parent.items.length === 0 && blockSlot) return replaceInSlot(ctx, ctx.slotOf(parentStep), parent, { [last]: value });
      return rerenderFlow(ctx, parent, {
        index: parent.items.length,
        remove: 0,
        insert: `${renderKey(last, true)}: ${renderInline(value, true)}`,
      });
    }
    const first = parent.items[0] as Pair<unknown, unknown>;
    const lastPair = parent.items[parent.items.length - 1] as Pair<unknown, unknown>;
    const col = columnOf(ctx.text, (first.key as ParsedNode).range[0]);
    const lines = renderPairLines(last, value, col, ctx.style);
    return insertAfter(ctx, ctx.contentEnd(lastPair.value as ParsedNode | null, ctx.indicatorEnd(lastPair)), lines, 'pair', col);
  }
  if (isSeq(parent)) {
    const index = last === '-' ? parent.items.length : Number(last);
    if (parent.flow) {
      if (parent.items.length === 0 && blockSlot) return replaceInSlot(ctx, ctx.slotOf(parentStep), parent, [value]);
      return rerenderFlow(ctx, parent, { index, remove: 0, insert: renderInline(value, true) });
    }
    const col = columnOf(ctx.text, ctx.dash(parent, 0));
    const lines = renderItemLines(value, col, ctx.style);
    if (index < parent.items.length) {
      const dash = ctx.dash(parent, index);
      return { start: dash, end: dash, text: lines.join(ctx.eol).slice(col) + ctx.eol + pad(col), entry: { kind: 'item', lead: 0, col } };
    }
    const lastIndex = parent.items.length - 1;
    return insertAfter(
      ctx,
      ctx.contentEnd(parent.items[lastIndex] as ParsedNode | null, ctx.dash(parent, lastIndex) + 1),
      lines,
      'item',
      col,
    );
  }
  throw new PatchError('cannot add to a value that is not a mapping or a sequence', 'path-not-found');
}

function removeOp(ctx: Ctx, steps: Step[]): Edit {
  const target = steps[steps.length - 1] as Step;
  const parent = target.parent;
  if (!parent) throw new PatchError('cannot remove the document root', 'invalid-op');
  if (parent.flow) return rerenderFlow(ctx, parent, { index: target.index, remove: 1 });
  if (parent.items.length === 1) {
    const parentStep = steps[steps.length - 2] as Step;
    return replaceInSlot(ctx, ctx.slotOf(parentStep), parent as ParsedNode, isMap(parent) ? {} : []);
  }
  let start: number;
  let nextStart: number | undefined;
  let end: number;
  if (isMap(parent)) {
    const pair = parent.items[target.index] as Pair<unknown, unknown>;
    start = (pair.key as ParsedNode).range[0];
    end = ctx.contentEnd(pair.value as ParsedNode | null, ctx.indicatorEnd(pair));
    nextStart = (parent.items[target.index + 1]?.key as ParsedNode | undefined)?.range[0];
  } else {
    start = ctx.dash(parent, target.index);
    end = ctx.contentEnd(target.node, start + 1);
    nextStart = target.index + 1 < parent.items.length ? ctx.dash(parent, target.index + 1) : undefined;
  }
  const lineStart = ctx.lineStart(start);
  if (ctx.text.slice(lineStart, start).trim() !== '') {
    // A compact entry sharing its line with a `-` (`- a: 1`): the next entry moves up into its place.
    if (nextStart === undefined) throw new PatchError('cannot remove this entry without rewriting its parent');
    return { start, end: nextStart, text: '' };
  }
  const after = ctx.nextLineStart(ctx.lineEnd(end));
  if (after === ctx.text.length && !ctx.text.endsWith('\n') && lineStart > 0) {
    // The last line of a file without a final newline: take the line break before it instead.
    const cut = ctx.text[lineStart - 2] === '\r' ? lineStart - 2 : lineStart - 1;
    return { start: cut, end: after, text: '' };
  }
  return { start: lineStart, end: after, text: '' };
}

/** The edit one operation makes, computed on the document `ctx` holds. */
export function editOf(ctx: Ctx, op: PatchOp): Edit {
  if (op.path !== '' && !op.path.startsWith('/')) throw new PatchError(`"${op.path}" is not a JSON pointer`, 'invalid-op');
  const segments = parsePointer(op.path);
  if (op.op === 'remove') return removeOp(ctx, resolve(ctx, segments));
  if (op.op === 'replace' || segments.length === 0) return replaceOp(ctx, resolve(ctx, segments), op.value);
  return addOp(ctx, resolve(ctx, segments.slice(0, -1)), segments[segments.length - 1] ?? '', op.value);
}

/** Apply one op to document `docIndex` of `text` (a stream, or one document's text); new lines use `eol`. */
export function applyYamlOp(text: string, docIndex: number, op: PatchOp, eol: string): string {
  const { docs } = parseYamlStream(text, 'the YAML (after the previous edits)');
  const doc = docs[docIndex];
  if (!doc) throw new PatchError(`the file has no document ${docIndex}`, 'path-not-found');
  const edit = editOf(new Ctx(text, doc, eol), op);
  return text.slice(0, edit.start) + edit.text + text.slice(edit.end);
}

/** Several ops on one document, one parse each (each op sees the text the previous ones left). */
export function applyYamlOps(text: string, docIndex: number, ops: readonly PatchOp[], eol: string): string {
  let out = text;
  for (const op of ops) out = applyYamlOp(out, docIndex, op, eol);
  return out;
}
