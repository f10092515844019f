/**
 * Setter markers in the text (src/reconcile/markers.ts reads their words and decides their values): each
 * `{"$imagestreamtag": ...}` line comment, the scalar it follows on its line, and that scalar's pointer. A marker
 * that cannot set a value in place (after a key, a collection, an alias; inside or on a block scalar; alone on its
 * line) or whose words are wrong is a problem at its line and column, never a silent no-op.
 */
import { Parser, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Node } from 'yaml';
import type { DiagnosticCode } from '../reconcile/codes.js';
import { diagnosticCodes } from '../reconcile/codes.js';
import type { MarkerSite } from '../reconcile/markers.js';
import { markerKey, readMarker } from '../reconcile/markers.js';
import { joinPointer } from './positions.js';
import type { LineIndex } from './positions.js';
import type { ParseProblem } from './source.js';
import { yamlOptions } from './yaml-source.js';

export interface Placed {
  readonly node: Node;
  readonly pointer: string;
  readonly key: boolean;
  readonly inFlow: boolean;
}

/** Every comment token of the stream, with its offset (comments sit in many places of the CST). */
export function comments(text: string): Array<{ offset: number; source: string }> {
  const out: Array<{ offset: number; source: string }> = [];
  const stack: unknown[] = [...new Parser().parse(text)];
  while (stack.length > 0) {
    const t = stack.pop();
    if (Array.isArray(t)) stack.push(...t);
    else if (typeof t === 'object' && t !== null) {
      const token = t as { type?: unknown; offset?: unknown; source?: unknown };
      if (token.type === 'comment' && typeof token.offset === 'number' && typeof token.source === 'string')
        out.push({ offset: token.offset, source: token.source });
      else for (const v of Object.values(t)) if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** The nodes of one document with their pointers (keys too, and whether they sit in a flow collection). */
export function placeNodes(root: Node | null): Placed[] {
  const out: Placed[] = [];
  const stack: Array<{ node: Node | null; pointer: string; inFlow: boolean }> = [{ node: root, pointer: '', inFlow: false }];
  while (stack.length > 0) {
    const { node, pointer, inFlow } = stack.pop() as { node: Node | null; pointer: string; inFlow: boolean };
    if (!node?.range) continue;
    out.push({ node, pointer, key: false, inFlow });
    if (isAlias(node)) continue;
    const flow = inFlow || ((isMap(node) || isSeq(node)) && node.flow === true);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (pair.key.range) out.push({ node: pair.key, pointer: joinPointer(pointer, name), key: true, inFlow: flow });
        if (name === '<<') continue;
        stack.push({ node: pair.value as Node | null, pointer: joinPointer(pointer, name), inFlow: flow });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item as Node | null, pointer: joinPointer(pointer, i), inFlow: flow });
      });
    }
  }
  return out;
}

export const isBlockScalar = (n: Node): boolean => isScalar(n) && (n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED');

/** Markers and marker problems of one YAML file. Cheap for a file without any: it is not parsed again. */
export function findMarkers(file: string, text: string, lines: LineIndex): { sites: MarkerSite[]; problems: ParseProblem[] } {
  const sites: MarkerSite[] = [];
  const problems: ParseProblem[] = [];
  if (!text.includes(markerKey)) return { sites, problems };
  const docs = parseAllDocuments(text, { ...yamlOptions, logLevel: 'silent' });
  const documents = Array.isArray(docs) ? docs : [];
  const placed = documents.map((d) => placeNodes(d.contents as Node | null));
  const problem = (code: DiagnosticCode, offset: number, document: number, message: string): void => {
    problems.push({ code, severity: diagnosticCodes[code].severity, message, offset, document });
  };
  const sameLine = (from: number, to: number): boolean => from <= to && !text.slice(from, to).includes('\n');
  for (const c of comments(text)) {
    const words = readMarker(c.source.slice(1));
    if (!words) continue;
    const document = Math.max(
      0,
      documents.findIndex((d) => c.offset >= d.range[0] && c.offset <= d.range[2]),
    );
    if (!words.ok) {
      problem('marker-invalid', c.offset, document, words.error);
      continue;
    }
    const nodes = placed[document] ?? [];
    // A block scalar whose header this comment is on.
    if (nodes.some((p) => isBlockScalar(p.node) && sameLine((p.node.range as [number, number, number])[0], c.offset))) {
      problem(
        'marker-in-block-scalar',
        c.offset,
        document,
        "the marker is on a block scalar's header (| or >); only a single-line value can be set",
      );
      continue;
    }
    let best: Placed | undefined;
    for (const p of nodes) {
      const end = (p.node.range as [number, number, number])[1];
      if (!sameLine(end, c.offset)) continue;
      const bestEnd = best ? (best.node.range as [number, number, number])[1] : -1;
      if (end > bestEnd || (end === bestEnd && !p.key)) best = p;
    }
    if (!best) {
      problem('marker-without-value', c.offset, document, 'the marker has no value before it on its line; put it after the value it sets');
      continue;
    }
    const n = best.node;
    if (best.key)
      problem(
        'marker-on-key',
        c.offset,
        document,
        `the marker follows the key "${String(isScalar(n) ? n.value : '')}", not a value; put it after a scalar value`,
      );
    else if (isAlias(n) || (isScalar(n) && n.anchor))
      problem(
        'marker-on-alias',
        c.offset,
        document,
        'the marker is on an alias or an anchored value; setting it would change the other uses too',
      );
    else if (!isScalar(n) || best.inFlow)
      problem(
        'marker-on-collection',
        c.offset,
        document,
        'the marker is on a collection or inside a flow collection ([...] or {...}); put it after a scalar in block style',
      );
    else {
      const { line } = lines.position((n.range as [number, number, number])[0]);
      sites.push({ file, document, pointer: best.pointer, line, streamTag: words.streamTag, part: words.part, current: n.value });
    }
  }
  // Marker text inside a block scalar's content is content.
  placed.forEach((nodes, document) => {
    for (const p of nodes) {
      if (!isBlockScalar(p.node)) continue;
      const [header, end] = p.node.range as [number, number, number];
      const start = Math.min(end, text.indexOf('\n', header) + 1 || end); // the content starts on the line after the header
      const at = text.slice(start, end).indexOf(markerKey);
      const brace = at === -1 ? -1 : text.lastIndexOf('{', start + at);
      if (at !== -1)
        problem(
          'marker-in-block-scalar',
          brace >= start ? brace : start + at,
          document,
          'marker text inside a block scalar (| or >) is part of its content and sets nothing',
        );
    }
  });
  return { sites, problems };
}
