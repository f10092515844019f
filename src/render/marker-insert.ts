/**
 * Writing a setter marker (`imagestreams set marker FILE:LINE`): the marker comment is added after the single-line
 * scalar value on that line, or replaces a marker already there; no other byte changes. The result is checked:
 * every document means what it meant, and the marker is found on the value it was meant for.
 */
import { isAlias, isScalar, parseAllDocuments } from 'yaml';
import type { MarkerPart } from '../reconcile/markers.js';
import { markerKey, readMarker } from '../reconcile/markers.js';
import { deepEqual } from '../reconcile/values.js';
import { comments, findMarkers, isBlockScalar, placeNodes } from './markers.js';
import { LineIndex } from './positions.js';
import { yamlOptions } from './yaml-source.js';

export type MarkerInsert =
  | { readonly ok: true; readonly text: string; readonly pointer: string; readonly document: number; readonly current: unknown }
  | { readonly ok: false; readonly error: string };

/** The marker comment's text for a stream tag and part (the part is left out for the whole image). */
export function markerComment(streamTag: string, part: MarkerPart): string {
  return JSON.stringify(part === 'image' ? { [markerKey]: streamTag } : { [markerKey]: streamTag, part })
    .replace(/":"/g, '": "')
    .replace(/","/g, '", "');
}

const values = (text: string): unknown[] => parseAllDocuments(text, { ...yamlOptions, logLevel: 'silent' }).map((d) => d.toJS());

export function insertMarker(file: string, text: string, line: number, streamTag: string, part: MarkerPart): MarkerInsert {
  let lineStart = 0;
  for (let n = 1; n < line && lineStart !== -1; n++) lineStart = text.indexOf('\n', lineStart) + 1 || -1;
  if (line < 1 || lineStart === -1 || lineStart > text.length || (lineStart === text.length && line > 1))
    return { ok: false, error: `${file} has no line ${line}` };
  const lineEnd = lineStart + (text.slice(lineStart).split('\n')[0] ?? '').replace(/\r$/, '').length;
  const docs = parseAllDocuments(text, { ...yamlOptions, logLevel: 'silent' });
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length > 0)) return { ok: false, error: `${file} does not parse as YAML; fix it first` };
  let target: { pointer: string; document: number; end: number; current: unknown } | undefined;
  list.forEach((d, document) => {
    for (const p of placeNodes(d.contents)) {
      const [start, end] = p.node.range as [number, number, number];
      if (p.key || start < lineStart || end > lineEnd || !isScalar(p.node) || isBlockScalar(p.node)) continue;
      if (target && target.end >= end) continue;
      if (p.inFlow || p.node.anchor || isAlias(p.node)) continue;
      target = { pointer: p.pointer, document, end, current: p.node.value };
    }
  });
  if (!target) return { ok: false, error: `${file}:${line} holds no single-line scalar value in block style to mark` };
  const existing = comments(text).find((c) => c.offset >= lineStart && c.offset < lineEnd);
  const words = markerComment(streamTag, part);
  let out: string;
  if (existing) {
    if (!readMarker(existing.source.slice(1)))
      return {
        ok: false,
        error: `${file}:${line} already has a comment (${existing.source.trim()}); a marker is the line's comment: move that one first`,
      };
    out = `${text.slice(0, existing.offset)}# ${words}${text.slice(existing.offset + existing.source.length)}`;
  } else {
    const content = text.slice(lineStart, lineEnd);
    const at = lineStart + content.replace(/\s+$/, '').length;
    out = `${text.slice(0, at)} # ${words}${text.slice(at)}`;
  }
  const found = findMarkers(file, out, new LineIndex(out));
  const ok =
    found.problems.length === 0 &&
    found.sites.some(
      (s) => s.pointer === target?.pointer && s.document === target.document && s.streamTag === streamTag && s.part === part,
    );
  if (!ok || !deepEqual(values(out), values(text)))
    return { ok: false, error: `internal check failed: the marker would not read back on ${file}:${line}` };
  return { ok: true, text: out, pointer: target.pointer, document: target.document, current: target.current };
}
