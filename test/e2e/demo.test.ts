/** The README's first command runs this demo; it must work end to end (it starts its own registry). */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm run demo', () => {
  it('imports the example images from a local registry, shows the diff, and a second run has nothing to do', async () => {
    const { stdout } = await exec(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/demo.ts'], { cwd: root, timeout: 90_000 });
    expect(stdout).toContain('+++ b/examples/streams/ruby.yaml');
    expect(stdout).toMatch(/dockerImageReference: docker\.io\/library\/ruby@sha256:[a-f0-9]{64}/);
    expect(stdout).toContain('0 files would change');
    expect(stdout).toContain('exit status 0 (0 = reconciled)');
  }, 120_000);
});
