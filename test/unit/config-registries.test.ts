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

describe('limits.maxFileBytes bounds what the verbs write too', () => {
  it('a verb whose edit would grow a file past the read limit writes nothing and exits 4', async () => {
    const dir = mkdtempSync(path.join(work, 'verb-'));
    const stream =
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: default\nspec:\n  tags: []\n';
    writeFileSync(path.join(dir, 'app.yaml'), stream);
    writeFileSync(path.join(dir, '.imagestreams.yaml'), `limits:\n  maxFileBytes: ${Buffer.byteLength(stream) + 10}\n`);
    const r = await runCli(['tag', 'registry.example.com/team/app:1.0', 'app:stable'], { cwd: dir, env: { HOME: work } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^imagestreams: cannot edit app\.yaml faithfully: .*(larger|limit)/m);
    expect(r.stderr).not.toMatch(/internal error/);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'app.yaml'), 'utf8')).toBe(stream);
  });
});
