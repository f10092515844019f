import { joinPointer } from '../reconcile/values.js';

/**
 * Offsets to 1-based line:column. Columns count UTF-16 code units, as editors and GitHub annotations do for
 * the characters a Kubernetes manifest holds in practice.
 */
export class LineIndex {
  /** Where each line starts, built on the first lookup (most files of a pass are never asked: nothing in them is wrong). */
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  /** Line and column (both 1-based) of a 0-based offset. */
  position(offset: number): { readonly line: number; readonly col: number } {
    const starts = (this.starts ??= lineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Where one value sits in its file: the value's own range and, for a mapping entry, where its key starts. */
export interface SourceRange {
  readonly start: number;
  readonly end: number;
  readonly keyStart?: number;
}

export { joinPointer, parsePointer, pointerSegment } from '../reconcile/values.js';

/** Each map's pointer index, built on its first lookup (a WeakMap: maps come back from the parse store as plain data). */
const indexes = new WeakMap<PositionMap, Map<string, number>>();

/**
 * Positions of every value in one document, keyed by JSON pointer. A pointer that has no entry of its own (a
 * value that came from an alias or a merge key, or a field that is missing) resolves to its nearest ancestor, so
 * a diagnostic always lands on the closest thing the user wrote.
 *
 * Kept compact, since the daemon keeps every file's map between passes and the parse store writes and reads them
 * all: each entry is its parent's entry and its own key (a pointer segment), so a map is three integer arrays and
 * one string whatever its size; the pointer index is built only when a lookup needs it (in a pass where nothing
 * changes and nothing is wrong, none does). Entries are added parent first (`add`); an entry added again for the
 * same pointer (a duplicate key) takes the place of the earlier one, as the last write wins.
 */
export class PositionMap {
  /** Per entry: start, end, key start (-1: none). */
  private ranges: Int32Array = new Int32Array(48);
  /** Per entry: the parent entry (-1: the root). */
  private parents: Int32Array = new Int32Array(16);
  /** Per entry: where its segment ends in `segments`. */
  private ends: Int32Array = new Int32Array(16);
  private segments = '';
  private pending: string[] | undefined = [];
  private count = 0;

  /** Add the entry `segment` under entry `parent` (-1 and '' for the document's root); returns the new entry. */
  add(parent: number, segment: string | number, range: SourceRange): number {
    const i = this.count++;
    if (i >= this.parents.length) {
      // At least 16 more: a trimmed or unpacked map with no entry has arrays of length 0.
      this.parents = grow(this.parents, Math.max(16, this.parents.length * 2));
      this.ends = grow(this.ends, Math.max(16, this.ends.length * 2));
    }
    if (i * 3 + 3 > this.ranges.length) this.ranges = grow(this.ranges, Math.max(48, this.ranges.length * 2));
    const text = typeof segment === 'number' ? String(segment) : segment;
    if (this.pending === undefined) {
      // Sealed (a lookup or trim happened): back to a list, and the index is stale.
      this.pending = segmentsOf(this.segments, this.ends, i);
      indexes.delete(this);
    }
    this.pending.push(text);
    this.parents[i] = parent;
    this.ends[i] = (i > 0 ? (this.ends[i - 1] as number) : 0) + text.length;
    this.ranges[i * 3] = range.start;
    this.ranges[i * 3 + 1] = range.end;
    this.ranges[i * 3 + 2] = range.keyStart ?? -1;
    return i;
  }

  get(pointer: string): SourceRange | undefined {
    const i = this.lookup().get(pointer);
    if (i === undefined) return undefined;
    const start = this.ranges[i * 3] as number;
    const end = this.ranges[i * 3 + 1] as number;
    const keyStart = this.ranges[i * 3 + 2] as number;
    return keyStart < 0 ? { start, end } : { start, end, keyStart };
  }

  /** Drop the spare room the map grew with and join its segments (once it is complete). */
  trim(): void {
    this.seal();
    if (this.ranges.length > this.count * 3) this.ranges = this.ranges.slice(0, this.count * 3);
    if (this.parents.length > this.count) {
      this.parents = this.parents.slice(0, this.count);
      this.ends = this.ends.slice(0, this.count);
    }
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

  /** Distinct pointers. */
  get size(): number {
    return this.lookup().size;
  }

  /**
   * Whether this is the shape the class writes (a map read back from the parse store is checked before use): arrays
   * of one length, each parent before its child, the segments' ends in order within the string.
   */
  static wellFormed(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const m = value as Record<string, unknown>;
    const { ranges, parents, ends, segments, count } = m;
    if (!(ranges instanceof Int32Array) || !(parents instanceof Int32Array) || !(ends instanceof Int32Array)) return false;
    if (typeof segments !== 'string' || typeof count !== 'number' || !Number.isInteger(count) || count < 0) return false;
    if (m.pending !== undefined || parents.length < count || ends.length < count || ranges.length < count * 3) return false;
    let last = 0;
    for (let i = 0; i < count; i++) {
      const parent = parents[i] as number;
      const end = ends[i] as number;
      if (parent < -1 || parent >= i || (i > 0 && parent === -1) || end < last || end > segments.length) return false;
      last = end;
    }
    return true;
  }

  /**
   * Every map's arrays in one Int32Array and its segments in one string (the parse store writes all of a
   * repository's maps so: one buffer to read back instead of three per document), and where each map went.
   */
  static pack(maps: readonly PositionMap[]): { ints: Int32Array; segments: string; places: Array<[number, number, number]> } {
    let total = 0;
    for (const m of maps) total += m.count * 5;
    const ints = new Int32Array(total);
    const parts: string[] = [];
    const places: Array<[number, number, number]> = [];
    let at = 0;
    let segAt = 0;
    for (const m of maps) {
      m.seal();
      const c = m.count;
      ints.set(m.ranges.subarray(0, c * 3), at);
      ints.set(m.parents.subarray(0, c), at + c * 3);
      ints.set(m.ends.subarray(0, c), at + c * 4);
      const used = c > 0 ? (m.ends[c - 1] as number) : 0;
      parts.push(used === m.segments.length ? m.segments : m.segments.slice(0, used));
      places.push([at, c, segAt]);
      at += c * 5;
      segAt += used;
    }
    return { ints, segments: parts.join(''), places };
  }

  /**
   * A map `pack` wrote, as views into the packed arrays (nothing copied); undefined unless the place lies inside
   * them and the map is well formed.
   */
  static unpack(ints: Int32Array, at: unknown, count: unknown, segments: string, segAt: unknown): PositionMap | undefined {
    if (!Number.isInteger(at) || !Number.isInteger(count) || !Number.isInteger(segAt)) return undefined;
    const a = at as number;
    const c = count as number;
    const s = segAt as number;
    if (a < 0 || c < 0 || s < 0 || a + c * 5 > ints.length || s > segments.length) return undefined;
    const ends = ints.subarray(a + c * 4, a + c * 5);
    const used = c > 0 ? (ends[c - 1] as number) : 0;
    if (used < 0 || s + used > segments.length) return undefined;
    const m = Object.create(PositionMap.prototype) as PositionMap;
    m.ranges = ints.subarray(a, a + c * 3);
    m.parents = ints.subarray(a + c * 3, a + c * 4);
    m.ends = ends;
    m.segments = segments.slice(s, s + used);
    m.pending = undefined;
    m.count = c;
    return PositionMap.wellFormed(m) ? m : undefined;
  }

  private seal(): void {
    if (this.pending === undefined) return;
    this.segments = this.pending.join('');
    this.pending = undefined;
  }

  private lookup(): Map<string, number> {
    let index = indexes.get(this);
    if (index) return index;
    this.seal();
    index = new Map();
    const pointers: string[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const parent = this.parents[i] as number;
      const from = i > 0 ? (this.ends[i - 1] as number) : 0;
      const pointer = parent < 0 ? '' : joinPointer(pointers[parent] as string, this.segments.slice(from, this.ends[i]));
      pointers[i] = pointer;
      index.set(pointer, i);
    }
    indexes.set(this, index);
    return index;
  }
}

function grow(a: Int32Array, length: number): Int32Array {
  const grown = new Int32Array(length);
  grown.set(a);
  return grown;
}

function segmentsOf(joined: string, ends: Int32Array, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(joined.slice(i > 0 ? ends[i - 1] : 0, ends[i]));
  return out;
}
