/**
 * Identical import requests in one call: many tags follow one source, and each distinct request is imported once.
 * Requests are grouped by `from` and compared field by field within a group, so no key string is built per request
 * (a pass hands the importer one request per tag: 10,000 of them for 1,000 sources).
 */
import type { ImportRequest } from './types.js';

/** Whether two requests of the same `from` are the same import. */
function sameImport(a: ImportRequest, b: ImportRequest): boolean {
  return (
    a.importMode === b.importMode &&
    !a.insecure === !b.insecure &&
    a.preferArch === b.preferArch &&
    a.preferOs === b.preferOs &&
    a.known === b.known
  );
}

/** Each distinct request once, in first-seen order, and for each request the index of its distinct one. */
export function distinctRequests<R extends ImportRequest>(requests: readonly R[]): { readonly unique: R[]; readonly slots: number[] } {
  const byFrom = new Map<string, number[]>();
  const unique: R[] = [];
  const slots: number[] = [];
  for (const request of requests) {
    let group = byFrom.get(request.from);
    if (group === undefined) byFrom.set(request.from, (group = []));
    let slot: number | undefined;
    for (const i of group) if (sameImport(unique[i] as R, request)) slot = i;
    if (slot === undefined) {
      slot = unique.length;
      group.push(slot);
      unique.push(request);
    }
    slots.push(slot);
  }
  return { unique, slots };
}
