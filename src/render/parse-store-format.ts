/**
 * The parse store's file (src/render/parse-store.ts), laid out so that writing it holds little beyond what the store
 * already holds, and reading it back builds as few objects as it can. Sections first, each written in pieces as it
 * is made (one V8-serialized buffer of the whole store held about 40 MiB more than the store itself while the daemon
 * saved 2,000 files):
 *
 * - texts: every file's text, UTF-8, one after another (each file's text is decoded on its own);
 * - values: one JSON array of each entry's documents' values, for the entries whose values JSON gives back exactly
 *   (JSON.parse builds a tree about twice as fast as V8's deserializer);
 * - segments: the position maps' key segments, UTF-16 (any string, exactly);
 * - ints: the position maps' integer arrays, packed (PositionMap.pack), 4-byte aligned;
 * - then a header (V8-serialized: the entries without their texts, values and maps, the file records, where each
 *   section lies) and a 16-byte footer: the header's offset and length and a magic number.
 *
 * Values JSON would not give back exactly (aliases, -0, NaN, infinities, the JSON loader's prototype-less objects)
 * stay in their documents in the header, in V8's form. Nothing read is trusted beyond its shape: `decodeStore`
 * checks every part and answers undefined for anything this module did not write, so the whole store is parsed
 * again.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import v8 from 'node:v8';
import type { Diagnostic } from './diagnostic.js';
import type { LoadResult } from './load.js';
import type { FileStamp } from './file-stamp.js';
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
export interface FileRecord extends FileStamp {
  readonly key: string;
  readonly limits: string;
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
const version = 3;
const magic = 0x33505349; // "ISP3"

type WrittenDocument = Record<string, unknown> & { value: unknown; positions: [number, number, number] };
type WrittenEntry =
  | { key: string; ok: false; diagnostic: unknown }
  | { key: string; ok: true; text: [number, number]; json: boolean; documents: WrittenDocument[]; problems: unknown; markers: unknown };

/** Where a section lies in the file: byte offset and length. */
type Section = [number, number];

interface Header {
  readonly format: typeof format;
  readonly version: typeof version;
  readonly fingerprint: string;
  readonly endianness: string;
  readonly entries: WrittenEntry[];
  readonly files: Array<[string, FileRecord]>;
  readonly sections: { readonly texts: Section; readonly values: Section; readonly segments: Section; readonly ints: Section };
  readonly validation?: StoredValidation;
}

/** Appends to a file in pieces of about 256 KiB, counting bytes. */
class Appender {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  offset = 0;
  constructor(private readonly fh: FileHandle) {}

  async add(piece: string | Buffer, encoding: BufferEncoding = 'utf8'): Promise<void> {
    const bytes = typeof piece === 'string' ? Buffer.from(piece, encoding) : piece;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.offset += bytes.length;
    if (this.pendingBytes >= 256 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // One write may take less than asked (a signal, a full disk): the rest goes in the next.
    for (let done = 0; done < chunk.length; ) done += (await this.fh.write(chunk, done, chunk.length - done)).bytesWritten;
  }
}

/**
 * Write the store to `file` (a new file: the caller renames it into place). What is written is the content as it
 * is at the call (the daemon's next load may change the maps while the pieces are written).
 */
export async function writeStore(file: string, fingerprint: string, content: StoreContent): Promise<void> {
  const all = [...content.entries];
  const records = [...content.files];
  const { validation } = content;
  const fh = await open(file, 'w', 0o600);
  try {
    const out = new Appender(fh);
    const written: WrittenEntry[] = [];
    const jsonValues: Array<Extract<Entry, { ok: true }>> = [];
    const maps: PositionMap[] = [];
    const kept = new Set<string>();
    // texts
    for (const [key, entry] of all) {
      if (!entry.ok) {
        written.push({ key, ok: false, diagnostic: entry.diagnostic });
        kept.add(key);
        continue;
      }
      // UTF-8 gives back any text read from a file; a string with a lone surrogate (none is) is not stored.
      if (!(entry.text as unknown as { isWellFormed(): boolean }).isWellFormed()) continue;
      const json = entry.documents.every((d) => jsonExact(d.value, new Set()));
      if (json) jsonValues.push(entry);
      const documents = entry.documents.map((d) => {
        maps.push(d.positions);
        return { ...d, value: json ? null : d.value, positions: [0, 0, 0] as [number, number, number] };
      });
      const at = out.offset;
      await out.add(entry.text);
      written.push({ key, ok: true, text: [at, out.offset - at], json, documents, problems: entry.problems, markers: entry.markers });
      kept.add(key);
    }
    const texts: Section = [0, out.offset];
    // values: the JSON entries' documents' values, in entry order
    const valuesAt = out.offset;
    await out.add('[');
    let first = true;
    for (const entry of jsonValues) {
      await out.add(`${first ? '' : ','}${JSON.stringify(entry.documents.map((d) => d.value))}`);
      first = false;
    }
    await out.add(']');
    const values: Section = [valuesAt, out.offset - valuesAt];
    const packed = PositionMap.pack(maps);
    let m = 0;
    for (const e of written) if (e.ok) for (const d of e.documents) d.positions = packed.places[m++] as [number, number, number];
    const segmentsAt = out.offset;
    await out.add(packed.segments, 'utf16le');
    const segments: Section = [segmentsAt, out.offset - segmentsAt];
    if (out.offset % 4 !== 0) await out.add(Buffer.alloc(4 - (out.offset % 4)));
    const intsAt = out.offset;
    await out.add(Buffer.from(packed.ints.buffer, packed.ints.byteOffset, packed.ints.byteLength));
    const ints: Section = [intsAt, out.offset - intsAt];
    const header: Header = {
      format,
      version,
      fingerprint,
      endianness: endianness(),
      entries: written,
      files: records.filter(([, r]) => kept.has(r.key)),
      sections: { texts, values, segments, ints },
      ...(validation ? { validation } : {}),
    };
    const headerAt = out.offset;
    const headerBytes = v8.serialize(header);
    await out.add(headerBytes);
    const footer = Buffer.alloc(16);
    footer.writeDoubleLE(headerAt, 0);
    footer.writeUInt32LE(headerBytes.length, 8);
    footer.writeUInt32LE(magic, 12);
    await out.add(footer);
    await out.flush();
  } finally {
    await fh.close();
  }
}

/** The store's content, or undefined when the bytes are not a store this module wrote for this fingerprint. */
export function decodeStore(bytes: Buffer, fingerprint: string): StoreContent | undefined {
  if (bytes.length < 16 || bytes.readUInt32LE(bytes.length - 4) !== magic) return undefined;
  const headerAt = bytes.readDoubleLE(bytes.length - 16);
  const headerLength = bytes.readUInt32LE(bytes.length - 8);
  if (!within([headerAt, headerLength], bytes.length - 16)) return undefined;
  const w = v8.deserialize(bytes.subarray(headerAt, headerAt + headerLength)) as Partial<Record<keyof Header, unknown>>;
  if (typeof w !== 'object' || w === null || w.format !== format || w.version !== version || w.fingerprint !== fingerprint)
    return undefined;
  if (w.endianness !== endianness() || !Array.isArray(w.entries) || !Array.isArray(w.files)) return undefined;
  if (w.validation !== undefined && !isStoredValidation(w.validation)) return undefined;
  const sections = w.sections as Partial<Record<keyof Header['sections'], unknown>> | undefined;
  const [texts, valuesAt, segmentsAt, intsAt] = [sections?.texts, sections?.values, sections?.segments, sections?.ints];
  if (![texts, valuesAt, segmentsAt, intsAt].every((x) => within(x, headerAt))) return undefined;
  const [tAt, tLength] = texts as Section;
  const [iAt, iLength] = intsAt as Section;
  const [sAt, sLength] = segmentsAt as Section;
  if (iAt % 4 !== 0 || iLength % 4 !== 0 || sLength % 2 !== 0) return undefined;
  const ints = new Int32Array(iLength / 4);
  new Uint8Array(ints.buffer).set(bytes.subarray(iAt, iAt + iLength));
  const segments = bytes.toString('utf16le', sAt, sAt + sLength);
  const values = JSON.parse(
    bytes.toString('utf8', (valuesAt as Section)[0], (valuesAt as Section)[0] + (valuesAt as Section)[1]),
  ) as unknown;
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
    if (!within(r.text, tLength)) return undefined;
    const [at, length] = r.text as Section;
    const text = bytes.toString('utf8', tAt + at, tAt + at + length);
    if (!r.problems.every((p) => isProblem(p, text.length)) || !r.markers.every(isMarker)) return undefined;
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

/** A [offset, length] pair of integers lying within `size`. */
function within(place: unknown, size: number): boolean {
  if (!Array.isArray(place) || place.length !== 2) return false;
  const [at, length] = place as unknown[];
  return (
    Number.isInteger(at) &&
    Number.isInteger(length) &&
    (at as number) >= 0 &&
    (length as number) >= 0 &&
    (at as number) + (length as number) <= size
  );
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
