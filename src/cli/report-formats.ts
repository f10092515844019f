/** `reconcile -o markdown` and `-o github`: the pull-request body's renderer and its annotations, for CI. */
import type { PassResult } from './pipeline.js';
import type { reportFormats } from './publish-options.js';
import { renderGithub } from './report-github.js';
import { renderMarkdown } from './report-markdown.js';

export type ReportFormat = (typeof reportFormats)[number];

/** `mode` says whether the changes were made or would be (`changed`, `would change`, ...). */
export function reportIn(format: ReportFormat, result: PassResult, mode: string): string {
  if (format === 'github') return renderGithub(result);
  return renderMarkdown(result, {
    heading: `imagestreams reconcile: ${result.changes.length} file${result.changes.length === 1 ? '' : 's'} ${mode}`,
  });
}
