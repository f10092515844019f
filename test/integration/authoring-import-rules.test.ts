/**
 * `imagestreams import-image` against the real registry: oc's request rules (import policy merged with the tag's,
 * the stream's insecure annotation, the stream's own repository), exit 4 when an import fails, and nothing left
 * behind or written when the request is invalid or a new stream gets no image.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';

const registryUrl = inject('registryUrl');
const host = inject('registryHost');
const repo = `${host}/rules/ruby`;
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-import-rules-'));
const env = { HOME: work, XDG_CACHE_HOME: path.join(work, '.cache') };
let latest: string;
beforeAll(async () => {
  latest = await pushImage({ url: registryUrl }, 'rules/ruby', 'latest', buildImage({ seed: 'rules-latest' }));
  await pushImage({ url: registryUrl }, 'rules/ruby', '2.0', buildImage({ seed: 'rules-2.0' }));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Stream = {
  metadata: { annotations?: Record<string, string> };
  spec: { tags: Array<{ name: string; from: { kind: string; name: string }; importPolicy?: Record<string, unknown> }> };
  status?: { tags: Array<{ tag: string; items: Array<{ image: string }> | null; conditions?: Array<{ reason: string }> }> };
};

function repoWith(stream: string): string {
  const d = mkdtempSync(path.join(work, 'r-'));
  writeFileSync(path.join(d, 'ruby.yaml'), stream);
  return d;
}
const head = 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ruby\n  namespace: default\n';
const read = (d: string): Stream => parse(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')) as Stream;
const run = (d: string, args: string[]) => runCli(['import-image', ...args, '--now', '2024-05-01T12:00:00Z'], { cwd: d, env });

describe('import-image: the request oc makes', () => {
  it("keeps an existing tag's scheduled and insecure (oc or-s them with the flags)", async () => {
    const d = repoWith(
      `${head}spec:\n  tags:\n  - name: latest\n    from:\n      kind: DockerImage\n      name: ${repo}\n    importPolicy:\n      insecure: true\n      scheduled: true\n`,
    );
    const r = await run(d, ['ruby']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = read(d);
    expect(s.spec.tags).toEqual([
      { name: 'latest', from: { kind: 'DockerImage', name: repo }, importPolicy: { insecure: true, scheduled: true } },
    ]);
    expect(s.status?.tags[0]?.items?.[0]?.image).toBe(latest);
    // --insecure=false does not take insecure away from a tag that has it (insecure = flag || tag's).
    const again = await run(d, ['ruby', '--insecure=false', '--now', '2024-05-01T13:00:00Z']);
    expect(again.code).toBe(0);
    expect(read(d).spec.tags[0]?.importPolicy).toEqual({ insecure: true, scheduled: true });
  });

  it("honours the stream's insecure annotation, and --insecure=false overrides it (the import then fails: exit 4)", async () => {
    const annotated = `${head}  annotations:\n    openshift.io/image.insecureRepository: "true"\nspec:\n  tags: []\n`;
    const d = repoWith(annotated);
    const r = await run(d, ['ruby:2.0', `--from=${repo}:2.0`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read(d).spec.tags[0]).toEqual({
      name: '2.0',
      from: { kind: 'DockerImage', name: `${repo}:2.0` },
      importPolicy: { insecure: true },
    });

    const off = repoWith(annotated);
    const failed = await run(off, ['ruby:2.0', `--from=${repo}:2.0`, '--insecure=false']);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/^error: tag 2\.0 failed: /);
    // An existing stream records the failure, as the server does: the spec tag and its condition.
    const s = read(off);
    expect(s.spec.tags.map((t) => t.name)).toEqual(['2.0']);
    expect(s.status?.tags[0]?.conditions?.[0]?.reason).toBeTruthy();
  });

  it('imports latest from spec.dockerImageRepository when no --from is given', async () => {
    const d = repoWith(
      `${head}  annotations:\n    openshift.io/image.insecureRepository: "true"\nspec:\n  dockerImageRepository: ${repo}\n  tags: []\n`,
    );
    const r = await run(d, ['ruby']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = read(d);
    expect(s.spec.tags[0]).toMatchObject({ name: 'latest', from: { kind: 'DockerImage', name: repo } });
    expect(s.status?.tags[0]?.items?.[0]?.image).toBe(latest);
  });

  it("refuses to change an existing tag's source (oc: use the 'tag' command), writing nothing", async () => {
    const text = `${head}spec:\n  tags:\n  - name: latest\n    from:\n      kind: DockerImage\n      name: ${repo}\n`;
    const d = repoWith(text);
    const r = await run(d, ['ruby', `--from=${repo}:2.0`, '--insecure']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the tag "latest" points to "${repo}" - use the 'tag' command if you want to change the source to "${repo}:2.0"`,
    );
    expect(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')).toBe(text);
  });

  it('an invalid request (a tag given as the repository of --all) writes nothing and asks no registry', async () => {
    const text = `${head}spec:\n  tags: []\n`;
    const d = repoWith(text);
    // 127.0.0.1:9 answers nothing: a request to it would fail as an import (exit 4), not as the request (exit 2).
    const r = await run(d, ['ruby', '--all', '--confirm', '--from=127.0.0.1:9/rules/ruby:2.0', '--insecure']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'The ImageStreamImport "ruby" is invalid: spec.repository.from.name: Invalid value: "127.0.0.1:9/rules/ruby:2.0": you must specify an image repository, not a tag or ID',
    );
    expect(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')).toBe(text);
  });

  it('a stream created with --confirm is not left behind when its import fails (exit 4)', async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    const r = await run(d, ['nope', `--from=${host}/rules/missing`, '--confirm', '--insecure']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: tag latest failed: /);
    expect(r.stdout).toContain('The image stream default/nope was not created.');
    expect(existsSync(path.join(d, 'imagestreams'))).toBe(false);
  });
});
