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
 * a diagnostic always lands on the closest thing the user wrote. The ranges are kept as three integers each in
 * one typed array (the daemon keeps every file's map between passes: an object per value was a third of it).
 */
export class PositionMap {
  private readonly index = new Map<string, number>();
  private ranges = new Int32Array(48);

  set(pointer: string, range: SourceRange): void {
    let i = this.index.get(pointer);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(pointer, i);
      if (i * 3 + 3 > this.ranges.length) {
        const grown = new Int32Array(this.ranges.length * 2);
        grown.set(this.ranges);
        this.ranges = grown;
      }
    }
    this.ranges[i * 3] = range.start;
    this.ranges[i * 3 + 1] = range.end;
    this.ranges[i * 3 + 2] = range.keyStart ?? -1;
  }

  get(pointer: string): SourceRange | undefined {
    const i = this.index.get(pointer);
    if (i === undefined) return undefined;
    const start = this.ranges[i * 3] as number;
    const end = this.ranges[i * 3 + 1] as number;
    const keyStart = this.ranges[i * 3 + 2] as number;
    return keyStart < 0 ? { start, end } : { start, end, keyStart };
  }

  /** Drop the spare room the map grew with (once it is complete). */
  trim(): void {
    if (this.ranges.length > this.index.size * 3) this.ranges = this.ranges.slice(0, this.index.size * 3);
  }

  /** The range of the pointer or of its nearest recorded ancestor. */
  nearest(pointer: string): SourceRange | undefined {
    let p = pointer;
    for (;;) {
      const r = this.get(p);
      if (r) return r;
      if (p === '') return undefined;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  get size(): number {
    return this.index.size;
  }
}
