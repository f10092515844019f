import { Composer, Parser, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { CST, Document, Node, ParsedNode } from 'yaml';
import type { LoadLimits } from './limits.js';
import { PositionMap } from './positions.js';
import type { ParseProblem, ParsedText, SourceDocument } from './source.js';
import { detectStyle } from './yaml-style.js';

/**
 * Kubernetes tooling reads YAML with YAML 1.1 rules (sigs.k8s.io/yaml over go-yaml): `yes`/`on` are booleans and
 * `<<` merge keys work. We parse the same way so a file means to us what it means to `oc apply`.
 */
export const yamlOptions = {
  version: '1.1',
  keepSourceTokens: true,
  uniqueKeys: false,
  prettyErrors: false,
  strict: true,
  // The library's own warnings (a collection used as a key, say) would go to the terminal raw; problems are ours to report.
  logLevel: 'error',
} as const;

/**
 * Nesting depth of a CST document, walked with an explicit stack: the composer recurses, and a document nested
 * thousands deep would overflow it (or worse), so depth is measured before composing.
 */
function cstDepth(token: CST.Token): number {
  let max = 0;
  const stack: Array<[CST.Token, number]> = [[token, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [CST.Token, number];
    if (depth > max) max = depth;
    if (node.type === 'document') {
      if (node.value) stack.push([node.value, depth]);
    } else if (node.type === 'block-map' || node.type === 'block-seq' || node.type === 'flow-collection') {
      for (const item of node.items) {
        if ('key' in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return max;
}

/**
 * Record where every value of a composed document sits, and report duplicate keys (the parser is told not to
 * fail on them so that, as with JSON, the last one wins and the rest of the document is still checked).
 */
function mapPositions(doc: Document.Parsed, docIndex: number, problems: ParseProblem[]): PositionMap {
  const positions = new PositionMap();
  const stack: Array<{ node: ParsedNode | null; parent: number; segment: string | number; keyStart?: number }> = [
    { node: doc.contents, parent: -1, segment: '' },
  ];
  while (stack.length > 0) {
    const { node, parent, segment, keyStart } = stack.pop() as (typeof stack)[number];
    if (!node) continue;
    const [start, end] = node.range;
    const at = positions.add(parent, segment, keyStart === undefined ? { start, end } : { start, end, keyStart });
    if (isAlias(node)) continue; // the aliased values live elsewhere; children resolve to the alias itself
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as ParsedNode | null;
        if (!key || !isScalar(key)) continue;
        const name = String(key.value);
        if (seen.has(name)) {
          problems.push({
            code: 'duplicate-key',
            severity: 'error',
            message: `duplicate key "${name}" (the last one wins)`,
            offset: key.range[0],
            document: docIndex,
          });
        }
        seen.add(name);
        if (name === '<<' && key.type === 'PLAIN') continue; // merge key: values come from the merged mapping
        const value = pair.value as ParsedNode | null;
        if (value) stack.push({ node: value, parent: at, segment: name, keyStart: key.range[0] });
        else positions.add(at, name, { start: key.range[0], end: key.range[1], keyStart: key.range[0] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item as ParsedNode | null, parent: at, segment: i });
      });
    }
  }
  positions.trim();
  return positions;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parse a YAML stream into plain documents with positions; every problem becomes a ParseProblem, nothing throws. */
export function parseYaml(text: string, limits: LoadLimits): ParsedText {
  const problems: ParseProblem[] = [];
  const documents: SourceDocument[] = [];
  const composer = new Composer(yamlOptions);
  let index = 0;
  const take = (doc: Document.Parsed): void => {
    const docIndex = index++;
    const start = doc.range[0];
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        problems.push({ code: 'yaml-syntax', severity: 'error', message: firstLine(err.message), offset: err.pos[0], document: docIndex });
      }
      return;
    }
    for (const warning of doc.warnings) {
      problems.push({
        code: 'yaml-syntax',
        severity: 'warning',
        message: firstLine(warning.message),
        offset: warning.pos[0],
        document: docIndex,
      });
    }
    if (doc.contents === null) return; // an empty document ("---" alone) holds nothing to check
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/excessive alias count/i.test(message)) {
        problems.push({
          code: 'alias-limit',
          severity: 'error',
          message: `aliases expand past the limit of ${limits.maxAliasCount} (a document that multiplies itself through aliases is refused)`,
          offset: start,
          document: docIndex,
        });
      } else {
        problems.push({ code: 'yaml-syntax', severity: 'error', message, offset: start, document: docIndex });
      }
      return;
    }
    const positions = mapPositions(doc, docIndex, problems);
    documents.push({ index: docIndex, value, positions, start, style: detectStyle(text, doc.contents) });
  };

  for (const token of new Parser().parse(text)) {
    if (token.type === 'document' && cstDepth(token) > limits.maxDepth) {
      for (const doc of composer.end()) take(doc as Document.Parsed); // keep document numbering in file order
      problems.push({
        code: 'nesting-too-deep',
        severity: 'error',
        message: `collections nest deeper than the limit of ${limits.maxDepth} levels`,
        offset: token.offset,
        document: index++,
      });
      continue;
    }
    for (const doc of composer.next(token)) take(doc as Document.Parsed);
  }
  for (const doc of composer.end()) take(doc as Document.Parsed);
  return { documents, problems };
}

export type { Node };
