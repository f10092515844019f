/**
 * `reconcile -o github`: GitHub Actions workflow commands from the same rows as the Markdown report. A notice on
 * every changed line (stream tag, workload image, marker, kustomize entry), an error or a warning on every file with
 * a problem (invalid, left alone, import failed, not rendered), each kind bounded (`maxRows`, then one notice saying
 * how many more), then the Markdown report itself is for `$GITHUB_STEP_SUMMARY` (`-o markdown`).
 */
import { escapeData, escapeProperty } from './format-diagnostics.js';
import type { PassResult } from './pipeline.js';
import { shortImage } from './report-markdown.js';
import type { ReportRows } from './report-rows.js';
import { reportRows } from './report-rows.js';

function command(
  kind: 'notice' | 'warning' | 'error',
  file: string | undefined,
  line: number | undefined,
  title: string,
  text: string,
): string {
  const props = [
    ...(file === undefined ? [] : [`file=${escapeProperty(file)}`]),
    ...(line === undefined ? [] : [`line=${line}`]),
    `title=${escapeProperty(title)}`,
  ];
  return `::${kind} ${props.join(',')}::${escapeData(text)}`;
}

export function renderGithubRows(rows: ReportRows, maxRows = 50): string {
  const out: string[] = [];
  const bounded = <T>(list: readonly T[], what: string, each: (t: T) => string): void => {
    for (const t of list.slice(0, maxRows)) out.push(each(t));
    if (list.length > maxRows)
      out.push(command('notice', undefined, undefined, 'imagestreams', `…and ${list.length - maxRows} more ${what}`));
  };
  bounded(rows.tags, 'stream tags', (t) =>
    command(
      t.kind === 'import-failed' ? 'warning' : 'notice',
      t.file,
      t.line,
      `${t.stream}:${t.tag}`,
      t.kind === 'import-failed'
        ? `import failed: ${t.detail ?? ''}`
        : `${shortImage(t.old) ?? '(none)'} -> ${shortImage(t.new) ?? '(none)'} (${t.kind}${t.source !== t.kind ? ` ${t.source}` : ''})`,
    ),
  );
  bounded(rows.decisions, 'policy choices, holds and pending images', (d) =>
    command(d.what === 'hold' ? 'warning' : 'notice', d.file || undefined, d.line, `${d.tag} ${d.what}`, d.detail),
  );
  bounded([...rows.workloads, ...rows.values], 'images', (w) =>
    command(
      'notice',
      w.file,
      w.line,
      `${w.object}${w.container ? ` ${w.container}` : ''}`,
      `${shortImage(w.old) || '(none)'} -> ${shortImage(w.new)} (${w.via} ${w.cause})`,
    ),
  );
  bounded(rows.problems, 'problems', (p) => command(p.severity, p.file, p.line, p.code, `${p.what}: ${p.reason}`));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

export function renderGithub(result: PassResult, maxRows = 50): string {
  return renderGithubRows(reportRows(result), maxRows);
}
