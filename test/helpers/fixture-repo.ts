import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { defaultLoadLimits } from '../../src/render/limits.js';
import type { LoadLimits } from '../../src/render/limits.js';
import type { Diagnostic } from '../../src/render/diagnostic.js';
import { loadRepository } from '../../src/render/repository.js';
import { validateRepository } from '../../src/render/validate.js';
import { defaultWalkOptions } from '../../src/render/walk.js';

export type FixtureFiles = Readonly<Record<string, string | Uint8Array | { symlink: string }>>;

/** Writes files (and symlinks) into a fresh temporary directory; returns its path. */
export async function writeFixture(files: FixtureFiles): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'imagestreams-fixture-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof content === 'object' && 'symlink' in content) await symlink(content.symlink, file);
    else await writeFile(file, content);
  }
  return dir;
}

/** `writeFixture` for one test file: every directory it writes is removed once the file's tests are done. */
export function fixturesForThisFile(): (files: FixtureFiles) => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (files) => {
    const dir = await writeFixture(files);
    dirs.push(dir);
    return dir;
  };
}

/** Loads and validates a fixture repository the way `imagestreams validate` does, then removes it. */
export async function validateFixture(files: FixtureFiles, limits: LoadLimits = defaultLoadLimits): Promise<Diagnostic[]> {
  const dir = await writeFixture(files);
  try {
    const repo = await loadRepository(['.'], { walk: defaultWalkOptions, limits, displayBase: dir });
    return validateRepository(repo, { defaultNamespace: 'default' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
