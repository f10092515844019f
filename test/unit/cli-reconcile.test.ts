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
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
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
    const report = JSON.parse(r.stdout) as {
      edits: Array<{ file: string; pointer: string; op: string; line: number }>;
      changes: Array<{ tag: string; kind: string }>;
      imports: unknown[];
      requests: number;
    };
    expect(report.imports).toEqual([]);
    expect(report.requests).toBe(0);
    expect(report.changes.map((c) => [c.tag, c.kind])).toEqual([
      ['pinned', 'derived'],
      ['current', 'tracked'],
    ]);
    expect(report.edits.map((e) => [e.file, e.op, e.pointer])).toEqual(
      expect.arrayContaining([
        ['is.yaml', 'add', '/status'],
        ['is.yaml', 'add', '/metadata/annotations'],
      ]),
    );
    const text = readFileSync(path.join(d, 'is.yaml'), 'utf8');
    expect(
      text.startsWith(stream.slice(0, stream.indexOf('spec:')).replace('  namespace: ops\n', '  namespace: ops\n  annotations:\n')),
    ).toBe(true);
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

describe('reconcile: Templates, history cap, force', () => {
  const template = (name: string) =>
    JSON.stringify(
      {
        apiVersion: 'template.openshift.io/v1',
        kind: 'Template',
        metadata: { name: 't' },
        objects: [
          {
            apiVersion: 'image.openshift.io/v1',
            kind: 'ImageStream',
            metadata: { name },
            spec: { tags: [{ name: 'r', reference: true, from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } }] },
          },
        ],
        parameters: [{ name: 'NAME' }],
      },
      null,
      2,
    );

  it("reconciles a Template's stream that names no parameter, and skips one that does", async () => {
    const d = await writeFixture({ 'plain.json': template('fixed'), 'param.json': template('${NAME}') });
    dirs.push(d);
    const r = await runCli(['reconcile', '--offline', '--now', now, '-o', 'json'], { cwd: d });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      skips: Array<{ stream: string; reason: string }>;
      edits: Array<{ file: string; pointer: string }>;
    };
    expect(report.edits.map((e) => e.file)).toContain('plain.json');
    expect(report.edits.every((e) => e.file === 'plain.json' && e.pointer.startsWith('/objects/0/'))).toBe(true);
    expect(report.skips).toEqual([
      { stream: 'param.json#0/objects/0', code: 'template-parameters', reason: expect.stringContaining('${PARAMETER}') },
    ]);
    expect(readFileSync(path.join(d, 'param.json'), 'utf8')).toBe(template('${NAME}'));
  });

  it('historyLimit caps the history it writes', async () => {
    const { planStreams } = await import('../../src/reconcile/plan.js');
    const item = (c: string, g: number) => ({
      created: now,
      dockerImageReference: `q/a@sha256:${c.repeat(64)}`,
      image: `sha256:${c.repeat(64)}`,
      generation: g,
    });
    const value = {
      metadata: { name: 'a', namespace: 'n', annotations: { 'imagestreams.dev/import-spec': 'x=00000000' } },
      spec: { tags: [{ name: 'x', from: { kind: 'DockerImage', name: 'q/a:1' } }] },
      status: { dockerImageRepository: '', tags: [{ tag: 'x', items: [item('b', 2), item('a', 1)] }] },
    };
    const outcome = {
      ok: true as const,
      image: { digest: `sha256:${'c'.repeat(64)}`, dockerImageReference: `q/a@sha256:${'c'.repeat(64)}` },
    };
    const p = planStreams({
      streams: [{ key: 'k', namespace: 'n', name: 'a', value }],
      tagResults: new Map([['k', new Map([['x', outcome]])]]),
      repositoryResults: new Map(),
      now,
      policy: { historyLimit: 2 },
    });
    const edits = p.streams[0]?.edits ?? [];
    // The oldest item goes, the new one is prepended: two edits, nothing else in the history is rewritten.
    expect(edits.filter((e) => e.path.startsWith('/status'))).toEqual([
      { op: 'remove', path: '/status/tags/0/items/1' },
      { op: 'add', path: '/status/tags/0/items/0', value: { ...item('c', 3), created: now } },
    ]);
  });
});
