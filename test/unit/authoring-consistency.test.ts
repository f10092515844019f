/**
 * Authoring leaves nothing half done: `tag` writes the status the pass would derive (so the pull-request check
 * passes right after it), `tag -d` takes the tag out of the import record, `prune` keeps what a short id pins, and
 * every --dry-run message says "would".
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const D = (c: string): string => `sha256:${c.repeat(64)}`;
const now = '2024-05-01T12:00:00Z';
const item = (c: string, created: string, gen: number): string =>
  `    - created: "${created}"\n      dockerImageReference: quay.io/shop/ruby@${D(c)}\n      image: ${D(c)}\n      generation: ${gen}\n`;
const ruby = (annotations = '', extraTags = ''): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ruby
  namespace: shop
${annotations}spec:
  tags:
  - name: "2.0"
    from:
      kind: DockerImage
      name: quay.io/shop/ruby:2.0
${extraTags}status:
  dockerImageRepository: ""
  tags:
  - tag: "2.0"
    items:
${item('d', '2024-04-30T00:00:00Z', 5)}${item('c', '2024-04-20T00:00:00Z', 4)}${item('b', '2024-04-10T00:00:00Z', 3)}${item('a', '2024-04-01T00:00:00Z', 2)}`;
const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        image: quay.io/shop/ruby@${D('d')}
`;

async function repo(files: Record<string, string>): Promise<string> {
  const d = await writeFixture(files);
  dirs.push(d);
  return d;
}
const cli = (d: string, ...args: string[]) => runCli([...args, '-n', 'shop'], { cwd: d });
const read = (d: string, f: string): string => readFileSync(path.join(d, f), 'utf8');
const check = async (d: string) => {
  const r = await cli(d, 'reconcile', '--offline', '--check');
  return { code: r.code, out: r.stdout + r.stderr };
};

describe('tag writes the derived status at once', () => {
  it('a pinned tag, a tracking tag and two tags of a new stream: the offline check passes right after', async () => {
    const d = await repo({ 'ruby.yaml': ruby(), 'web.yaml': deploy });
    expect((await check(d)).code).toBe(0);
    expect((await cli(d, 'tag', 'ruby:2.0', 'ruby:latest', '--now', now)).code).toBe(0);
    expect(await check(d)).toMatchObject({ code: 0 });
    expect((await cli(d, 'tag', '--alias', 'ruby:2.0', 'ruby:stable', '--now', now)).code).toBe(0);
    expect(await check(d)).toMatchObject({ code: 0 });
    // Two destinations in a stream that does not exist: one new file with both tags and their status.
    expect((await cli(d, 'tag', 'ruby:2.0', 'app:a', 'app:b', '--now', now)).code).toBe(0);
    const app = parse(read(d, 'imagestreams/shop/app.yaml')) as {
      spec: { tags: Array<{ name: string; from: { kind: string; name: string } }> };
      status: { tags: Array<{ tag: string; items: Array<{ image: string }> }> };
    };
    expect(app.spec.tags.map((t) => [t.name, t.from.kind, t.from.name])).toEqual([
      ['a', 'ImageStreamImage', `ruby@${D('d')}`],
      ['b', 'ImageStreamImage', `ruby@${D('d')}`],
    ]);
    expect(app.status.tags.map((t) => [t.tag, t.items[0]?.image])).toEqual([
      ['a', D('d')],
      ['b', D('d')],
    ]);
    expect(await check(d)).toMatchObject({ code: 0 });
    const stream = parse(read(d, 'ruby.yaml')) as { status: { tags: Array<{ tag: string; items: Array<{ image: string }> }> } };
    expect(stream.status.tags.map((t) => [t.tag, t.items[0]?.image])).toEqual([
      ['2.0', D('d')],
      ['latest', D('d')],
      ['stable', D('d')],
    ]);
  });
});

describe('tag -d', () => {
  it("removes the tag's entry from the import record, and the record when it was the last", async () => {
    const d = await repo({
      'ruby.yaml': ruby(
        '  annotations:\n    imagestreams.dev/import-spec: 2.0=0f0f0f0f,old=1a2b3c4d\n',
        '  - name: old\n    from:\n      kind: DockerImage\n      name: quay.io/shop/ruby:old\n',
      ),
    });
    expect((await cli(d, 'tag', '-d', 'ruby:old')).stdout).toBe('Deleted tag shop/ruby:old.\n');
    expect(read(d, 'ruby.yaml')).toContain('  annotations:\n    imagestreams.dev/import-spec: 2.0=0f0f0f0f\nspec:');
    expect((await cli(d, 'tag', '-d', 'ruby:2.0')).code).toBe(0);
    expect(read(d, 'ruby.yaml')).toContain('  namespace: shop\nspec:\n  tags: []\n');
    expect(await check(d)).toMatchObject({ code: 0 });
  });
});

describe('prune', () => {
  it('never removes an image a spec tag pins by a short id (as the server resolves the prefix)', async () => {
    const short = 'a'.repeat(12);
    const d = await repo({
      'ruby.yaml': ruby('', `  - name: pinned\n    from:\n      kind: ImageStreamImage\n      name: ruby@${short}\n`),
    });
    const r = await cli(d, 'prune', '--keep-tag-revisions', '1', '--keep-younger-than', '1h', '--now', now);
    expect(r.stdout).toBe(
      [
        `would remove shop/ruby:2.0 quay.io/shop/ruby@${D('c')} (created 2024-04-20T00:00:00Z)`,
        `would remove shop/ruby:2.0 quay.io/shop/ruby@${D('b')} (created 2024-04-10T00:00:00Z)`,
        '2 history items would be removed; run again with --confirm to remove them',
        '',
      ].join('\n'),
    );
    // The same pin by sha256:<prefix>, and in another stream (from.name names the source stream).
    const other = `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: other\n  namespace: shop\nspec:\n  tags:\n  - name: x\n    from:\n      kind: ImageStreamImage\n      name: ruby@sha256:${'b'.repeat(8)}\n`;
    const e = await repo({ 'ruby.yaml': ruby(), 'other.yaml': other });
    const r2 = await cli(e, 'prune', '--keep-tag-revisions', '1', '--keep-younger-than', '1h', '--now', now, '--confirm');
    expect(r2.stdout).not.toContain(D('b'));
    expect(r2.stdout).toContain(`removed shop/ruby:2.0 quay.io/shop/ruby@${D('a')}`);
    expect(read(e, 'ruby.yaml')).toContain(D('b'));
  });
});

describe('--dry-run messages say "would"', () => {
  it('tag, tag -d, set image-lookup, set triggers, rollback, prune --confirm: and nothing is written', async () => {
    const files = { 'ruby.yaml': ruby(), 'web.yaml': deploy };
    const d = await repo(files);
    const runs: Array<[string[], string]> = [
      [['rollback', 'istag/ruby:2.0', '--now', now], `Tag ruby:2.0 would be rolled back to ruby@${D('c')}.`],
      [['tag', 'ruby:2.0', 'ruby:latest'], `Tag ruby:latest would be set to ruby@${D('d')}.`],
      [['tag', '--alias', 'ruby:2.0', 'ruby:stable'], 'Tag ruby:stable would be set up to track ruby:2.0.'],
      [['tag', '-d', 'ruby:2.0'], 'Would delete tag shop/ruby:2.0.'],
      [['set', 'image-lookup', 'ruby'], 'imagestream.image.openshift.io/ruby image lookup would be updated'],
      [['set', 'image-lookup', 'deploy/web', '--enabled=false'], 'deployment/web image lookup would be disabled'],
      [['set', 'triggers', 'deploy/web', '--from-image=ruby:2.0', '-c', 'web'], 'deployment/web triggers would be updated'],
      [
        ['prune', '--keep-tag-revisions', '1', '--keep-younger-than', '1h', '--confirm'],
        `would remove shop/ruby:2.0 quay.io/shop/ruby@${D('c')}`,
      ],
    ];
    for (const [args, message] of runs) {
      const r = await cli(d, ...args, '--dry-run');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(message);
      expect(r.stdout).not.toMatch(/^(?!.*would)(Deleted|removed|.* updated$|.* disabled$)/im);
    }
    expect(read(d, 'ruby.yaml')).toBe(files['ruby.yaml']);
    expect(read(d, 'web.yaml')).toBe(files['web.yaml']);
  });
});
