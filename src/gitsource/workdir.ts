/** Repairs of the daemon's working directory after an interrupted run (a process killed mid-write). */
import * as fs from 'node:fs';
import path from 'node:path';

/**
 * isomorphic-git rewrites `.git/index` in place, so a process killed at that moment leaves it empty or cut short,
 * and every later checkout fails ("Index file is empty"). In the daemon's clone the index is a cache the next
 * checkout rebuilds: one that does not start with a whole header (`DIRC`, version, count) is removed.
 */
export function discardDamagedIndex(dir: string): void {
  const index = path.join(dir, '.git', 'index');
  let head: Buffer;
  try {
    const fd = fs.openSync(index, 'r');
    try {
      head = Buffer.alloc(12);
      const n = fs.readSync(fd, head, 0, 12, 0);
      head = head.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return; // no index: nothing to repair
  }
  if (head.length < 12 || head.subarray(0, 4).toString('latin1') !== 'DIRC') fs.rmSync(index, { force: true });
}

/**
 * Remove what an interrupted run may have left: half-written files (`.*.imagestreams-*.tmp` beside their target)
 * and abandoned temporary clones beside the directory. Returns how many were removed.
 */
export async function removeLeftovers(dir: string, temporaryFile: RegExp): Promise<number> {
  let removed = 0;
  const parent = path.dirname(dir);
  const base = `${path.basename(dir)}.clone-`;
  if (fs.existsSync(parent)) {
    for (const entry of fs.readdirSync(parent)) {
      if (entry.startsWith(base)) {
        fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
        removed += 1;
      }
    }
  }
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && temporaryFile.test(e.name)) {
        fs.rmSync(full, { force: true });
        removed += 1;
      }
    }
  };
  walk(dir);
  return removed;
}
