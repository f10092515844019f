/**
 * The parse store: what loading a file produced (documents with their values and positions, problems, markers),
 * kept on disk between processes and keyed on the file's content, so a one-shot `reconcile` or `validate` (or a
 * daemon after a restart) parses only the files whose text changed. Parsing is most of a warm pass's own cost.
 *
 * - One store file per repository and display base, under `<cache dir>/parsed/`, written atomically (a temporary
 *   file renamed over the old one; several processes may share it, the last one to save wins). A save removes the
 *   stores not written for 30 days (one-off checkouts of CI jobs).
 * - An entry's key is a hash of the file's name as shown, the load limits and its text; the store as a whole is
 *   tagged with a fingerprint of the loader's own code, the YAML and JSON parsers' versions and Node's, so a new
 *   version of any of them (or a changed loader, when running from source) starts from an empty store.
 * - The store is a cache: a missing, unreadable, damaged or foreign store file is an empty store, and a store that
 *   cannot be written costs only the next run's parse. Nothing in it is trusted beyond its shape: every entry is
 *   checked before use, and a bad one fails the whole store (parsed again).
 * - Results are shared, never copied: like the daemon's LoadCache, whatever reads them must not change them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { Diagnostic } from './diagnostic.js';
import type { LoadLimits } from './limits.js';
import type { LoadResult } from './load.js';
import { formatOf, parseText } from './load.js';
import { LineIndex, PositionMap } from './positions.js';
import type { ParsedFile } from './source.js';

/** What a file's load produced, without what is cheap to make again from its text (the text, the line index). */
type Entry =
  | {
      readonly ok: true;
      readonly documents: ParsedFile['documents'];
      readonly problems: ParsedFile['problems'];
      readonly markers: ParsedFile['markers'];
    }
  | { readonly ok: false; readonly diagnostic: Extract<LoadResult, { ok: false }>['diagnostic'] };

/**
 * An entry as written: the documents' values as one JSON text when JSON reads them back exactly (V8's deserializer
 * builds an object graph several times slower than JSON.parse builds the same tree), else kept in the documents.
 */
type StoredEntry = Exclude<Entry, { ok: true }> | (Extract<Entry, { ok: true }> & { readonly values?: string });

/** A repository's last validation, by a key over every file's entry, the load's own diagnostics and the options. */
interface StoredValidation {
  readonly key: string;
  readonly diagnostics: readonly Diagnostic[];
}

interface StoreFile {
  readonly format: 'imagestreams-parse-store';
  readonly fingerprint: string;
  readonly entries: Map<string, StoredEntry>;
  readonly validation?: StoredValidation;
}

let codeFingerprint: string | undefined;

/** The loader's code (this directory's modules and the marker rules), the parsers' versions and Node's. */
export function loaderFingerprint(): string {
  if (codeFingerprint !== undefined) return codeFingerprint;
  try {
    codeFingerprint = computeFingerprint();
  } catch {
    // The modules cannot be read (an unusual install): a fingerprint of this process alone, so nothing stored is used.
    codeFingerprint = `unreadable-${process.pid}-${Date.now()}-${Math.random()}`;
  }
  return codeFingerprint;
}

function computeFingerprint(): string {
  const hash = createHash('sha256').update(process.version);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const modules = (dir: string, only?: readonly string[]): string[] =>
    readdirSync(dir)
      .filter((f) => /\.(js|ts|mjs)$/.test(f) && !f.endsWith('.d.ts'))
      .filter((f) => !only || only.includes(f.replace(/\.(js|ts|mjs)$/, '')))
      .sort()
      .map((f) => path.join(dir, f));
  // The core's modules too: the store also keeps a repository's last validation (its rules are there).
  const schemas = path.join(here, '..', '..', 'schemas');
  const schemaFiles = readdirSync(schemas)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(schemas, f));
  for (const file of [...modules(here), ...modules(path.join(here, '..', 'reconcile')), ...schemaFiles])
    hash.update(path.relative(here, file)).update(readFileSync(file));
  const require = createRequire(import.meta.url);
  for (const name of ['yaml', 'jsonc-parser', 'ajv', 'ajv-formats', 'node-cron']) hash.update(name).update(packageVersion(require, name));
  return hash.digest('hex');
}

function packageVersion(require: NodeJS.Require, name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? '';
    } catch {
      // not here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return '';
    dir = up;
  }
}

export interface ParseStoreStats {
  /** Files whose load came from the store. */
  readonly hits: number;
  /** Files parsed (new or changed text). */
  readonly misses: number;
}

export class ParseStore {
  private entries = new Map<string, Entry>();
  private readonly used = new Set<string>();
  private readonly keyOfFile = new Map<string, string>();
  private opened: Promise<void> | undefined;
  private dirty = false;
  private lastSaved = Number.NEGATIVE_INFINITY;
  private counts = { hits: 0, misses: 0 };
  private validation: StoredValidation | undefined;

  /**
   * @param dir the directory of store files (`<cache dir>/parsed`)
   * @param scope what the store is for: the repository's absolute path and the display base (one store each)
   */
  constructor(
    private readonly dir: string,
    scope: string,
    private readonly fingerprint: string = loaderFingerprint(),
  ) {
    this.file = path.join(dir, `${createHash('sha256').update(scope).digest('hex').slice(0, 32)}.bin`);
  }

  /** The store's file (for tests and `--help`-level docs). */
  readonly file: string;

  /** Entries held in memory (one per file of the last load, once it has settled). */
  get size(): number {
    return this.entries.size;
  }

  get stats(): ParseStoreStats {
    return { ...this.counts };
  }

  /**
   * Start a load: read the store file the first time (never throws: a store that cannot be read is empty), and
   * count what this load uses from here on. `settle` ends it.
   */
  async open(): Promise<void> {
    this.used.clear();
    await (this.opened ??= (async () => {
      try {
        const stored = v8.deserialize(await readFile(this.file)) as Partial<StoreFile>;
        if (stored.format !== 'imagestreams-parse-store' || stored.fingerprint !== this.fingerprint || !(stored.entries instanceof Map))
          return;
        for (const entry of stored.entries.values()) if (!rehydrate(entry)) return;
        if (stored.validation !== undefined && !isStoredValidation(stored.validation)) return;
        this.entries = stored.entries as unknown as Map<string, Entry>;
        this.validation = stored.validation;
      } catch {
        // missing or damaged: an empty store
      }
    })());
  }

  /**
   * End a load: keep only the entries it used (a file's older texts and the files that are gone are dropped at
   * once: in the daemon they would otherwise stay in memory beside their new parses until the next save).
   */
  settle(): void {
    if (this.used.size === this.entries.size) return;
    for (const key of this.entries.keys()) if (!this.used.has(key)) this.entries.delete(key);
    this.dirty = true;
  }

  /** Load a file's text as `parseText` would, from the store when this name, these limits and this text are in it. */
  parse(display: string, text: string, limits: LoadLimits): LoadResult {
    const key = createHash('sha256')
      .update(JSON.stringify([display, limits.maxFileBytes, limits.maxAliasCount, limits.maxDepth]))
      .update('\0')
      .update(text)
      .digest('base64url');
    this.used.add(key);
    const previous = this.keyOfFile.get(display);
    // The file's older text, parsed by an earlier load of this process: dropped now, not when the load settles, so a
    // load that finds every file changed (the daemon's, after its own commit) never holds two parses of them all.
    if (previous !== undefined && previous !== key && !this.used.has(previous) && this.entries.delete(previous)) this.dirty = true;
    this.keyOfFile.set(display, key);
    const hit = this.entries.get(key);
    if (hit) {
      this.counts.hits += 1;
      return hit.ok
        ? {
            ok: true,
            file: {
              path: display,
              format: formatOf(display),
              text,
              lines: new LineIndex(text),
              documents: hit.documents,
              problems: hit.problems,
              markers: hit.markers,
            },
          }
        : { ok: false, diagnostic: hit.diagnostic };
    }
    this.counts.misses += 1;
    const result = parseText(display, text, limits);
    this.entries.set(
      key,
      result.ok
        ? { ok: true, documents: result.file.documents, problems: result.file.problems, markers: result.file.markers }
        : { ok: false, diagnostic: result.diagnostic },
    );
    this.dirty = true;
    return result;
  }

  /**
   * Save when the last save (by this method) is at least `everyMs` old: the daemon's, after a pass, so a restart
   * parses only what changed since (the first call saves).
   */
  saveIfDue(nowMs: number, everyMs: number): Promise<boolean> {
    if (nowMs - this.lastSaved < everyMs) return Promise.resolve(false);
    this.lastSaved = nowMs;
    return this.save();
  }

  /** The entry of a file's last load through this store (a name for its display name, limits and text). */
  entryOf(display: string): string | undefined {
    return this.keyOfFile.get(display);
  }

  /** The repository's last validation, when it was made under this key (see validateRepository). */
  recallValidation(key: string): readonly Diagnostic[] | undefined {
    return this.validation?.key === key ? this.validation.diagnostics : undefined;
  }

  rememberValidation(key: string, diagnostics: readonly Diagnostic[]): void {
    if (this.validation?.key === key) return;
    this.validation = { key, diagnostics };
    this.dirty = true;
  }

  /** The file's last parse (through this store) is still current: this load uses its entry (the daemon's cache hit). */
  keep(display: string): void {
    const key = this.keyOfFile.get(display);
    if (key !== undefined) this.used.add(key);
  }

  /**
   * Write the store when something changed since it was read or last saved: the entries of the last load (so the
   * store holds one repository's files). Atomic; never throws (a store that cannot be written is only a cache).
   */
  async save(): Promise<boolean> {
    if (!this.dirty) {
      // Still in use: keep it young, so pruning (by another repository's save) leaves it.
      const now = new Date();
      await utimes(this.file, now, now).catch(() => undefined);
      return false;
    }
    const kept = this.entries;
    this.dirty = false;
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const entries = new Map<string, StoredEntry>();
      for (const [key, entry] of kept) entries.set(key, stored(entry));
      const content: StoreFile = {
        format: 'imagestreams-parse-store',
        fingerprint: this.fingerprint,
        entries,
        ...(this.validation ? { validation: this.validation } : {}),
      };
      await writeFile(tmp, v8.serialize(content), { mode: 0o600 });
      await rename(tmp, this.file);
      await pruneStale(this.dir);
      return true;
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    }
  }
}

/** Stores of repositories not loaded for 30 days (a CI job's one-off checkout), and leftover temporary files. */
async function pruneStale(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const age = now - (await stat(file).catch(() => ({ mtimeMs: now }))).mtimeMs;
    if ((name.endsWith('.bin') && age > 30 * 86_400_000) || (name.endsWith('.tmp') && age > 86_400_000)) await rm(file, { force: true });
  }
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

/** An entry as it is written (see StoredEntry): a new object, the entry itself is shared and left as it is. */
function stored(entry: Entry): StoredEntry {
  if (!entry.ok || !entry.documents.every((d) => jsonExact(d.value, new Set()))) return entry;
  return {
    ...entry,
    documents: entry.documents.map((d) => ({ ...d, value: null })),
    values: JSON.stringify(entry.documents.map((d) => d.value)),
  };
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

/**
 * Give stored position maps their class back and the documents their values; false for anything not shaped like an
 * entry this module wrote.
 */
function rehydrate(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (e.ok === false) return typeof e.diagnostic === 'object' && e.diagnostic !== null;
  if (e.ok !== true || !Array.isArray(e.documents) || !Array.isArray(e.problems) || !Array.isArray(e.markers)) return false;
  let values: unknown[] | undefined;
  if (e.values !== undefined) {
    if (typeof e.values !== 'string') return false;
    try {
      values = JSON.parse(e.values) as unknown[];
    } catch {
      return false;
    }
    if (!Array.isArray(values) || values.length !== e.documents.length) return false;
    delete e.values;
  }
  for (const [i, d] of (e.documents as unknown[]).entries()) {
    if (typeof d !== 'object' || d === null) return false;
    const p = (d as { positions?: unknown }).positions;
    if (!PositionMap.wellFormed(p)) return false;
    Object.setPrototypeOf(p, PositionMap.prototype);
    if (values) (d as { value: unknown }).value = values[i];
  }
  return true;
}
