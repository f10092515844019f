import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { combineExitCodes, ExitCode } from '../../src/cli/exit-codes.js';
import { version } from '../../src/cli/version.js';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await writeFixture(files);
  dirs.push(dir);
  return dir;
}

const badStream =
  'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: Bad_Name\nspec:\n  tags:\n    - name: a\n      from:\n        kind: DockerImage\n        name: "quay.io/a/b:c,d"\n';
const warnStream =
  'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ok\nspec:\n  tags:\n    - name: a\n      from:\n        kind: ImageStreamTag\n        name: other:1\n';

describe('imagestreams --help and usage', () => {
  it('prints help with every command and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('validate');
    expect(r.stdout).toContain('70  internal error');
  });
  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
  it('with no arguments shows help and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('Usage:');
  });
  it('rejects unknown options and formats with exit 2', async () => {
    expect((await runCli(['validate', '--bogus'])).code).toBe(2);
    const r = await runCli(['validate', '-o', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('xml');
  });
  it('an internal failure exits 70 with the version and a request to report it', async () => {
    const code = await run(['validate', path.join(root, 'examples')], {
      stdout: () => {
        throw new Error('disk on fire');
      },
      stderr: (t) => {
        stderrText += t;
      },
      cwd: root,
      env: {},
    });
    expect(code).toBe(70);
    expect(stderrText).toContain(`imagestreams ${version}: internal error`);
    expect(stderrText).toContain('disk on fire');
    expect(stderrText).toMatch(/report/);
  });
  let stderrText = '';
});

describe('exit code precedence', () => {
  it('the first of 70, 2, 1, 4, 3 wins', () => {
    expect(combineExitCodes(3, 4, 1, 2, 70, 0)).toBe(70);
    expect(combineExitCodes(3, 4, 1, 2)).toBe(2);
    expect(combineExitCodes(3, 4, 1)).toBe(1);
    expect(combineExitCodes(3, 4)).toBe(4);
    expect(combineExitCodes(3, 0)).toBe(3);
    expect(combineExitCodes()).toBe(ExitCode.ok);
  });
});

describe('imagestreams validate', () => {
  it('passes the bundled example repository', async () => {
    const r = await runCli(['validate', 'examples'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^0 errors, 0 warnings in 3 files \(2 image streams, 2 workloads\)\n$/);
    expect(r.code).toBe(0);
  });

  it('defaults to the current directory and exits 1 on errors, text sorted by file and position', async () => {
    const dir = await fixture({ 'b.yaml': badStream, 'a.yaml': warnStream });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^a\.yaml:10:15: warning stream-not-found /);
    expect(lines[1]).toMatch(/^b\.yaml:4:9: error invalid-stream-name metadata\.name: Invalid value: "Bad_Name": /);
    expect(lines[2]).toMatch(/^b\.yaml:10:15: error invalid-reference .*invalid reference format/);
    expect(lines.at(-1)).toBe('2 errors, 1 warning in 2 files (2 image streams, 0 workloads)');
  });

  it('exits 0 when there are only warnings', async () => {
    const dir = await fixture({ 'a.yaml': warnStream });
    expect((await runCli(['validate', '.'], { cwd: dir })).code).toBe(0);
  });

  it('-o json prints an array with file, line, col, pointer, severity, code, message', async () => {
    const dir = await fixture({ 'b.yaml': badStream });
    const r = await runCli(['validate', '-o', 'json'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as unknown[];
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({
      file: 'b.yaml',
      line: 4,
      col: 9,
      document: 0,
      pointer: '/metadata/name',
      severity: 'error',
      code: 'invalid-stream-name',
      message: expect.stringContaining('Bad_Name'),
    });
  });

  it('-o github prints workflow commands, escaped', async () => {
    const dir = await fixture({ 'b.yaml': badStream, 'a.yaml': warnStream });
    const r = await runCli(['validate', '-o', 'github'], { cwd: dir });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^::warning file=a\.yaml,line=10,col=15,title=stream-not-found::/);
    expect(lines[1]).toMatch(/^::error file=b\.yaml,line=4,col=9,title=invalid-stream-name::/);
    // The reference holds a comma; messages are data, so only %, CR and LF are escaped there.
    expect(lines[2]).toContain('quay.io/a/b:c,d');
  });

  it('takes files and directories, and --exclude', async () => {
    const dir = await fixture({ 'streams/b.yaml': badStream, 'streams/a.yaml': warnStream });
    expect((await runCli(['validate', 'streams/a.yaml'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['validate', 'streams', '--exclude', 'b.yaml'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['validate', 'streams'], { cwd: dir })).code).toBe(1);
  });

  it('reads .imagestreams.yaml; environment variables override it and flags override both', async () => {
    const dir = await fixture({
      'a.yaml': badStream.replace('Bad_Name', 'good').replace('c,d', 'c'),
      '.imagestreams.yaml': 'defaultNamespace: team-a\nexclude: ["skip/**"]\n',
      'skip/bad.yaml': badStream,
    });
    const r = await runCli(['validate', '-o', 'json'], { cwd: dir });
    expect(r.stdout).toBe('[]\n');
    expect(r.code).toBe(0);
    // Excludes add up (file, then environment, then flags): skip/ stays excluded whatever else is given.
    expect((await runCli(['validate'], { cwd: dir, env: { IMAGESTREAMS_EXCLUDE: 'nothing' } })).code).toBe(0);
    expect((await runCli(['validate', '--include', 'skip/*.yaml'], { cwd: dir })).code).toBe(0);
    // A scalar setting: the environment overrides the file, a flag overrides the environment.
    const envBad = await runCli(['validate'], { cwd: dir, env: { IMAGESTREAMS_NAMESPACE: 'Not_A_Label' } });
    expect(envBad.code).toBe(2);
    expect(envBad.stderr).toContain('invalid namespace "Not_A_Label"');
    expect((await runCli(['validate', '-n', 'team-b'], { cwd: dir, env: { IMAGESTREAMS_NAMESPACE: 'Not_A_Label' } })).code).toBe(0);
    expect((await runCli(['validate', '-n', 'Bad Namespace'], { cwd: dir })).code).toBe(2);
  });

  it('a broken configuration file is a usage error (exit 2) with a clear message', async () => {
    const dir = await fixture({ '.imagestreams.yaml': 'defaultNamspace: x\n' });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown setting "defaultNamspace"');
    const missing = await runCli(['validate', '--config', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read configuration file');
  });
});
