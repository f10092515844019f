/**
 * The smallest JSON-Patch-style edits that turn one value into another, shaped for byte-exact rendering: maps are
 * compared key by key, a list that only gained entries (a prepended history item, a status tag inserted in sorted
 * order) gets `add`s at those indexes, same-length lists are compared item by item, anything else is replaced.
 */

import { deepEqual, pointerSegment } from './values.js';

export type FieldEdit =
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const seg = pointerSegment;

/** Indexes of `next` that are insertions, when `next` is `old` with entries inserted (order kept); else undefined. */
function insertions(old: readonly unknown[], next: readonly unknown[]): number[] | undefined {
  if (next.length <= old.length) return undefined;
  const added: number[] = [];
  let j = 0;
  for (let i = 0; i < next.length; i += 1) {
    if (j < old.length && deepEqual(next[i], old[j])) j += 1;
    else added.push(i);
  }
  return j === old.length ? added : undefined;
}

/**
 * `next` = k new entries, then the first entries of `old` (a prepend with the tail cut, as a history cap does).
 * Compares in place: no copy of the list per candidate k (a status may hold tens of thousands of tags).
 */
function prependCut(old: readonly unknown[], next: readonly unknown[]): number | undefined {
  for (let k = 1; k <= next.length; k += 1) {
    const kept = next.length - k;
    if (kept < 1 || kept >= old.length) continue;
    let same = true;
    for (let i = 0; i < kept && same; i += 1) same = deepEqual(next[k + i], old[i]);
    if (same) return k;
  }
  return undefined;
}

export function diffValues(old: unknown, next: unknown, path = ''): FieldEdit[] {
  if (deepEqual(old, next)) return [];
  if (isObject(old) && isObject(next)) {
    const out: FieldEdit[] = [];
    for (const k of Object.keys(old))
      if (old[k] !== undefined && (!Object.hasOwn(next, k) || next[k] === undefined)) out.push({ op: 'remove', path: `${path}/${seg(k)}` });
    for (const [k, v] of Object.entries(next)) {
      if (v === undefined) continue;
      if (!Object.hasOwn(old, k) || old[k] === undefined) out.push({ op: 'add', path: `${path}/${seg(k)}`, value: v });
      else out.push(...diffValues(old[k], v, `${path}/${seg(k)}`));
    }
    return out;
  }
  if (Array.isArray(old) && Array.isArray(next)) {
    const added = insertions(old, next);
    if (added) return added.map((i) => ({ op: 'add' as const, path: `${path}/${i}`, value: next[i] }));
    const k = prependCut(old, next);
    if (k !== undefined) {
      const removes: FieldEdit[] = [];
      for (let i = old.length - 1; i >= next.length - k; i -= 1) removes.push({ op: 'remove', path: `${path}/${i}` });
      return [...removes, ...next.slice(0, k).map((v, i) => ({ op: 'add' as const, path: `${path}/${i}`, value: v }))];
    }
    if (old.length === next.length) return next.flatMap((v, i) => diffValues(old[i], v, `${path}/${i}`));
    const removed = insertions(next, old);
    if (removed) return [...removed].reverse().map((i) => ({ op: 'remove' as const, path: `${path}/${i}` }));
    // Entries changed in place and more appended (a verb that edits one tag and adds another).
    if (next.length > old.length) {
      return [
        ...old.flatMap((v, i) => diffValues(v, next[i], `${path}/${i}`)),
        ...next.slice(old.length).map((v, i) => ({ op: 'add' as const, path: `${path}/${old.length + i}`, value: v })),
      ];
    }
  }
  return [{ op: 'replace', path, value: next }];
}
