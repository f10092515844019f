import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileChange } from './pipeline.js';

/** Files to be replaced are no longer the text the pass read and edited: nothing was written. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  constructor(readonly files: ReadonlyArray<{ readonly file: string; readonly absolute: string }>) {
    const [first] = files;
    const more = files.length > 1 ? ` (and ${files.length - 1} more)` : '';
    super(
      `${first?.file ?? 'a file'}${more} changed on disk since it was read; nothing was written (run again to reconcile the new content)`,
    );
  }
}

/**
 * Replace every file or none: write all to temporary files next to them, then rename each into place. Files that
 * are not the text their change was made from (an editor saved them meanwhile) fail the whole write before anything
 * is renamed, so an edit is never laid over text it was not made for.
 */
export async function writeAll(changes: readonly FileChange[]): Promise<void> {
  const changed: Array<{ file: string; absolute: string }> = [];
  for (const c of changes) {
    if (c.created) continue;
    const now = await readFile(c.absolute, 'utf8').catch(() => undefined);
    if (now !== c.before) changed.push({ file: c.file, absolute: c.absolute });
  }
  if (changed.length > 0) throw new FileChangedError(changed);
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
