/** `imagestreams tag` and `set image-lookup`: exact resulting bytes, in YAML with comments and anchors, JSON, multi-document files. */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const D = (c: string): string => `sha256:${c.repeat(64)}`;

const ruby = `# Ruby images.
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ruby
  namespace: shop
spec:
  lookupPolicy:
    local: false
  tags:
  - name: "2.0"   # the current release
    from: &src
      kind: DockerImage
      name: quay.io/shop/ruby:2.0
status:
  dockerImageRepository: ""
  tags:
  - tag: "2.0"
    items:
    - created: "2024-04-01T00:00:00Z"
      dockerImageReference: quay.io/shop/ruby@${D('a')}
      image: ${D('a')}
      generation: 2
---
apiVersion: v1
kind: ConfigMap
metadata: {name: untouched, namespace: shop}
`;
const python = `{
    "apiVersion": "image.openshift.io/v1",
    "kind": "ImageStream",
    "metadata": {"name": "python", "namespace": "shop"},
    "spec": {"tags": []}
}
`;

async function repo(): Promise<string> {
  const d = await writeFixture({ 'streams/ruby.yaml': ruby, 'streams/python.json': python });
  dirs.push(d);
  return d;
}
const cli = (d: string, ...args: string[]) => runCli([...args, '-n', 'shop'], { cwd: d });
const read = (d: string, f: string): string => readFileSync(path.join(d, f), 'utf8');

describe('imagestreams tag', () => {
  it('oc tag ruby:2.0 ruby:latest pins the current image as an ImageStreamImage', async () => {
    const d = await repo();
    const r = await cli(d, 'tag', 'ruby:2.0', 'ruby:latest', '--now', '2024-05-01T12:00:00Z');
    expect(r).toMatchObject({ code: 0, stdout: `Tag ruby:latest set to ruby@${D('a')}.\n` });
    // The status the pass would derive is written at once, with the import record that says it is derived.
    expect(read(d, 'streams/ruby.yaml')).toBe(
      ruby
        .replace('  namespace: shop\nspec:', '  namespace: shop\n  annotations:\n    imagestreams.dev/import-spec: latest=73a02483\nspec:')
        .replace(
          `      name: quay.io/shop/ruby:2.0\n`,
          `      name: quay.io/shop/ruby:2.0\n  - name: latest\n    from:\n      kind: ImageStreamImage\n      name: ruby@${D('a')}\n`,
        )
        .replace(
          '      generation: 2\n---',
          `      generation: 2\n  - tag: latest\n    items:\n    - created: "2024-05-01T12:00:00Z"\n      dockerImageReference: quay.io/shop/ruby@${D('a')}\n      image: ${D('a')}\n      generation: 3\n---`,
        ),
    );
  });

  it('--alias tracks the source tag; across streams it is refused with the upstream error', async () => {
    const d = await repo();
    expect((await cli(d, 'tag', '--alias', 'ruby:2.0', 'ruby:stable')).code).toBe(0);
    expect(read(d, 'streams/ruby.yaml')).toContain('  - name: stable\n    from:\n      kind: ImageStreamTag\n      name: ruby:2.0\n');
    const across = await cli(d, 'tag', '--alias', 'ruby:2.0', 'python:2.0');
    expect(across.code).toBe(2);
    expect(across.stderr).toContain('cannot set alias across different Image Streams');
  });

  it('a registry source with --scheduled, --reference-policy=local, --import-mode, into a JSON stream (its one-line spec stays on one line)', async () => {
    const d = await repo();
    const r = await cli(
      d,
      'tag',
      '--scheduled',
      '--reference-policy=local',
      '--import-mode',
      'PreserveOriginal',
      'docker.io/python:3.6.0',
      'python:3.6',
    );
    expect(r.code).toBe(0);
    expect(read(d, 'streams/python.json')).toBe(`{
    "apiVersion": "image.openshift.io/v1",
    "kind": "ImageStream",
    "metadata": {"name": "python", "namespace": "shop"},
    "spec": {"tags": [{"name": "3.6", "from": {"kind": "DockerImage", "name": "docker.io/python:3.6.0"}, "importPolicy": {"scheduled": true, "importMode": "PreserveOriginal"}, "referencePolicy": {"type": "Local"}}]}
}
`);
  });

  it('several destinations, --reference, --insecure; an existing tag is replaced in place, keeping comments and anchors', async () => {
    const d = await repo();
    const now = '2024-05-01T12:00:00Z';
    expect((await cli(d, 'tag', '--reference', '--insecure', 'quay.io/shop/ruby:2.1', 'ruby:2.0', 'ruby:next', '--now', now)).code).toBe(0);
    const event = `    - created: "${now}"\n      dockerImageReference: quay.io/shop/ruby:2.1\n      image: ""\n      generation: 3\n`;
    expect(read(d, 'streams/ruby.yaml')).toBe(
      ruby
        .replace(
          '  namespace: shop\nspec:',
          '  namespace: shop\n  annotations:\n    imagestreams.dev/import-spec: 2.0=41d32808,next=41d32808\nspec:',
        )
        .replace(
          `  - name: "2.0"   # the current release\n    from: &src\n      kind: DockerImage\n      name: quay.io/shop/ruby:2.0\n`,
          `  - name: "2.0"   # the current release\n    from: &src\n      kind: DockerImage\n      name: quay.io/shop/ruby:2.1\n    reference: true\n    importPolicy:\n      insecure: true\n  - name: next\n    from:\n      kind: DockerImage\n      name: quay.io/shop/ruby:2.1\n    reference: true\n    importPolicy:\n      insecure: true\n`,
        )
        .replace('  - tag: "2.0"\n    items:\n', `  - tag: "2.0"\n    items:\n${event}`)
        .replace('      generation: 2\n---', `      generation: 2\n  - tag: next\n    items:\n${event}---`),
    );
    expect((await cli(d, 'reconcile', '--offline', '--check')).code).toBe(0);
  });

  it('-d deletes the spec tag and its history', async () => {
    const d = await repo();
    const r = await cli(d, 'tag', '-d', 'ruby:2.0');
    expect(r).toMatchObject({ code: 0, stdout: 'Deleted tag shop/ruby:2.0.\n' });
    const text = read(d, 'streams/ruby.yaml');
    expect(text).toContain('  tags: []\nstatus:');
    expect(text).toContain('status:\n  dockerImageRepository: ""\n  tags: []\n---');
    expect(text.endsWith('metadata: {name: untouched, namespace: shop}\n')).toBe(true);
  });

  it('creates a stream that does not exist, in the default layout or --file', async () => {
    const d = await repo();
    expect((await cli(d, 'tag', 'quay.io/shop/node:20', 'node:20')).code).toBe(0);
    expect(read(d, 'imagestreams/shop/node.yaml')).toBe(
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: node\n  namespace: shop\nspec:\n  lookupPolicy:\n    local: false\n  tags:\n    - name: "20"\n      from:\n        kind: DockerImage\n        name: quay.io/shop/node:20\n',
    );
    expect((await cli(d, 'tag', '--file', 'custom/go.json', 'quay.io/shop/go:1', 'go:1')).code).toBe(0);
    expect(JSON.parse(read(d, 'custom/go.json'))).toMatchObject({
      metadata: { name: 'go', namespace: 'shop' },
      spec: { tags: [{ name: '1', from: { kind: 'DockerImage', name: 'quay.io/shop/go:1' } }] },
    });
  });

  it('--dry-run prints the diff and writes nothing; errors are clear', async () => {
    const d = await repo();
    const r = await cli(d, 'tag', '--dry-run', 'quay.io/shop/ruby:3', 'ruby:3');
    expect(r.stdout).toContain('+  - name: "3"');
    expect(read(d, 'streams/ruby.yaml')).toBe(ruby);
    const noImage = await cli(d, 'tag', 'python:3.6', 'python:x');
    expect(noImage.stderr).toContain('"python:3.6" has no image yet');
    const ambiguous = await writeFixture({ 'a.yaml': ruby, 'b.yaml': ruby });
    dirs.push(ambiguous);
    const amb = await cli(ambiguous, 'tag', 'ruby:2.0', 'ruby:x');
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain('ImageStream shop/ruby is defined 2 times in the repository');
    expect((await cli(d, 'tag', '--scheduled', 'ruby:2.0', 'ruby:y')).stderr).toContain(
      'only tags pointing to Docker repositories may be scheduled',
    );
  });
});

describe('imagestreams set image-lookup', () => {
  it('sets and clears spec.lookupPolicy.local (oc set image-lookup mysql / --enabled=false)', async () => {
    const d = await repo();
    expect((await cli(d, 'set', 'image-lookup', 'ruby')).code).toBe(0);
    expect(read(d, 'streams/ruby.yaml')).toBe(ruby.replace('    local: false', '    local: true'));
    expect((await cli(d, 'set', 'image-lookup', 'ruby', '--enabled=false')).code).toBe(0);
    expect(read(d, 'streams/ruby.yaml')).toBe(ruby);
  });

  it("sets the resolve-names annotation on a workload's pod template (oc set image-lookup deploy/mysql)", async () => {
    const deploy =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: mysql\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels: {app: mysql}\n    spec:\n      containers:\n      - name: mysql\n        image: mysql:latest\n';
    const d = await writeFixture({ 'd.yaml': deploy });
    dirs.push(d);
    expect((await cli(d, 'set', 'image-lookup', 'deploy/mysql')).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(
      deploy.replace(
        '      labels: {app: mysql}\n',
        '      labels: {app: mysql}\n      annotations:\n        alpha.image.policy.openshift.io/resolve-names: "*"\n',
      ),
    );
    expect((await cli(d, 'set', 'image-lookup', 'deploy/mysql', '--enabled=false')).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(deploy);
  });
});

describe('tag source forms', () => {
  it('stream@id and ns/stream:tag sources; a cross-namespace pin names the namespace', async () => {
    const d = await repo();
    expect((await cli(d, 'tag', `ruby@${D('a')}`, 'ruby:pinned')).code).toBe(0);
    expect(read(d, 'streams/ruby.yaml')).toContain(
      `  - name: pinned\n    from:\n      kind: ImageStreamImage\n      name: ruby@${D('a')}\n`,
    );
    expect((await cli(d, 'tag', 'shop/ruby:2.0', 'other/copy:1')).code).toBe(0);
    const created = read(d, 'imagestreams/other/copy.yaml');
    expect(created).toContain(`        kind: ImageStreamImage\n        name: ruby@${D('a')}\n        namespace: shop\n`);
  });
});
