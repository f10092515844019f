import type { Stats } from 'node:fs';

/**
 * What a stat says of a file's bytes: the same stamp, the same bytes, unless they changed within one timestamp tick
 * of the read (the parse store adds a racy window for that; src/render/parse-store.ts). The daemon's load cache and
 * the parse store's file records both keep one.
 */
export interface FileStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export function stampOf(s: Stats): FileStamp {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
}

export function sameStamp(s: Stats, r: FileStamp): boolean {
  return s.size === r.size && s.mtimeMs === r.mtimeMs && s.ctimeMs === r.ctimeMs && s.ino === r.ino && s.dev === r.dev;
}
