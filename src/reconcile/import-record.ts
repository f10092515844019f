/**
 * Generation bookkeeping without an API server (semantics.md §5, §13.3). Each stream records, per tag, a short hash
 * of the import-relevant part of its spec (§5.3: effective from namespace, from name, reference, importMode) as it
 * was when imagestreams last imported or derived that tag. Comparing the current spec with the record tells which
 * tags a user changed, whatever the Git history looks like (shallow clones, uncommitted trees, PR checkouts). The
 * record is one annotation, so files stay valid for `oc apply`.
 */
import type { TagReference } from './model.js';

export const importRecordAnnotation = 'imagestreams.dev/import-spec';

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, and pure (no node:crypto in the core). */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The hash of what makes a tag "changed" (§5.3). Kind, referencePolicy, insecure and scheduled are left out. */
export function tagSpecHash(tag: TagReference, streamNamespace: string): string {
  const from = tag.from;
  return shortHash(
    JSON.stringify([from?.namespace || streamNamespace, from?.name ?? '', tag.reference ?? false, tag.importPolicy?.importMode ?? '']),
  );
}

/** Tag names are not validated by OpenShift (§1.9): escape the record's own separators. */
const escapeTag = (tag: string): string => tag.replace(/[%,=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const unescapeTag = (text: string): string => text.replace(/%(25|2C|3D)/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * The record in a stream's annotations, `<tag>=<hash>,<tag>=<hash>` (plain in YAML, readable in a diff).
 * Entries that do not read count as no record for that tag (it looks changed and is imported again).
 */
export function readImportRecord(annotations: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof annotations !== 'object' || annotations === null) return out;
  const raw = (annotations as Record<string, unknown>)[importRecordAnnotation];
  if (typeof raw !== 'string') return out;
  for (const entry of raw.split(',')) {
    const m = /^\s*([^=]+)=([0-9a-f]{8})\s*$/.exec(entry);
    if (m) out.set(unescapeTag(m[1] as string), m[2] as string);
  }
  return out;
}

/** Tags in name order, so the same record always prints the same. */
export function formatImportRecord(record: ReadonlyMap<string, string>): string {
  const sorted = [...record.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map(([tag, hash]) => `${escapeTag(tag)}=${hash}`).join(',');
}
