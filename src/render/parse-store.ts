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
 * - A file is not even read when its stat (size, mtime, ctime, inode, device) is the one the store last read it
 *   with, under the same limits, that read came at least racyWindowMs after the file's last change (git's "racily
 *   clean" rule: a change within one timestamp tick of the read could keep the stat), and the file is on a Linux
 *   filesystem whose times are this machine's (onLocalFilesystem). The entry keeps the text. What a pass writes
 *   is checked against the file first (src/cli/write-files.ts), so a stale recall is never written over a file.
 * - Results are shared, never copied: like the daemon's LoadCache, whatever reads them must not change them.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from './diagnostic.js';
import type { LoadLimits } from './limits.js';
import type { LoadResult } from './load.js';
import { formatOf, parseText } from './load.js';
import type { Entry, FileRecord, StoredValidation } from './parse-store-format.js';
import { decodeStore, writeStore } from './parse-store-format.js';
import { sameStamp, stampOf } from './file-stamp.js';
import { LineIndex } from './positions.js';

/**
 * How long after a file's last change its stat is trusted to stand for its text: a change within the same tick of
 * a coarse timestamp (FAT's 2 s) as the read could keep the size and times (git's "racily clean" entries).
 */
export const racyWindowMs = 3_000;

/**
 * Linux filesystems whose timestamps come from this machine's clock (the one reads are stamped with): ext2/3/4, XFS,
 * Btrfs, tmpfs, overlayfs, ZFS, F2FS, ramfs, bcachefs. On others (NFS, SMB, FUSE, a bind mount of Docker Desktop)
 * the server's clock stamps the times and cached attributes may hide another client's write, so their files are
 * always read; so are files on other systems than Linux.
 */
const localFilesystems = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010, 0x858458f6, 0xca451a4e]);

export function onLocalFilesystem(dir: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return localFilesystems.has(Number(statfsSync(dir).type));
  } catch {
    return false;
  }
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
  /** Files whose load came from the store (by their stat or by their text). */
  readonly hits: number;
  /** Of those, the files not read at all: their stat was the one the store last read them with. */
  readonly recalled: number;
  /** Files parsed (new or changed text). */
  readonly misses: number;
}

export class ParseStore {
  private entries = new Map<string, Entry>();
  private files = new Map<string, FileRecord>();
  private readonly used = new Set<string>();
  private readonly usedFiles = new Set<string>();
  private readonly keyOfFile = new Map<string, string>();
  private opened: Promise<void> | undefined;
  private dirty = false;
  private lastSaved = Number.NEGATIVE_INFINITY;
  private counts = { hits: 0, recalled: 0, misses: 0 };
  private validation: StoredValidation | undefined;
  private readonly now: () => number;
  /** Per directory of this load: whether its files may be recalled by their stat (onLocalFilesystem). */
  private readonly local = new Map<string, boolean>();

  /**
   * @param dir the directory of store files (`<cache dir>/parsed`)
   * @param scope what the store is for: the repository's absolute path and the display base (one store each)
   * @param options.now the clock reads are stamped with (tests move it to look past the racy window)
   * @param options.localFilesystem whether a directory's files may be recalled by their stat (onLocalFilesystem)
   */
  constructor(
    private readonly dir: string,
    scope: string,
    private readonly fingerprint: string = loaderFingerprint(),
    options: { readonly now?: () => number; readonly localFilesystem?: (dir: string) => boolean } = {},
  ) {
    this.file = path.join(dir, `${createHash('sha256').update(scope).digest('hex').slice(0, 32)}.bin`);
    this.now = options.now ?? Date.now;
    this.localFilesystem = options.localFilesystem ?? onLocalFilesystem;
  }

  private readonly localFilesystem: (dir: string) => boolean;

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
    this.usedFiles.clear();
    this.local.clear();
    await (this.opened ??= (async () => {
      try {
        // One read (the thread pool would take it in 512 KiB pieces); the load reads its files synchronously too.
        const content = decodeStore(readFileSync(this.file), this.fingerprint);
        if (!content) return;
        this.entries = content.entries;
        this.files = content.files;
        this.validation = content.validation;
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
    for (const key of this.entries.keys()) {
      if (this.used.has(key)) continue;
      this.entries.delete(key);
      this.dirty = true;
    }
    for (const [display, record] of this.files) {
      if (this.usedFiles.has(display) && this.entries.has(record.key)) continue;
      this.files.delete(display);
      this.dirty = true;
    }
  }

  /**
   * The file's load without reading it, when its stat (`info`, or taken now) is the one the store last read it
   * with under these limits, and that read came well after the file's last change (racyWindowMs). Else undefined,
   * and the caller reads it (loadFile through `parse`).
   */
  recall(absolute: string, display: string, limits: LoadLimits, info?: Stats): LoadResult | undefined {
    const record = this.files.get(display);
    if (!record || record.limits !== limitsKey(limits)) return undefined;
    if (!recallable(record)) return undefined;
    const entry = this.entries.get(record.key);
    if (!entry) return undefined;
    const dir = path.dirname(absolute);
    let local = this.local.get(dir);
    if (local === undefined) this.local.set(dir, (local = this.localFilesystem(dir)));
    if (!local) return undefined;
    let s: Stats | undefined;
    try {
      s = info ?? statSync(absolute, { throwIfNoEntry: false });
    } catch {
      return undefined; // a loop of symlinks, no permission: the read says what is wrong
    }
    if (!s?.isFile() || !sameStamp(s, record)) return undefined;
    this.counts.hits += 1;
    this.counts.recalled += 1;
    this.use(display, record.key);
    return resultOf(entry, display);
  }

  /**
   * Load a file's text as `parseText` would, from the store when this name, these limits and this text are in it.
   * `info` is the stat the text was read with (recorded for `recall`).
   */
  parse(display: string, text: string, limits: LoadLimits, info?: Stats): LoadResult {
    const limitsText = limitsKey(limits);
    const key = createHash('sha256').update(display).update('\0').update(limitsText).update('\0').update(text).digest('base64url');
    const previous = this.keyOfFile.get(display);
    // The file's older text, parsed by an earlier load of this process: dropped now, not when the load settles, so a
    // load that finds every file changed (the daemon's, after its own commit) never holds two parses of them all.
    if (previous !== undefined && previous !== key && !this.used.has(previous) && this.entries.delete(previous)) this.dirty = true;
    this.use(display, key);
    if (info) this.record(display, key, limitsText, info);
    const hit = this.entries.get(key);
    if (hit) {
      this.counts.hits += 1;
      return resultOf(hit, display);
    }
    this.counts.misses += 1;
    const result = parseText(display, text, limits);
    this.entries.set(
      key,
      result.ok
        ? { ok: true, text, documents: result.file.documents, problems: result.file.problems, markers: result.file.markers }
        : { ok: false, diagnostic: result.diagnostic },
    );
    this.dirty = true;
    return result;
  }

  private use(display: string, key: string): void {
    this.used.add(key);
    this.usedFiles.add(display);
    this.keyOfFile.set(display, key);
  }

  private record(display: string, key: string, limits: string, s: Stats): void {
    const old = this.files.get(display);
    const readAtMs = this.now();
    // A read that changes nothing the next recall would decide on is not worth a save.
    if (old && old.key === key && old.limits === limits && sameStamp(s, old) && recallable(old) === recallable({ ...old, readAtMs }))
      return;
    this.files.set(display, { key, limits, ...stampOf(s), readAtMs });
    this.dirty = true;
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
    // Only what the store still holds (an entry dropped since, a failed read's, stays dropped).
    if (key === undefined || !this.entries.has(key)) return;
    this.used.add(key);
    if (this.files.get(display)?.key === key) this.usedFiles.add(display);
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
    this.dirty = false;
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeStore(tmp, this.fingerprint, { entries: this.entries, files: this.files, validation: this.validation });
      await rename(tmp, this.file);
      await pruneStale(this.dir);
      return true;
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      this.dirty = true; // tried again at the next save
      return false;
    }
  }
}

function limitsKey(limits: LoadLimits): string {
  return `${limits.maxFileBytes}/${limits.maxAliasCount}/${limits.maxDepth}`;
}

/** Whether a record's read came late enough after the file's last change for its stat to stand for the text. */
function recallable(r: FileRecord): boolean {
  return r.mtimeMs <= r.readAtMs - racyWindowMs && r.ctimeMs <= r.readAtMs - racyWindowMs;
}

function resultOf(entry: Entry, display: string): LoadResult {
  return entry.ok
    ? {
        ok: true,
        file: {
          path: display,
          format: formatOf(display),
          text: entry.text,
          lines: new LineIndex(entry.text),
          documents: entry.documents,
          problems: entry.problems,
          markers: entry.markers,
        },
      }
    : { ok: false, diagnostic: entry.diagnostic };
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
