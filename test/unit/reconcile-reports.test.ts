/**
 * Reports are exact: `reconcile --dry-run -o json` is one JSON document with the diff inside it, a tracking tag's
 * report names the image it showed before, and a local registry configured later updates
 * status.dockerImageRepository and every Local pull spec resolved from it.
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
const ev = (c: string, gen: number): string =>
  `    - created: "2024-04-0${gen}T00:00:00Z"\n      dockerImageReference: quay.io/shop/ruby@${D(c)}\n      image: ${D(c)}\n      generation: ${gen}\n`;
const stream = (policy: string): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ruby
  namespace: shop
spec:
  tags:
  - name: "2.0"
    from:
      kind: DockerImage
      name: quay.io/shop/ruby:2.0
    referencePolicy:
      type: ${policy}
  - name: latest
    from:
      kind: ImageStreamTag
      name: "2.0"
status:
  dockerImageRepository: ""
  tags:
  - tag: "2.0"
    items:
${ev('b', 3)}${ev('a', 2)}  - tag: latest
    items:
${ev('a', 2)}`;
const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"ruby:2.0"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]'
spec:
  template:
    spec:
      containers:
      - name: web
        image: quay.io/shop/ruby@${D('b')}
`;
async function repo(files: Record<string, string>): Promise<string> {
  const d = await writeFixture(files);
  dirs.push(d);
  return d;
}
const now = '2024-05-01T12:00:00Z';
const reconcile = (d: string, ...args: string[]) => runCli(['reconcile', '--offline', '--now', now, '-n', 'shop', ...args], { cwd: d });

describe('reconcile reports', () => {
  it('--dry-run -o json is one JSON document with the diff inside; nothing is written', async () => {
    const files = { 'ruby.yaml': stream('Source'), 'web.yaml': deploy };
    const d = await repo(files);
    const r = await reconcile(d, '--dry-run', '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { diff: string; edits: unknown[]; changes: Array<{ tag: string }> };
    expect(doc.diff).toContain('--- a/ruby.yaml\n+++ b/ruby.yaml\n');
    expect(doc.diff).toContain(`+      image: ${D('b')}`);
    expect(doc.edits.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(d, 'ruby.yaml'), 'utf8')).toBe(files['ruby.yaml']);
    // Without --dry-run there is no diff field; the text form still prints the diff before the summary.
    expect(JSON.parse((await reconcile(d, '--check', '-o', 'json')).stdout)).not.toHaveProperty('diff');
    expect((await reconcile(d, '--dry-run')).stdout).toMatch(/^--- a\/ruby\.yaml\n/);
  });

  it("a tracking tag's report shows the image it showed before, not (none)", async () => {
    const d = await repo({ 'ruby.yaml': stream('Source') });
    const r = await reconcile(d);
    expect(r.stdout).toContain(`shop/ruby:latest  tracked: ${D('a')} -> ${D('b')}\n`);
    expect(r.stdout).not.toContain('(none)');
    const json = JSON.parse((await reconcile(d, '-o', 'json')).stdout) as { changes: unknown[] };
    expect(json.changes).toEqual([]);
  });

  it('--local-registry added later updates status.dockerImageRepository and the Local pull specs that follow it', async () => {
    const d = await repo({ 'ruby.yaml': stream('Local'), 'web.yaml': deploy });
    expect((await reconcile(d)).code).toBe(0);
    const read = (f: string) => readFileSync(path.join(d, f), 'utf8');
    // No local registry: Local falls back to the source pull spec (§7.2); the workload already has it.
    expect(read('web.yaml')).toBe(deploy);
    const r = await reconcile(d, '--local-registry', 'registry.local:5000');
    expect(r.code).toBe(0);
    const s = parse(read('ruby.yaml')) as { status: { dockerImageRepository: string } };
    expect(s.status.dockerImageRepository).toBe('registry.local:5000/shop/ruby');
    expect(read('web.yaml')).toBe(deploy.replace(`image: quay.io/shop/ruby@${D('b')}`, `image: registry.local:5000/shop/ruby@${D('b')}`));
    // Converged: the next pass with the same registry has nothing to do; another registry moves both again.
    expect((await reconcile(d, '--local-registry', 'registry.local:5000', '--check')).code).toBe(0);
    await reconcile(d, '--local-registry', 'mirror.example');
    expect(read('web.yaml')).toContain(`image: mirror.example/shop/ruby@${D('b')}`);
    expect((parse(read('ruby.yaml')) as { status: { dockerImageRepository: string } }).status.dockerImageRepository).toBe(
      'mirror.example/shop/ruby',
    );
  });
});
