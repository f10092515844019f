import type { Diagnostic } from '../render/diagnostic.js';

export interface ValidationSummary {
  readonly files: number;
  readonly streams: number;
  readonly workloads: number;
}

function counts(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `file:line:col: severity CODE message`, one a line, then a one-line summary. */
export function formatText(diagnostics: readonly Diagnostic[], summary: ValidationSummary): string {
  const lines = diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity} ${d.code} ${d.message}`);
  const { errors, warnings } = counts(diagnostics);
  lines.push(
    `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(summary.files, 'file')} (${plural(summary.streams, 'image stream')}, ${plural(summary.workloads, 'workload')})`,
  );
  return `${lines.join('\n')}\n`;
}

/** GitHub Actions workflow commands: data and property escaping as the runner expects them. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(diagnostics: readonly Diagnostic[]): string {
  const lines = diagnostics.map(
    (d) =>
      `::${d.severity} file=${escapeProperty(d.file)},line=${d.line},col=${d.col},title=${escapeProperty(d.code)}::${escapeData(d.message)}`,
  );
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function formatJson(diagnostics: readonly Diagnostic[]): string {
  const out = diagnostics.map((d) => ({
    file: d.file,
    line: d.line,
    col: d.col,
    document: d.document,
    pointer: d.pointer,
    severity: d.severity,
    code: d.code,
    message: d.message,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}
