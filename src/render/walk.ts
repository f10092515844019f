import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

export interface WalkOptions {
  /** Globs (relative to the root, forward slashes) of files to read. */
  readonly include: readonly string[];
  /** Globs of files and directories to leave out. */
  readonly exclude: readonly string[];
}

export const defaultWalkOptions: WalkOptions = {
  include: ['**/*.yaml', '**/*.yml', '**/*.json'],
  exclude: [],
};

/** Directories never entered: Git's own data and installed packages are never stream definitions. */
const skippedDirectories = new Set(['.git', 'node_modules']);

export interface WalkProblem {
  readonly path: string;
  readonly code: 'symlink-outside-repository' | 'read-error';
  readonly message: string;
}

export interface WalkResult {
  /** Files to read, relative to the root, forward slashes, sorted. */
  readonly files: readonly string[];
  readonly problems: readonly WalkProblem[];
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Every file under `root` that the include globs select and the exclude globs do not. Symbolic links are followed
 * only while they stay inside the repository (a link out of it is reported, never read); each real directory is
 * entered once, so link loops end.
 */
export async function walkRepository(root: string, options: WalkOptions = defaultWalkOptions): Promise<WalkResult> {
  const realRoot = await realpath(root);
  const included = picomatch([...options.include], { dot: true });
  const excluded = options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : () => false;
  const files: string[] = [];
  const problems: WalkProblem[] = [];
  const seenDirectories = new Set<string>([realRoot]);
  const queue: string[] = [''];
  while (queue.length > 0) {
    const dirRel = queue.shift() as string;
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(realRoot, dirRel), { withFileTypes: true });
    } catch (err) {
      problems.push({
        path: dirRel || '.',
        code: 'read-error',
        message: `cannot list directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      });
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`;
      if (excluded(rel) || excluded(`${rel}/`)) continue;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(path.join(realRoot, rel));
        } catch {
          continue; // a dangling link holds nothing to read
        }
        if (!inside(realRoot, target)) {
          if (
            included(rel) ||
            (await stat(target).then(
              (s) => s.isDirectory(),
              () => false,
            ))
          ) {
            problems.push({
              path: rel,
              code: 'symlink-outside-repository',
              message: `symbolic link points outside the repository (${target}); not followed`,
            });
          }
          continue;
        }
        const s = await stat(target);
        isDirectory = s.isDirectory();
        isFile = s.isFile();
        if (isDirectory) {
          if (seenDirectories.has(target)) continue;
          seenDirectories.add(target);
        }
      } else if (isDirectory) {
        seenDirectories.add(path.join(realRoot, rel));
      }
      if (isDirectory) {
        if (!skippedDirectories.has(entry.name)) queue.push(rel);
      } else if (isFile && included(rel)) {
        files.push(rel);
      }
    }
  }
  files.sort();
  return { files, problems };
}

/** Whether a path given by the user is a directory (else it is read as one file). */
export async function isDirectory(p: string): Promise<boolean> {
  const s = await lstat(p).catch(() => undefined);
  if (!s) return false;
  if (s.isSymbolicLink()) return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
  return s.isDirectory();
}
