/**
 * writeAll (src/cli/write-files.ts): every file or none, and never over a text the change was not made from.
 */
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { describeFailure } from '../../src/cli/failures.js';
import { FileChangedError, writeAll } from '../../src/cli/write-files.js';
import type { FileChange } from '../../src/render/edits.js';
import { makeTempDir, removeDir } from '../support/tmp.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('write-files');
  writeFileSync(path.join(dir, 'a.yaml'), 'a: 1\n');
  writeFileSync(path.join(dir, 'b.yaml'), 'b: 1\n');
  chmodSync(path.join(dir, 'b.yaml'), 0o640);
});
afterEach(() => removeDir(dir));

const change = (file: string, before: string, after: string): FileChange => ({
  file,
  absolute: path.join(dir, file),
  before,
  after,
  edits: [],
});

describe('writeAll', () => {
  it('replaces every file, keeping its mode, and leaves no temporary file', async () => {
    await writeAll([change('a.yaml', 'a: 1\n', 'a: 2\n'), change('b.yaml', 'b: 1\n', 'b: 2\n')]);
    expect(readFileSync(path.join(dir, 'a.yaml'), 'utf8')).toBe('a: 2\n');
    expect(readFileSync(path.join(dir, 'b.yaml'), 'utf8')).toBe('b: 2\n');
    expect(statSync(path.join(dir, 'b.yaml')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['a.yaml', 'b.yaml']);
  });

  it('writes nothing when a file is no longer the text its change was made from (saved by someone meanwhile)', async () => {
    writeFileSync(path.join(dir, 'b.yaml'), 'b: 1 # edited meanwhile\n');
    const write = writeAll([change('a.yaml', 'a: 1\n', 'a: 2\n'), change('b.yaml', 'b: 1\n', 'b: 2\n')]);
    await expect(write).rejects.toBeInstanceOf(FileChangedError);
    await expect(write).rejects.toThrow(/b\.yaml changed on disk since it was read; nothing was written/);
    // Every such file is named (the daemon drops each one's cached parse), not only the first.
    writeFileSync(path.join(dir, 'a.yaml'), 'a: 1 # edited too\n');
    const both = await writeAll([change('a.yaml', 'a: 1\n', 'a: 2\n'), change('b.yaml', 'b: 1\n', 'b: 2\n')]).catch((e: unknown) => e);
    expect((both as FileChangedError).files.map((f) => f.file)).toEqual(['a.yaml', 'b.yaml']);
    expect((both as FileChangedError).message).toMatch(/^a\.yaml \(and 1 more\) changed on disk/);
    expect(readFileSync(path.join(dir, 'a.yaml'), 'utf8')).toBe('a: 1 # edited too\n');
    expect(readFileSync(path.join(dir, 'b.yaml'), 'utf8')).toBe('b: 1 # edited meanwhile\n');
    expect(readdirSync(dir).sort()).toEqual(['a.yaml', 'b.yaml']);
    // A file removed meanwhile is no longer the text either.
    await expect(writeAll([change('gone.yaml', 'x: 1\n', 'x: 2\n')])).rejects.toBeInstanceOf(FileChangedError);
    expect(readdirSync(dir).sort()).toEqual(['a.yaml', 'b.yaml']);
  });

  it('is a partial failure the next pass mends (exit 4, transient, code file-changed)', () => {
    expect(describeFailure(new FileChangedError([{ file: 'b.yaml', absolute: path.join(dir, 'b.yaml') }]))).toMatchObject({
      code: 'file-changed',
      kind: 'transient',
      exit: ExitCode.partial,
    });
  });
});
