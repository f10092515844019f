/**
 * Helm (Go template) files are not YAML until rendered: `{{ .Values.x }}` outside quotes reads as a flow mapping, or
 * not at all. Such files are not read as manifests (they would be counted as workloads, or fail with YAML errors
 * that are not the user's). `{{ }}` inside a quoted or block scalar, or in a comment, is ordinary text.
 */
import { isScalar, parseAllDocuments, visit } from 'yaml';
import { yamlOptions } from './yaml-source.js';

/** Where the first `{{` outside quotes, block scalars and comments is; undefined when there is none. */
export function goTemplateAction(text: string): number | undefined {
  if (!text.includes('{{')) return undefined;
  const quoted: Array<readonly [number, number]> = [];
  const docs = parseAllDocuments(text, { ...yamlOptions, logLevel: 'silent' });
  for (const doc of Array.isArray(docs) ? docs : []) {
    visit(doc, {
      Scalar(_, node) {
        if (isScalar(node) && node.type !== 'PLAIN' && node.range) quoted.push([node.range[0], node.range[1]]);
      },
    });
  }
  let from = 0;
  for (;;) {
    const at = text.indexOf('{{', from);
    if (at === -1) return undefined;
    from = at + 2;
    if (quoted.some(([s, e]) => at >= s && at < e)) continue;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    if (/(^|\s)#/.test(text.slice(lineStart, at))) continue; // in a comment
    return at;
  }
}

/** Is the file one of a Helm chart's templates (under `templates/` next to a `Chart.yaml`)? `exists` checks a path. */
export async function inChartTemplates(relative: string, exists: (relativePath: string) => Promise<boolean>): Promise<boolean> {
  const parts = relative.split('/');
  for (let i = parts.length - 2; i >= 0; i--) {
    if (parts[i] !== 'templates') continue;
    if (await exists([...parts.slice(0, i), 'Chart.yaml'].join('/'))) return true;
  }
  return false;
}
