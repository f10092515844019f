/** Registry settings from the configuration file reach the importer's settings, validated by the schema. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('registries.allowLinkLocal', () => {
  it('is off by default and on when the file says so', async () => {
    expect((await loadConfig({}, { HOME: work }, work)).registry.allowLinkLocal).toBe(false);
    writeFileSync(path.join(work, '.imagestreams.yaml'), 'registries:\n  allowLinkLocal: true\n');
    expect((await loadConfig({}, { HOME: work }, work)).registry.allowLinkLocal).toBe(true);
  });

  it('a value that is not a boolean is a configuration error', async () => {
    const dir = mkdtempSync(path.join(work, 'bad-'));
    writeFileSync(path.join(dir, '.imagestreams.yaml'), 'registries:\n  allowLinkLocal: "yes please"\n');
    const r = await runCli(['validate', '.'], { cwd: dir, env: { HOME: work } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/allowLinkLocal/);
  });

  it('by default an import from a metadata address is refused before any connection is made', async () => {
    const dir = mkdtempSync(path.join(work, 'inspect-'));
    const r = await runCli(['inspect', '169.254.169.254/team/app:1'], { cwd: dir, env: { HOME: work } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/refusing to connect to 169\.254\.169\.254.*set registries\.allowLinkLocal: true to allow it/);
  });
});
