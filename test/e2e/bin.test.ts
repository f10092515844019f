/** The installed entry point, spawned as a user runs it: bin/imagestreams.js → dist/cli/main.js. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/imagestreams.js');

async function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bin/imagestreams.js', () => {
  beforeAll(async () => {
    // `npm ci` builds dist/ through `prepare`; rebuild so the test runs today's sources.
    await exec(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
  }, 120_000);

  it('--help exits 0 and lists validate', async () => {
    const r = await spawnCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: imagestreams/);
    expect(r.stdout).toMatch(/validate/);
  });

  it('validates the bundled example and sets the exit status', async () => {
    const ok = await spawnCli(['validate', 'examples']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('0 errors');
    const bad = await spawnCli(['validate', 'fixtures/vectors/reference-parsing.json', '-o', 'json']);
    expect(bad.code).toBe(0); // a JSON file with no Kubernetes objects in it has nothing to report
    expect(JSON.parse(bad.stdout)).toEqual([]);
    const usage = await spawnCli(['validate', '-o', 'yaml']);
    expect(usage.code).toBe(2);
  });

  it('lets no YAML parser warning reach the terminal raw: a collection key, a Helm template, a chart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imagestreams-bin-'));
    try {
      await mkdir(path.join(dir, 'chart/templates'), { recursive: true });
      await writeFile(path.join(dir, 'chart/Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
      await writeFile(path.join(dir, 'chart/templates/d.yaml'), 'kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n');
      await writeFile(path.join(dir, 't.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.n }}\n');
      // A mapping key that is itself a collection: the YAML library warns about it on process stderr by default.
      await writeFile(path.join(dir, 'k.yaml'), '? [a, b]\n: c\n');
      const r = await spawnCli(['validate', dir]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/t\.yaml:4:13: warning go-template/);
      expect(r.stdout).not.toMatch(/templates\/d\.yaml/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
