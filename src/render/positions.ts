/**
 * Offsets to 1-based line:column. Columns count UTF-16 code units, as editors and GitHub annotations do for
 * the characters a Kubernetes manifest holds in practice.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10 /* \n */) this.starts.push(i + 1);
    }
  }

  /** Line and column (both 1-based) of a 0-based offset. */
  position(offset: number): { readonly line: number; readonly col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Where one value sits in its file: the value's own range and, for a mapping entry, where its key starts. */
export interface SourceRange {
  readonly start: number;
  readonly end: number;
  readonly keyStart?: number;
}

export { joinPointer, parsePointer, pointerSegment } from '../reconcile/values.js';

/**
 * Positions of every value in one document, keyed by JSON pointer. A pointer that has no entry of its own (a
 * value that came from an alias or a merge key, or a field that is missing) resolves to its nearest ancestor, so
 * a diagnostic always lands on the closest thing the user wrote.
 */
export class PositionMap {
  private readonly ranges = new Map<string, SourceRange>();

  set(pointer: string, range: SourceRange): void {
    this.ranges.set(pointer, range);
  }

  get(pointer: string): SourceRange | undefined {
    return this.ranges.get(pointer);
  }

  /** The range of the pointer or of its nearest recorded ancestor. */
  nearest(pointer: string): SourceRange | undefined {
    let p = pointer;
    for (;;) {
      const r = this.ranges.get(p);
      if (r) return r;
      if (p === '') return undefined;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  get size(): number {
    return this.ranges.size;
  }
}
