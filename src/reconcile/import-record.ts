/**
 * Generation bookkeeping without an API server (semantics.md §5, §13.3). Each stream records, per tag, a short hash
 * of the import-relevant part of its spec (§5.3: effective from namespace, from name, reference, importMode) as it
 * was when imagestreams last imported or derived that tag. Comparing the current spec with the record tells which
 * tags a user changed, whatever the Git history looks like (shallow clones, uncommitted trees, PR checkouts). The
 * record is one annotation, so files stay valid for `oc apply`.
 */
import { BoundedMemo } from './memo.js';
import type { TagReference } from './model.js';

export const importRecordAnnotation = 'imagestreams.dev/import-spec';

const fnvOffset = 0x811c9dc5;

/** FNV-1a over a string's UTF-16 code units, from hash `h`. */
function fnv(h: number, text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * FNV-1a over `"text"` as JSON writes it, from hash `h`; -1 when JSON would escape a character of it (a quote, a
 * backslash, a control character, a surrogate): then only JSON.stringify itself gives the same text.
 */
function fnvJsonString(h: number, text: string): number {
  h = Math.imul(h ^ 0x22, 0x01000193) >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return -1;
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
  }
  return Math.imul(h ^ 0x22, 0x01000193) >>> 0;
}

function hex8(h: number): string {
  const s = h.toString(16);
  return s.length === 8 ? s : s.padStart(8, '0');
}

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, and pure (no node:crypto in the core). */
export function shortHash(text: string): string {
  return hex8(fnv(fnvOffset, text));
}

/**
 * The hash of what makes a tag "changed" (§5.3). Kind, referencePolicy, insecure and scheduled are left out.
 * It is shortHash of `JSON.stringify([namespace, name, reference, importMode])`, the text the first records were made
 * from; for plain strings and a boolean the hash is taken as that text is written, without building it.
 */
export function tagSpecHash(tag: TagReference, streamNamespace: string): string {
  const from = tag.from;
  const namespace: unknown = from?.namespace || streamNamespace;
  const name: unknown = from?.name ?? '';
  const reference: unknown = tag.reference ?? false;
  const mode: unknown = tag.importPolicy?.importMode ?? '';
  if (typeof namespace === 'string' && typeof name === 'string' && typeof reference === 'boolean' && typeof mode === 'string') {
    let h = fnvJsonString(fnv(fnvOffset, '['), namespace);
    if (h !== -1) h = fnvJsonString(fnv(h, ','), name);
    if (h !== -1) h = fnvJsonString(fnv(h, reference ? ',true,' : ',false,'), mode);
    if (h !== -1) return hex8(fnv(h, ']'));
  }
  return shortHash(JSON.stringify([namespace, name, reference, mode]));
}

/**
 * tagSpecHash once per spec tag of a pass: due asks for it, planning asks again for every tag it records. Keyed on the
 * tag object (spec tags are read-only while a pass plans) and checked against the namespace it was hashed for.
 */
export class SpecHashes {
  // A Map, not a WeakMap: a set lives for one pass, and a WeakMap's entries cost several times more to make.
  private readonly known = new Map<TagReference, { readonly namespace: string; readonly hash: string }>();

  of(tag: TagReference, streamNamespace: string): string {
    const seen = this.known.get(tag);
    if (seen !== undefined && seen.namespace === streamNamespace) return seen.hash;
    const hash = tagSpecHash(tag, streamNamespace);
    this.known.set(tag, { namespace: streamNamespace, hash });
    return hash;
  }
}

/** Tag names are not validated by OpenShift (§1.9): escape the record's own separators. */
const escapeTag = (tag: string): string => tag.replace(/[%,=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const unescapeTag = (text: string): string => text.replace(/%(25|2C|3D)/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * The record in a stream's annotations, `<tag>=<hash>,<tag>=<hash>` (plain in YAML, readable in a diff).
 * Entries that do not read count as no record for that tag (it looks changed and is imported again).
 */
export function readImportRecord(annotations: unknown): Map<string, string> {
  if (typeof annotations !== 'object' || annotations === null) return new Map();
  const raw = (annotations as Record<string, unknown>)[importRecordAnnotation];
  if (typeof raw !== 'string') return new Map();
  return new Map(readRecords.get(raw, parseRecord));
}

/**
 * Records read recently, by their text: due and planning both read every stream's record each pass, and the daemon
 * sees the same texts pass after pass. The memo forgets everything when it is full; callers get a map of their own.
 */
const readRecords = new BoundedMemo<ReadonlyArray<readonly [string, string]>>(16_384);

function parseRecord(raw: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const entry of raw.split(',')) {
    const m = /^\s*([^=]+)=([0-9a-f]{8})\s*$/.exec(entry);
    if (m) out.push([(m[1] as string).includes('%') ? unescapeTag(m[1] as string) : (m[1] as string), m[2] as string]);
  }
  return out;
}

/** Tags in name order, so the same record always prints the same. */
export function formatImportRecord(record: ReadonlyMap<string, string>): string {
  const sorted = [...record.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map(([tag, hash]) => `${escapeTag(tag)}=${hash}`).join(',');
}
