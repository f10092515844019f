import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileChange } from './pipeline.js';

/** A file to be replaced is no longer the text the pass read and edited: nothing was written. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  constructor(
    readonly file: string,
    readonly absolute: string,
  ) {
    super(`${file} changed on disk since it was read; nothing was written (run again to reconcile its new content)`);
  }
}

/**
 * Replace every file or none: write all to temporary files next to them, then rename each into place. A file that
 * is not the text its change was made from (an editor saved it meanwhile) fails the whole write before anything is
 * renamed, so an edit is never laid over text it was not made for.
 */
export async function writeAll(changes: readonly FileChange[]): Promise<void> {
  for (const c of changes) {
    if (c.created) continue;
    const now = await readFile(c.absolute, 'utf8').catch(() => undefined);
    if (now !== c.before) throw new FileChangedError(c.file, c.absolute);
  }
  const staged: Array<{ tmp: string; target: string }> = [];
  try {
    for (const c of changes) {
      const tmp = path.join(path.dirname(c.absolute), `.${path.basename(c.absolute)}.imagestreams-${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(tmp, c.after, 'utf8');
      await chmod(tmp, (await stat(c.absolute)).mode & 0o7777);
      staged.push({ tmp, target: c.absolute });
    }
  } catch (err) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw err;
  }
  for (const s of staged) await rename(s.tmp, s.target);
}
