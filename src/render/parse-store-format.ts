/**
 * The parse store's file (src/render/parse-store.ts): written with V8's serializer, laid out so that reading it
 * back builds as few objects as it can. A repository's texts are one string (each file's text a slice of it), the
 * documents' values one JSON text (JSON.parse builds a tree about twice as fast as V8's deserializer, and one
 * large string is never copied by the young generation's collector), and the position maps one Int32Array plus one
 * string (views, not three buffers per document).
 *
 * Values JSON would not give back exactly (aliases, -0, NaN, infinities, the JSON loader's prototype-less objects)
 * stay in their documents in V8's form. Nothing read is trusted beyond its shape: `decodeStore` checks every part
 * and answers undefined for anything this module did not write, so the whole store is parsed again.
 */
import v8 from 'node:v8';
import type { Diagnostic } from './diagnostic.js';
import type { LoadResult } from './load.js';
import { PositionMap } from './positions.js';
import type { ParsedFile } from './source.js';

/** What a file's load produced, without what is cheap to make again (the line index). */
export type Entry =
  | {
      readonly ok: true;
      readonly text: string;
      readonly documents: ParsedFile['documents'];
      readonly problems: ParsedFile['problems'];
      readonly markers: ParsedFile['markers'];
    }
  | { readonly ok: false; readonly diagnostic: Extract<LoadResult, { ok: false }>['diagnostic'] };

/**
 * A file as it was last read through the store: its entry, the limits it was read under and the stat it was read
 * with. A later stat equal to this one (and old enough, see ParseStore.recall) stands for the same text.
 */
export interface FileRecord {
  readonly key: string;
  readonly limits: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** When the store took the read (its clock). */
  readonly readAtMs: number;
}

/** A repository's last validation, by a key over every file's entry, the load's own diagnostics and the options. */
export interface StoredValidation {
  readonly key: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface StoreContent {
  readonly entries: Map<string, Entry>;
  readonly files: Map<string, FileRecord>;
  readonly validation?: StoredValidation | undefined;
}

const format = 'imagestreams-parse-store';
const version = 2;

type WrittenDocument = Record<string, unknown> & { value: unknown; positions: [number, number, number] };
type WrittenEntry =
  | { key: string; ok: false; diagnostic: unknown }
  | { key: string; ok: true; text: [number, number]; json: boolean; documents: WrittenDocument[]; problems: unknown; markers: unknown };

interface WrittenStore {
  readonly format: typeof format;
  readonly version: typeof version;
  readonly fingerprint: string;
  readonly entries: WrittenEntry[];
  readonly files: Array<[string, FileRecord]>;
  readonly texts: string;
  /** JSON: for each entry written with `json`, in order, its documents' values. */
  readonly values: string;
  readonly ints: Int32Array;
  readonly segments: string;
  readonly validation?: StoredValidation;
}

export function encodeStore(fingerprint: string, content: StoreContent): Buffer {
  const texts: string[] = [];
  let textAt = 0;
  const values: unknown[][] = [];
  const maps: PositionMap[] = [];
  const written: WrittenEntry[] = [];
  for (const [key, entry] of content.entries) {
    if (!entry.ok) {
      written.push({ key, ok: false, diagnostic: entry.diagnostic });
      continue;
    }
    const json = entry.documents.every((d) => jsonExact(d.value, new Set()));
    if (json) values.push(entry.documents.map((d) => d.value));
    const documents = entry.documents.map((d) => {
      maps.push(d.positions);
      return { ...d, value: json ? null : d.value, positions: [0, 0, 0] as [number, number, number] };
    });
    written.push({ key, ok: true, text: [textAt, entry.text.length], json, documents, problems: entry.problems, markers: entry.markers });
    texts.push(entry.text);
    textAt += entry.text.length;
  }
  const packed = PositionMap.pack(maps);
  let m = 0;
  for (const e of written) if (e.ok) for (const d of e.documents) d.positions = packed.places[m++] as [number, number, number];
  const file: WrittenStore = {
    format,
    version,
    fingerprint,
    entries: written,
    files: [...content.files],
    texts: texts.join(''),
    values: JSON.stringify(values),
    ints: packed.ints,
    segments: packed.segments,
    ...(content.validation ? { validation: content.validation } : {}),
  };
  return v8.serialize(file);
}

/** The store's content, or undefined when the bytes are not a store this module wrote for this fingerprint. */
export function decodeStore(bytes: Buffer, fingerprint: string): StoreContent | undefined {
  const w = v8.deserialize(bytes) as Partial<Record<keyof WrittenStore, unknown>>;
  if (typeof w !== 'object' || w === null || w.format !== format || w.version !== version || w.fingerprint !== fingerprint)
    return undefined;
  const { texts, segments, ints } = w;
  if (typeof texts !== 'string' || typeof segments !== 'string' || !(ints instanceof Int32Array) || typeof w.values !== 'string')
    return undefined;
  if (!Array.isArray(w.entries) || !Array.isArray(w.files)) return undefined;
  if (w.validation !== undefined && !isStoredValidation(w.validation)) return undefined;
  const values = JSON.parse(w.values) as unknown;
  if (!Array.isArray(values)) return undefined;
  let nextValues = 0;
  const entries = new Map<string, Entry>();
  for (const e of w.entries as unknown[]) {
    if (typeof e !== 'object' || e === null) return undefined;
    const r = e as Record<string, unknown>;
    if (typeof r.key !== 'string') return undefined;
    if (r.ok === false) {
      if (!isDiagnostic(r.diagnostic)) return undefined;
      entries.set(r.key, { ok: false, diagnostic: r.diagnostic as Diagnostic });
      continue;
    }
    if (r.ok !== true || !Array.isArray(r.documents) || !Array.isArray(r.problems) || !Array.isArray(r.markers)) return undefined;
    const text = sliceOf(texts, r.text);
    if (text === undefined || !r.problems.every((p) => isProblem(p, text.length)) || !r.markers.every(isMarker)) return undefined;
    const docValues = r.json === true ? (values[nextValues++] as unknown) : undefined;
    if (r.json === true && (!Array.isArray(docValues) || docValues.length !== r.documents.length)) return undefined;
    for (const [i, d] of (r.documents as unknown[]).entries()) {
      if (typeof d !== 'object' || d === null) return undefined;
      const doc = d as Record<string, unknown>;
      if (!isOffset(doc.index, Number.MAX_SAFE_INTEGER) || !isOffset(doc.start, text.length)) return undefined;
      if (doc.style !== undefined && !isStyle(doc.style)) return undefined;
      const place = doc.positions;
      if (!Array.isArray(place) || place.length !== 3) return undefined;
      const map = PositionMap.unpack(ints, place[0], place[1], segments, place[2]);
      if (!map) return undefined;
      doc.positions = map;
      if (docValues) doc.value = (docValues as unknown[])[i];
    }
    entries.set(r.key, {
      ok: true,
      text,
      documents: r.documents as ParsedFile['documents'],
      problems: r.problems as ParsedFile['problems'],
      markers: r.markers as ParsedFile['markers'],
    });
  }
  if (nextValues !== values.length) return undefined;
  const files = new Map<string, FileRecord>();
  for (const f of w.files as unknown[]) {
    if (!Array.isArray(f) || typeof f[0] !== 'string' || !isFileRecord(f[1]) || !entries.has(f[1].key)) return undefined;
    files.set(f[0], f[1]);
  }
  return { entries, files, validation: w.validation as StoredValidation | undefined };
}

function sliceOf(texts: string, place: unknown): string | undefined {
  if (!Array.isArray(place) || place.length !== 2) return undefined;
  const [at, length] = place as unknown[];
  if (!Number.isInteger(at) || !Number.isInteger(length)) return undefined;
  const a = at as number;
  const l = length as number;
  return a >= 0 && l >= 0 && a + l <= texts.length ? texts.slice(a, a + l) : undefined;
}

const isOffset = (v: unknown, max: number): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;

function isProblem(p: unknown, textLength: number): boolean {
  if (typeof p !== 'object' || p === null) return false;
  const r = p as Record<string, unknown>;
  return (
    typeof r.code === 'string' &&
    (r.severity === 'error' || r.severity === 'warning') &&
    typeof r.message === 'string' &&
    isOffset(r.offset, textLength) &&
    isOffset(r.document, Number.MAX_SAFE_INTEGER)
  );
}

function isMarker(m: unknown): boolean {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return (
    typeof r.file === 'string' &&
    isOffset(r.document, Number.MAX_SAFE_INTEGER) &&
    typeof r.pointer === 'string' &&
    isOffset(r.line, Number.MAX_SAFE_INTEGER) &&
    typeof r.streamTag === 'string' &&
    typeof r.part === 'string' &&
    'current' in r
  );
}

function isStyle(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  return isOffset(r.step, Number.MAX_SAFE_INTEGER) && isOffset(r.seqIndent, Number.MAX_SAFE_INTEGER);
}

function isFileRecord(v: unknown): v is FileRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.key === 'string' &&
    typeof r.limits === 'string' &&
    ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs', 'readAtMs'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]))
  );
}

function isStoredValidation(v: unknown): v is StoredValidation {
  if (typeof v !== 'object' || v === null) return false;
  const { key, diagnostics } = v as Record<string, unknown>;
  return typeof key === 'string' && Array.isArray(diagnostics) && diagnostics.every(isDiagnostic);
}

function isDiagnostic(d: unknown): boolean {
  if (typeof d !== 'object' || d === null) return false;
  const r = d as Record<string, unknown>;
  return (
    typeof r.file === 'string' &&
    Number.isInteger(r.line) &&
    Number.isInteger(r.col) &&
    Number.isInteger(r.document) &&
    typeof r.pointer === 'string' &&
    (r.severity === 'error' || r.severity === 'warning') &&
    typeof r.code === 'string' &&
    typeof r.message === 'string'
  );
}

/**
 * Whether JSON.parse(JSON.stringify(value)) gives the same tree: plain objects and arrays, each reached once (an
 * alias's shared value would come back as copies, possibly very many), strings, booleans, null and finite numbers
 * other than -0.
 */
function jsonExact(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !jsonExact(value[i], seen)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key of Reflect.ownKeys(value)) {
        const d = Object.getOwnPropertyDescriptor(value, key);
        if (typeof key !== 'string' || !d?.enumerable || !('value' in d) || !jsonExact(d.value, seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
