import type { DiagnosticCode, Severity } from '../reconcile/codes.js';

/** A problem found in a file, placed at a line and column. */
export interface Diagnostic {
  /** Repository-relative path with forward slashes (or the path as given on the command line). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Index of the YAML document in a multi-document file (0 for JSON and single documents). */
  readonly document: number;
  /** JSON pointer inside the document ('' when the problem is about the file or the document itself). */
  readonly pointer: string;
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** Sort by file, then position, then code: the order users read them in and the one tests can rely on. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (
    a.line - b.line ||
    a.col - b.col ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}
