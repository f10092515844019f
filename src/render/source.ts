import type { DiagnosticCode, Severity } from '../reconcile/codes.js';
import type { MarkerSite } from '../reconcile/markers.js';
import type { LineIndex, PositionMap } from './positions.js';
import type { BlockStyle } from './yaml-style.js';

export type SourceFormat = 'yaml' | 'json';

/** One YAML document (or a whole JSON file) as a plain value with the position of every value in it. */
export interface SourceDocument {
  readonly index: number;
  readonly value: unknown;
  readonly positions: PositionMap;
  /** Where the document starts in the file (for diagnostics about the document as a whole). */
  readonly start: number;
  /** YAML: the document's indentation habits, which new lines follow (the renderer's, kept from this parse). */
  readonly style?: BlockStyle;
}

/** A problem found while reading or parsing a file, at an offset in the file's text. */
export interface ParseProblem {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly offset: number;
  readonly document: number;
}

export interface ParsedText {
  readonly documents: readonly SourceDocument[];
  readonly problems: readonly ParseProblem[];
}

export interface ParsedFile extends ParsedText {
  readonly path: string;
  readonly format: SourceFormat;
  readonly text: string;
  readonly lines: LineIndex;
  /** The setter markers in the file (YAML only; see src/render/markers.ts). */
  readonly markers: readonly MarkerSite[];
}
