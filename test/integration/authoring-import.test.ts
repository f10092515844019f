/** `imagestreams import-image` against the real registry, as the reference documents use `oc import-image`. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';

const registryUrl = inject('registryUrl');
const host = inject('registryHost');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-import-image-'));
const env = { HOME: work, XDG_CACHE_HOME: path.join(work, '.cache') };
let latest: string;
beforeAll(async () => {
  latest = await pushImage({ url: registryUrl }, 'openshift/ruby-20-centos7', 'latest', buildImage({ seed: 'ii-latest' }));
  for (const t of ['2.0', '1.9', 'old'])
    await pushImage({ url: registryUrl }, 'openshift/ruby-20-centos7', t, buildImage({ seed: `ii-${t}` }));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('imagestreams import-image', () => {
  it("refuses to create a stream without --confirm, with oc's message", async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    const r = await runCli(['import-image', 'my-ruby', `--from=${host}/openshift/ruby-20-centos7`, '--insecure'], { cwd: d, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no image stream named "my-ruby" exists, pass --confirm to create and import');
  });

  it('oc import-image my-ruby --from=... --confirm: creates the stream, imports, writes the status', async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    const r = await runCli(
      ['import-image', 'my-ruby', `--from=${host}/openshift/ruby-20-centos7`, '--confirm', '--insecure', '--now', '2024-05-01T12:00:00Z'],
      { cwd: d, env },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The import completed successfully.');
    const stream = parse(readFileSync(path.join(d, 'imagestreams/default/my-ruby.yaml'), 'utf8')) as {
      spec: { tags: Array<{ name: string; from: { name: string }; importPolicy: unknown }> };
      status: { tags: Array<{ tag: string; items: Array<{ image: string; dockerImageReference: string; created: string }> }> };
    };
    expect(stream.spec.tags).toEqual([
      { name: 'latest', from: { kind: 'DockerImage', name: `${host}/openshift/ruby-20-centos7` }, importPolicy: { insecure: true } },
    ]);
    expect(stream.status.tags[0]?.items[0]).toMatchObject({
      image: latest,
      dockerImageReference: `${host}/openshift/ruby-20-centos7@${latest}`,
      created: '2024-05-01T12:00:00Z',
    });
    // The result is reconciled: a check finds nothing to do.
    const check = await runCli(['reconcile', '--check', '--exclude', '.cache/**'], { cwd: d, env });
    expect(check.stderr + check.stdout).toBe(
      '0 files would change, 0 imports (0 failed, 0 registry requests), 1 streams, 0 workload images, 0 skipped\n',
    );
    expect(check.code).toBe(0);
  });

  it("--all imports the repository's tags in OpenShift's order, into an existing stream, keeping the file's comments", async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    writeFileSync(
      path.join(d, 'ruby.yaml'),
      '# our ruby\napiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ruby\n  namespace: default\nspec:\n  tags: []\n',
    );
    // The stream imports no whole repository yet: oc asks for --confirm first, and so does this.
    const asked = await runCli(['import-image', 'ruby', `--from=${host}/openshift/ruby-20-centos7`, '--all', '--insecure'], {
      cwd: d,
      env,
    });
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('the image stream does not currently import an entire Docker repository, pass --confirm to update');
    const r = await runCli(
      ['import-image', 'ruby', `--from=${host}/openshift/ruby-20-centos7`, '--all', '--confirm', '--insecure', '--scheduled'],
      { cwd: d, env },
    );
    expect(r.code).toBe(0);
    const text = readFileSync(path.join(d, 'ruby.yaml'), 'utf8');
    expect(text.startsWith('# our ruby\n')).toBe(true);
    const stream = parse(text) as {
      spec: { tags: Array<{ name: string; importPolicy: { scheduled: boolean } }> };
      status: { tags: Array<{ tag: string }> };
    };
    expect(stream.spec.tags.map((t) => t.name)).toEqual(['latest', '2.0', '1.9', 'old']);
    expect(stream.spec.tags.every((t) => t.importPolicy.scheduled)).toBe(true);
    expect(stream.status.tags.map((t) => t.tag)).toEqual(['1.9', '2.0', 'latest', 'old']);
  });

  it('--reference-policy=local and --import-mode on an existing tag', async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    writeFileSync(
      path.join(d, 'ruby.yaml'),
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ruby\n  namespace: default\nspec:\n  tags: []\n',
    );
    const r = await runCli(
      [
        'import-image',
        'ruby:2.0',
        `--from=${host}/openshift/ruby-20-centos7:2.0`,
        '--insecure',
        '--reference-policy=local',
        '--import-mode',
        'PreserveOriginal',
      ],
      { cwd: d, env },
    );
    expect(r.code).toBe(0);
    const stream = parse(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')) as { spec: { tags: Array<Record<string, unknown>> } };
    expect(stream.spec.tags[0]).toMatchObject({
      importPolicy: { insecure: true, importMode: 'PreserveOriginal' },
      referencePolicy: { type: 'Local' },
    });
  });

  it('--dry-run shows the spec change and imports nothing', async () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    writeFileSync(
      path.join(d, 'ruby.yaml'),
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ruby\n  namespace: default\nspec:\n  tags: []\n',
    );
    const r = await runCli(['import-image', 'ruby:2.0', `--from=${host}/openshift/ruby-20-centos7:2.0`, '--dry-run'], { cwd: d, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`+        name: ${host}/openshift/ruby-20-centos7:2.0`);
    expect(r.stdout).toContain(`Would import ruby:2.0 from ${host}/openshift/ruby-20-centos7:2.0.`);
    expect(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')).not.toContain('2.0');
  });
});
