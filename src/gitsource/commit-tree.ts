/**
 * The objects and index entries of one commit made from HEAD's tree (GitRepo.commitFiles): only the changed paths'
 * trees are rewritten; objects are hashed, compressed and stored synchronously; the index is written once.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import type { PackObject } from './receive-pack.js';

/** isomorphic-git's cache (pack indexes and packs), shared by every repository in the process. */
export const gitCache = {};
const cache = gitCache;

/**
 * Set the index entries of committed files to HEAD's content. isomorphic-git writes the whole index on every
 * `resetIndex`, so one call per file costs (files × index size); `add` with every path writes it once. `add` stages
 * what is on disk, so it is used only for files whose bytes on disk are exactly what was committed (the normal case:
 * the pass has just written them) and no line-ending conversion is configured; any other file (a person edited it
 * meanwhile) is reset on its own, so its edit shows as unstaged, as before.
 */
export async function indexCommitted(
  dir: string,
  files: ReadonlyArray<{ readonly path: string; readonly content: string }>,
): Promise<void> {
  if (files.length === 0) return;
  const autocrlf = await git.getConfig({ fs, dir, path: 'core.autocrlf' }).catch(() => undefined);
  const batch: string[] = [];
  const single: string[] = [];
  for (const f of files) {
    let same = false;
    if (autocrlf === undefined || autocrlf === false || autocrlf === 'false') {
      try {
        same = fs.readFileSync(path.join(dir, f.path)).equals(Buffer.from(f.content, 'utf8'));
      } catch {
        same = false;
      }
    }
    (same ? batch : single).push(f.path);
  }
  if (batch.length > 0) await git.add({ fs, dir, filepath: batch, force: true, cache });
  for (const filepath of single) await git.resetIndex({ fs, dir, filepath, cache });
}

export async function updateTree(
  dir: string,
  treeOid: string | undefined,
  changes: ReadonlyArray<{ parts: string[]; content: string; path: string }>,
  added: string[],
  objects: Map<string, PackObject>,
): Promise<string> {
  const entries = treeOid ? [...(await git.readTree({ fs, dir, oid: treeOid, cache })).tree] : [];
  const index = new Map(entries.map((e, i) => [e.path, i]));
  const groups = new Map<string, Array<{ parts: string[]; content: string; path: string }>>();
  for (const c of changes) {
    const [first, ...rest] = c.parts;
    if (first === undefined) continue;
    if (rest.length === 0) {
      const blob = writeObject(dir, 'blob', Buffer.from(c.content, 'utf8'), objects);
      const i = index.get(first);
      const entry = {
        mode: i !== undefined ? (entries[i] as { mode: string }).mode : '100644',
        path: first,
        oid: blob,
        type: 'blob' as const,
      };
      if (i !== undefined) entries[i] = entry;
      else {
        index.set(first, entries.push(entry) - 1);
        added.push(c.path);
      }
    } else {
      let group = groups.get(first);
      if (!group) groups.set(first, (group = []));
      group.push({ parts: rest, content: c.content, path: c.path });
    }
  }
  // The folders are independent: read them concurrently (each read is a round trip through isomorphic-git).
  const folders = [...groups].map(([dirName, sub]) => {
    const i = index.get(dirName);
    const existing = i !== undefined && (entries[i] as { type: string }).type === 'tree' ? (entries[i] as { oid: string }).oid : undefined;
    return { dirName, i, oid: updateTree(dir, existing, sub, added, objects) };
  });
  for (const { dirName, i, oid: pending } of folders) {
    const oid = await pending;
    const entry = { mode: '040000', path: dirName, oid, type: 'tree' as const };
    if (i !== undefined) entries[i] = entry;
    else index.set(dirName, entries.push(entry) - 1);
  }
  return writeObject(dir, 'tree', serializeTree(entries), objects);
}

/**
 * Store one loose object. isomorphic-git hashes, compresses and writes through WebCrypto, web streams and
 * fs.promises, a round trip through the thread pool at each step of each object; this is the same object in Git's
 * loose format, done synchronously (node:crypto, zlib), written to a temporary file and renamed into place so that
 * a process killed mid-write never leaves a truncated object. Every object is recorded in `made`, including one
 * that was already stored (an earlier commit that was never pushed may have made it).
 */
export function writeObject(dir: string, type: 'blob' | 'tree', content: Buffer, made: Map<string, PackObject>): string {
  const wrapped = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
  const oid = createHash('sha1').update(wrapped).digest('hex');
  made.set(oid, { type, content });
  const folder = path.join(dir, '.git', 'objects', oid.slice(0, 2));
  const file = path.join(folder, oid.slice(2));
  if (fs.existsSync(file)) return oid;
  fs.mkdirSync(folder, { recursive: true });
  const tmp = path.join(folder, `tmp_obj_${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(tmp, deflateSync(wrapped, { level: 1 }), { mode: 0o444 });
  fs.renameSync(tmp, file);
  return oid;
}

/** A tree object's bytes: entries in Git's order (a folder sorts as if its name ended in `/`). */
function serializeTree(entries: ReadonlyArray<{ readonly mode: string; readonly path: string; readonly oid: string }>): Buffer {
  const key = (e: { mode: string; path: string }): Buffer => Buffer.from(e.mode === '040000' ? `${e.path}/` : e.path, 'utf8');
  const sorted = entries.map((e) => ({ e, k: key(e) })).sort((a, b) => Buffer.compare(a.k, b.k));
  return Buffer.concat(
    sorted.flatMap(({ e }) => [Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]),
  );
}
