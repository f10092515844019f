/**
 * Generation bookkeeping without an API server (semantics.md §5, §13.3). Each stream records, per tag, a short hash
 * of the import-relevant part of its spec (§5.3: effective from namespace, from name, reference, importMode) as it
 * was when imagestreams last imported or derived that tag. Comparing the current spec with the record tells which
 * tags a user changed, whatever the Git history looks like (shallow clones, uncommitted trees, PR checkouts). The
 * record is one annotation, so files stay valid for `oc apply`.
 */
import type { SpecTag } from './status.js';

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
export function tagSpecHash(tag: SpecTag, streamNamespace: string): string {
  const from = tag.from;
  return shortHash(JSON.stringify([from?.namespace || streamNamespace, from?.name ?? '', tag.reference ?? false, tag.importPolicy?.importMode ?? '']));
}

/** The record in a stream's annotations; unreadable values count as no record (every tag looks changed). */
export function readImportRecord(annotations: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof annotations !== 'object' || annotations === null) return out;
  const raw = (annotations as Record<string, unknown>)[importRecordAnnotation];
  if (typeof raw !== 'string') return out;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.set(k, v);
    }
  } catch {
    // A hand-edited record that no longer parses: treat every tag as changed, and rewrite it.
  }
  return out;
}

/** Compact JSON with tags in name order, so the same record always prints the same. */
export function formatImportRecord(record: ReadonlyMap<string, string>): string {
  const sorted = [...record.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(sorted));
}
