/** `imagestreams reconcile --offline` in-process: modes, output, usage errors (no registry needed). */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: tools
  namespace: ops
spec:
  tags:
  - name: pinned
    reference: true
    from:
      kind: DockerImage
      name: registry.example.com/ops/tools:2024.1
  - name: current
    from:
      kind: ImageStreamTag
      name: pinned
`;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
async function repo(): Promise<string> {
  const d = await writeFixture({ 'is.yaml': stream });
  dirs.push(d);
  return d;
}
const now = '2024-05-01T12:00:00Z';

describe('imagestreams reconcile --offline', () => {
  it('--check exits 3 and writes nothing; --dry-run prints the diff and writes nothing', async () => {
    const d = await repo();
    const check = await runCli(['reconcile', '--offline', '--check', '--now', now], { cwd: d });
    expect(check.code).toBe(3);
    expect(check.stdout).toContain('1 file would change');
    const dry = await runCli(['reconcile', '--offline', '--dry-run', '--now', now], { cwd: d });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('--- a/is.yaml');
    expect(dry.stdout).toContain('+      dockerImageReference: registry.example.com/ops/tools:2024.1');
    expect(readFileSync(path.join(d, 'is.yaml'), 'utf8')).toBe(stream);
  });

  it('writes reference and tracking tags, then is reconciled (--check 0)', async () => {
    const d = await repo();
    const r = await runCli(['reconcile', '--offline', '--now', now, '-o', 'json'], { cwd: d });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { edits: Array<{ file: string; pointer: string; op: string; line: number }>; changes: Array<{ tag: string; kind: string }>; imports: unknown[]; requests: number };
    expect(report.imports).toEqual([]);
    expect(report.requests).toBe(0);
    expect(report.changes.map((c) => [c.tag, c.kind])).toEqual([['pinned', 'derived'], ['current', 'tracked']]);
    expect(report.edits.map((e) => [e.file, e.op, e.pointer])).toEqual(expect.arrayContaining([['is.yaml', 'add', '/status'], ['is.yaml', 'add', '/metadata/annotations']]));
    const text = readFileSync(path.join(d, 'is.yaml'), 'utf8');
    expect(text.startsWith(stream.slice(0, stream.indexOf('spec:')).replace('  namespace: ops\n', '  namespace: ops\n  annotations:\n'))).toBe(true);
    expect(text).toContain('imagestreams.dev/import-spec: pinned=');
    expect(text).not.toContain('dockerRepositoryCheck'); // offline never writes it
    expect((await runCli(['reconcile', '--offline', '--check'], { cwd: d })).code).toBe(0);
  });

  it('usage errors exit 2', async () => {
    const d = await repo();
    const badNow = await runCli(['reconcile', '--offline', '--now', 'yesterday'], { cwd: d });
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain('--now: "yesterday" is not an RFC 3339 time');
    expect((await runCli(['reconcile', '--offline', '--check', '--dry-run'], { cwd: d })).code).toBe(2);
    expect((await runCli(['reconcile', '-o', 'yaml'], { cwd: d })).code).toBe(2);
  });
});
