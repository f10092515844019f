import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileChange } from './pipeline.js';

/** Replace every file or none: write all to temporary files next to them, then rename each into place. */
export async function writeAll(changes: readonly FileChange[]): Promise<void> {
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
