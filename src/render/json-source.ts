import { getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import type { LoadLimits } from './limits.js';
import { PositionMap } from './positions.js';
import type { ParseProblem, ParsedText } from './source.js';

/** Nesting depth of JSON text and the offset where the limit is first passed, scanned without recursion. */
function scanDepth(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

const errorText: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number format',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: 'colon expected',
  CommaExpected: 'comma expected',
  CloseBraceExpected: 'closing brace expected',
  CloseBracketExpected: 'closing bracket expected',
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unexpected end of comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unexpected end of number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/** Parse a JSON file strictly (no comments, no trailing commas: what `oc apply` accepts) with value positions. */
export function parseJson(text: string, limits: LoadLimits): ParsedText {
  const tooDeep = scanDepth(text, limits.maxDepth);
  if (tooDeep >= 0) {
    return {
      documents: [],
      problems: [
        {
          code: 'nesting-too-deep',
          severity: 'error',
          message: `collections nest deeper than the limit of ${limits.maxDepth} levels`,
          offset: tooDeep,
          document: 0,
        },
      ],
    };
  }
  // A byte-order mark is legal at the start of a file; parse as if it were a space so offsets stay the file's own.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || root === undefined) {
    const problems: ParseProblem[] = errors.map((e) => {
      const name = printParseErrorCode(e.error);
      return { code: 'json-syntax', severity: 'error', message: errorText[name] ?? name, offset: e.offset, document: 0 };
    });
    if (problems.length === 0)
      problems.push({ code: 'json-syntax', severity: 'error', message: 'the file holds no JSON value', offset: 0, document: 0 });
    return { documents: [], problems };
  }
  const positions = new PositionMap();
  const problems: ParseProblem[] = [];
  const stack: Array<{ node: JsonNode; parent: number; segment: string | number; keyStart?: number }> = [
    { node: root, parent: -1, segment: '' },
  ];
  while (stack.length > 0) {
    const { node, parent, segment, keyStart } = stack.pop() as (typeof stack)[number];
    const range = { start: node.offset, end: node.offset + node.length };
    const at = positions.add(parent, segment, keyStart === undefined ? range : { ...range, keyStart });
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        if (seen.has(key)) {
          problems.push({
            code: 'duplicate-key',
            severity: 'error',
            message: `duplicate key "${key}" (the last one wins)`,
            offset: keyNode.offset,
            document: 0,
          });
        }
        seen.add(key);
        stack.push({ node: valueNode, parent: at, segment: key, keyStart: keyNode.offset });
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => {
        stack.push({ node: child, parent: at, segment: i });
      });
    }
  }
  positions.trim();
  return { documents: [{ index: 0, value: getNodeValue(root), positions, start: root.offset }], problems };
}
