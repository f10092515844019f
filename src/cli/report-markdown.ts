/**
 * The Markdown report of a pass: a pull request's body, `reconcile -o markdown` (for `$GITHUB_STEP_SUMMARY` or a
 * comment), and the source of `reconcile -o github`'s annotations (report-github.ts). Tables per stream tag (old →
 * new digest, created, source), per workload image (file, object, container, old → new), per value set by a marker
 * or a kustomization, and everything left alone with its reason. Each table is bounded (`maxRows`, then "and N
 * more"), and the whole text stays under `maxChars` (GitHub refuses a body over 65,536 characters).
 */
import type { PassResult } from './pipeline.js';
import type { DecisionRow, ImageRow, ProblemRow, ReportRows, TagRow } from './report-rows.js';
import { reportRows } from './report-rows.js';

export interface MarkdownOptions {
  /** Rows per table before "and N more" (default 50). */
  readonly maxRows?: number;
  /** The whole text (default 60,000 characters). */
  readonly maxChars?: number;
  /** Only what these files hold (a commit's files); problems are always all listed. */
  readonly files?: ReadonlySet<string>;
  /** A heading line (default none). */
  readonly heading?: string;
  /** Paragraphs placed before the tables (a notice to people). */
  readonly preface?: readonly string[];
  /** A paragraph after the tables. */
  readonly footer?: string;
}

/** A table cell: one line, pipes escaped, bounded. */
function cell(text: string | undefined, max = 120): string {
  if (text === undefined || text === '') return '';
  const one = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

const code = (text: string | undefined): string => (text === undefined || text === '' ? '—' : `\`${cell(text).replace(/`/g, "'")}\``);

/** `sha256:0123456789ab` for a digest, the reference for anything else. */
export function shortImage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.replace(/(sha256:[a-f0-9]{12})[a-f0-9]{52}\b/g, '$1');
}

const where = (file: string | undefined, line: number | undefined): string =>
  file === undefined ? '' : `\`${cell(file)}${line === undefined ? '' : `:${line}`}\``;

function table<T>(title: string, header: readonly string[], rows: readonly T[], row: (r: T) => readonly string[], max: number): string[] {
  if (rows.length === 0) return [];
  const out = [`### ${title}`, '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows.slice(0, max)) out.push(`| ${row(r).join(' | ')} |`);
  if (rows.length > max) out.push('', `…and ${rows.length - max} more.`);
  out.push('');
  return out;
}

const decisionRow = (d: DecisionRow): string[] => [code(d.tag), d.what, cell(d.detail)];

const tagRow = (t: TagRow): string[] => [
  cell(t.stream),
  code(t.tag),
  code(shortImage(t.old)),
  t.kind === 'import-failed' ? `import failed: ${cell(t.detail)}` : code(shortImage(t.new)),
  cell(t.created) || '—',
  t.kind === 'imported' || t.kind === 'import-failed'
    ? code(t.source)
    : `${cell(t.kind)}${t.source !== t.kind ? ` ${code(t.source)}` : ''}`,
];

const imageRow = (w: ImageRow): string[] => [
  where(w.file, w.line),
  cell(w.object),
  cell(w.container) || '—',
  `${code(shortImage(w.old))} → ${code(shortImage(w.new))}`,
  `${cell(w.via)} ${code(w.cause)}`,
];

const valueRow = (w: ImageRow): string[] => [
  where(w.file, w.line),
  code(w.object),
  `${code(shortImage(w.old))} → ${code(shortImage(w.new))}`,
  `${cell(w.via)} ${code(w.cause)}`,
];

const problemRow = (p: ProblemRow): string[] => [where(p.file, p.line) || '—', cell(p.what), code(p.code), cell(p.reason, 300)];

/** Counts for the first line: what changed and what was left alone. */
export function summaryLine(rows: ReportRows): string {
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const imported = rows.tags.filter((t) => t.kind !== 'import-failed').length;
  return `${n(imported, 'stream tag')} changed, ${n(rows.workloads.length, 'workload image')} and ${n(rows.values.length, 'value')} set, ${n(rows.problems.length, 'thing')} left alone or failed.`;
}

export function renderMarkdownRows(rows: ReportRows, options: MarkdownOptions = {}): string {
  const max = options.maxRows ?? 50;
  const out: string[] = [];
  if (options.heading) out.push(`## ${options.heading}`, '');
  for (const p of options.preface ?? []) out.push(p, '');
  out.push(summaryLine(rows), '');
  out.push(...table('Image stream tags', ['Stream', 'Tag', 'Old', 'New', 'Created', 'From'], rows.tags, tagRow, max));
  out.push(...table('Policies, holds and maturity', ['Stream tag', 'What', 'Detail'], rows.decisions, decisionRow, max));
  out.push(...table('Workloads', ['File', 'Object', 'Container', 'Image', 'Cause'], rows.workloads, imageRow, max));
  out.push(...table('Markers and kustomize images', ['File', 'Value', 'Image', 'Cause'], rows.values, valueRow, max));
  out.push(...table('Left alone', ['File', 'What', 'Code', 'Reason'], rows.problems, problemRow, max));
  if (options.footer) out.push(options.footer, '');
  let text = `${out.join('\n').trimEnd()}\n`;
  const limit = options.maxChars ?? 60_000;
  if (text.length > limit) {
    const cut = text.lastIndexOf('\n', limit - 200);
    text = `${text.slice(0, cut)}\n\n…and more: the report is cut at ${limit} characters; run \`imagestreams reconcile --dry-run\` for all of it.\n`;
  }
  return text;
}

export function renderMarkdown(result: PassResult, options: MarkdownOptions = {}): string {
  return renderMarkdownRows(reportRows(result, options.files), options);
}
