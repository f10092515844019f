/** rollback, prune and completion. */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const D = (c: string): string => `sha256:${c.repeat(64)}`;
const item = (c: string, created: string, gen: number): string =>
  `    - created: "${created}"\n      dockerImageReference: quay.io/shop/ruby@${D(c)}\n      image: ${D(c)}\n      generation: ${gen}\n`;
const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ruby
  namespace: shop
  annotations:
    imagestreams.dev/import-spec: latest=ffffffff
spec:
  tags:
  - name: latest   # follows upstream
    from:
      kind: DockerImage
      name: quay.io/shop/ruby:latest
    importPolicy:
      scheduled: true
status:
  dockerImageRepository: ""
  tags:
  - tag: latest
    items:
${item('d', '2024-05-01T11:30:00Z', 5)}${item('c', '2024-04-20T00:00:00Z', 4)}${item('b', '2024-04-10T00:00:00Z', 3)}${item('a', '2024-04-01T00:00:00Z', 2)}`;
const now = '2024-05-01T12:00:00Z';
async function repo(extra: Record<string, string> = {}): Promise<string> {
  const d = await writeFixture({ 'ruby.yaml': stream, ...extra });
  dirs.push(d);
  return d;
}
const read = (d: string): string => readFileSync(path.join(d, 'ruby.yaml'), 'utf8');

describe('imagestreams rollback', () => {
  it('points the tag at the previous image as a pinned ImageStreamImage, and the status follows', async () => {
    const d = await repo();
    const r = await runCli(['rollback', 'istag/ruby:latest', '-n', 'shop', '--now', now], { cwd: d });
    expect(r).toMatchObject({ code: 0, stdout: `Tag ruby:latest rolled back to ruby@${D('c')}.\n` });
    const text = read(d);
    expect(text).toContain(
      `  - name: latest   # follows upstream\n    from:\n      kind: ImageStreamImage\n      name: ruby@${D('c')}\nstatus:`,
    );
    expect(text).toContain(
      `    items:\n    - created: "${now}"\n      dockerImageReference: quay.io/shop/ruby@${D('c')}\n      image: ${D('c')}\n      generation: 6\n${item('d', '2024-05-01T11:30:00Z', 5)}`,
    );
    // Reconciled: nothing more to do offline.
    expect((await runCli(['reconcile', '--offline', '--check', '-n', 'shop'], { cwd: d })).code).toBe(0);
  });

  it('--to-image by prefix, --to-revision, and the errors', async () => {
    const d = await repo();
    expect(
      (await runCli(['rollback', 'istag/ruby:latest', '-n', 'shop', '--to-image', 'aaaa', '--now', now], { cwd: d })).stdout,
    ).toContain(`ruby@${D('a')}`);
    const d2 = await repo();
    expect(
      (await runCli(['rollback', 'istag/ruby:latest', '-n', 'shop', '--to-revision', '2', '--now', now], { cwd: d2 })).stdout,
    ).toContain(`ruby@${D('b')}`);
    expect((await runCli(['rollback', 'istag/ruby:latest', '-n', 'shop', '--to-revision', '9'], { cwd: d2 })).stderr).toContain(
      'there is no revision 9',
    );
    expect((await runCli(['rollback', 'istag/ruby:latest', '-n', 'shop', '--to-image', 'ffff'], { cwd: d2 })).stderr).toContain(
      'imagestreamimage.image.openshift.io "ffff" not found',
    );
    expect((await runCli(['rollback', 'is/ruby'], { cwd: d2 })).code).toBe(2);
  });
});

describe('imagestreams prune', () => {
  it('lists without --confirm; keeps current, young, referenced and pinned images; removes with --confirm', async () => {
    const deploy = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: quay.io/shop/ruby@${D('a')}\n`;
    const d = await repo({ 'web.yaml': deploy });
    const dry = await runCli(['prune', '--keep-tag-revisions', '2', '--now', now], { cwd: d });
    expect(dry.stdout).toBe(
      `would remove shop/ruby:latest quay.io/shop/ruby@${D('b')} (created 2024-04-10T00:00:00Z)\n1 history item would be removed; run again with --confirm to remove them\n`,
    );
    expect(read(d)).toBe(stream);
    const r = await runCli(['prune', '--keep-tag-revisions', '2', '--now', now, '--confirm'], { cwd: d });
    expect(r.code).toBe(0);
    expect(read(d)).toBe(stream.replace(item('b', '2024-04-10T00:00:00Z', 3), ''));
    expect((await runCli(['prune', '--keep-tag-revisions', '1', '--keep-younger-than', '30d', '--now', now], { cwd: d })).code).toBe(2);
    expect((await runCli(['prune', '--keep-tag-revisions', '1', '--keep-younger-than', '720h', '--now', now], { cwd: d })).stdout).toBe(
      'nothing to prune\n',
    );
  });
});

describe('imagestreams completion', () => {
  it('bash completes verbs, sub-verbs and flags', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout;
    const file = path.join(tmpdir(), `imagestreams-completion-${process.pid}.sh`);
    writeFileSync(file, script);
    try {
      const complete = (...words: string[]): string =>
        execFileSync(
          'bash',
          [
            '-c',
            `source ${file}; COMP_WORDS=(imagestreams ${words.join(' ')}); COMP_CWORD=${words.length}; _imagestreams; echo "\${COMPREPLY[*]}"`,
          ],
          { encoding: 'utf8' },
        ).trim();
      expect(complete('set', 'tr')).toBe('triggers');
      expect(complete('tag', '--al')).toBe('--alias');
      expect(complete('reconcile', '--of')).toBe('--offline');
      expect(complete('im')).toBe('import-image');
    } finally {
      rmSync(file, { force: true });
    }
    expect((await runCli(['completion', 'zsh'])).stdout).toMatch(/^#compdef imagestreams/);
    expect((await runCli(['completion', 'fish'])).code).toBe(2);
  });
});
