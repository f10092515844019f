import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import { parseJson } from './json-source.js';
import type { LoadLimits } from './limits.js';
import { defaultLoadLimits } from './limits.js';
import { LineIndex } from './positions.js';
import type { ParsedFile, SourceFormat } from './source.js';
import { bytePosition, firstInvalidUtf8 } from './utf8.js';
import { parseYaml } from './yaml-source.js';
import { goTemplateAction } from './go-template.js';
import { findMarkers } from './markers.js';

export function formatOf(file: string): SourceFormat {
  return file.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

export type LoadResult = { readonly ok: true; readonly file: ParsedFile } | { readonly ok: false; readonly diagnostic: Diagnostic };

function fileProblem(file: string, code: Diagnostic['code'], message: string, line = 1, col = 1): LoadResult {
  return { ok: false, diagnostic: { file, line, col, document: 0, pointer: '', severity: 'error', code, message } };
}

/**
 * A file's bytes, or its size when it is larger than `maxBytes` (then it is not read), or why it cannot be read.
 * Synchronous: a repository's files are small, and one open/fstat/read/close here costs a fraction of the same
 * through the thread pool (the callers yield between batches). Opened non-blocking and refused unless it is a
 * regular file, so a FIFO or a device never stalls the process.
 */
function readBounded(absolute: string, maxBytes: number): { bytes: Buffer; info: Stats } | { size: number } | { error: string } {
  let fd: number | undefined;
  try {
    fd = openSync(absolute, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const info = fstatSync(fd);
    if (!info.isFile()) return { error: info.isDirectory() ? 'EISDIR' : 'not a regular file' };
    if (info.size > maxBytes) return { size: info.size };
    // Read to the size just taken (readFileSync(fd) would take it again): a file that shrank since ends early.
    const bytes = Buffer.allocUnsafe(info.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, null);
      if (n === 0) break;
      read += n;
    }
    return { bytes: read === bytes.length ? bytes : bytes.subarray(0, read), info };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Read and parse one file. `absolute` is where it is on disk, `display` the name diagnostics use. Size is checked
 * before reading and encoding before parsing, so a huge or binary file costs little and says why it was refused.
 * `parse` is parseText, or a store of earlier parses (src/render/parse-store.ts).
 */
export async function loadFile(
  absolute: string,
  display: string,
  limits: LoadLimits = defaultLoadLimits,
  parse: (display: string, text: string, limits: LoadLimits, info: Stats) => LoadResult = parseText,
): Promise<LoadResult> {
  const read = readBounded(absolute, limits.maxFileBytes);
  if ('error' in read) return fileProblem(display, 'read-error', `cannot read file: ${read.error}`);
  if ('size' in read) {
    return fileProblem(
      display,
      'file-too-large',
      `file is ${read.size} bytes, larger than the limit of ${limits.maxFileBytes} bytes; not read`,
    );
  }
  const { bytes, info } = read;
  if (bytes.length > limits.maxFileBytes) {
    return fileProblem(
      display,
      'file-too-large',
      `file is ${bytes.length} bytes, larger than the limit of ${limits.maxFileBytes} bytes; not read`,
    );
  }
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    const at = bytePosition(bytes, Math.max(offset, 0));
    return fileProblem(
      display,
      'invalid-utf8',
      `file is not valid UTF-8 (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at byte offset ${offset})`,
      at.line,
      at.col,
    );
  }
  return parse(display, bytes.toString('utf8'), limits, info);
}

/** Parse a file's text as loadFile does (the verbs that change a file's text read the result back this way). */
export function parseText(display: string, text: string, limits: LoadLimits = defaultLoadLimits): LoadResult {
  const format = formatOf(display);
  const lines = new LineIndex(text);
  if (format === 'yaml') {
    const action = goTemplateAction(text);
    if (action !== undefined) {
      const at = lines.position(action);
      return {
        ok: false,
        diagnostic: {
          file: display,
          line: at.line,
          col: at.col,
          document: 0,
          pointer: '',
          severity: 'warning',
          code: 'go-template',
          message: 'the file holds a Go template action ({{ ... }}) outside quotes, so it is a template (Helm?), not YAML; it is not read',
        },
      };
    }
  }
  const parsed = format === 'json' ? parseJson(text, limits) : parseYaml(text, limits);
  const found = format === 'yaml' ? findMarkers(display, text, lines) : { sites: [], problems: [] };
  const problems = found.problems.length === 0 ? parsed.problems : [...parsed.problems, ...found.problems];
  return { ok: true, file: { path: display, format, text, lines, documents: parsed.documents, problems, markers: found.sites } };
}

/** Forward-slash path for display, relative to `base` when the file is under it. */
export function displayPath(base: string, absolute: string): string {
  const rel = path.relative(base, absolute);
  const shown = rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? absolute : rel;
  return shown.split(path.sep).join('/');
}
