/**
 * Settings are defined once: the JSON schema of the configuration file, the core's settings type and
 * docs/configuration.md stay in step, and a value the schema accepts but the tool would ignore or clamp is a
 * configuration error naming the accepted range.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';
import { runCli } from '../helpers/cli.js';

const root = new URL('../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schemas/config.schema.json', root), 'utf8')) as Schema;
const docs = readFileSync(new URL('docs/configuration.md', root), 'utf8');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-settings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Schema {
  readonly type?: string;
  readonly properties?: Record<string, Schema>;
}

/** Every setting a user can write: the leaves of the schema (objects without properties, such as maps, are leaves). */
function leaves(s: Schema, prefix = ''): string[] {
  if (s.type !== 'object' || !s.properties) return [prefix];
  return Object.entries(s.properties).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const documented = new Set([...docs.matchAll(/^\| `([a-zA-Z.]+)` \|/gm)].map((m) => m[1]));

describe('settings defined once', () => {
  it('every setting of the schema is documented, and docs/configuration.md documents nothing else', () => {
    const settings = leaves(schema).sort();
    expect(settings.length).toBeGreaterThan(15);
    expect([...documented].sort()).toEqual(settings);
  });

  it('the core settings type has exactly the reconcile section (and the namespace), each with a default', () => {
    const reconcile = Object.keys(schema.properties?.reconcile?.properties ?? {}).sort();
    // The core holds durations in milliseconds: scheduleInterval (a duration string) is scheduleIntervalMs.
    const core = Object.keys(defaultReconcileSettings)
      .filter((k) => k !== 'defaultNamespace')
      .map((k) => k.replace(/Ms$/, ''))
      .sort();
    expect(core).toEqual(reconcile);
    expect(Object.keys(schema.properties ?? {})).toContain('defaultNamespace');
  });

  it('the file, the environment and the flag reach the core settings, in that order of precedence', async () => {
    const dir = mkdtempSync(path.join(work, 'prec-'));
    writeFileSync(
      path.join(dir, '.imagestreams.yaml'),
      'defaultNamespace: shop\nreconcile:\n  localRegistry: file.example:5000\n  scheduleInterval: 1h\n  historyLimit: 3\n  repositoryTagCap: -1\n  imagePullers: {shared: ["*"]}\n  workloadKinds: [{apiVersion: apps.example.com/*, kind: Worker, podSpecPath: spec.pod}]\n  minAge: 2h\n',
    );
    const fromFile = (await loadConfig({}, { HOME: work }, dir)).settings;
    expect(fromFile).toEqual({
      defaultNamespace: 'shop',
      localRegistry: 'file.example:5000',
      scheduleIntervalMs: 3_600_000,
      historyLimit: 3,
      repositoryTagCap: -1,
      imagePullers: new Map([['shared', ['*']]]),
      // Configured kinds come first (an entry for a default kind replaces it), then the defaults.
      workloadKinds: [
        { apiVersion: 'apps.example.com/*', kind: 'Worker', podSpecPath: 'spec.pod' },
        ...defaultReconcileSettings.workloadKinds,
      ],
      minAgeMs: 2 * 3_600_000,
    });
    expect((await loadConfig({}, { HOME: work, IMAGESTREAMS_LOCAL_REGISTRY: 'env.example:5000' }, dir)).settings.localRegistry).toBe(
      'env.example:5000',
    );
    expect(
      (
        await loadConfig(
          { localRegistry: 'flag.example:5000', namespace: 'ops' },
          { HOME: work, IMAGESTREAMS_LOCAL_REGISTRY: 'env.example:5000' },
          dir,
        )
      ).settings,
    ).toMatchObject({ localRegistry: 'flag.example:5000', defaultNamespace: 'ops' });
    expect((await loadConfig({}, { HOME: work }, mkdtempSync(path.join(work, 'empty-')))).settings).toEqual(defaultReconcileSettings);
  });

  it('a schedule interval the schema accepts but OpenShift would not use (under 1m) is an error with the range, not a silent 15m', async () => {
    const dir = mkdtempSync(path.join(work, 'range-'));
    writeFileSync(path.join(dir, '.imagestreams.yaml'), 'reconcile:\n  scheduleInterval: 30s\n');
    const r = await runCli(['validate', '.'], { cwd: dir, env: { HOME: work } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reconcile\.scheduleInterval: "30s" is out of range: at least 1m/);
  });
});
