/**
 * DeploymentConfig ImageChange triggers as the apps API and the trigger controller read them: `kind: ImageStream`
 * and the legacy `ImageRepository` are ImageStreamTags (a bare name is that stream's latest), a trigger without a
 * type is invalid, a manual trigger never sets the image, and no container moves while an automatic trigger is
 * unresolved.
 */
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
const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: shop
spec:
  tags:
  - name: latest
    from: {kind: DockerImage, name: quay.io/shop/app:latest}
  - name: "1"
    from: {kind: DockerImage, name: quay.io/shop/app:1}
status:
  dockerImageRepository: ""
  tags:
  - tag: "1"
    items:
    - {created: "2024-04-01T00:00:00Z", dockerImageReference: "quay.io/shop/app@${D('1')}", image: "${D('1')}", generation: 1}
  - tag: latest
    items:
    - {created: "2024-04-01T00:00:00Z", dockerImageReference: "quay.io/shop/app@${D('a')}", image: "${D('a')}", generation: 1}
`;
const dc = (triggers: string, containers = '      - name: web\n        image: x\n'): string =>
  `apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  name: dc\n  namespace: shop\nspec:\n  triggers:\n${triggers}  template:\n    spec:\n      containers:\n${containers}`;
const change = (kind: string, name: string, container = 'web', automatic = true): string =>
  `  - type: ImageChange\n    imageChangeParams:\n      automatic: ${automatic}\n      containerNames: [${container}]\n      from: {kind: ${kind}, name: "${name}"}\n`;
async function run(files: Record<string, string>): Promise<{ code: number; out: string; dc: string }> {
  const d = await writeFixture({ 'app.yaml': stream, ...files });
  dirs.push(d);
  const r = await runCli(['reconcile', '--offline', '--now', '2024-05-01T12:00:00Z'], { cwd: d });
  return { code: r.code, out: r.stdout + r.stderr, dc: readFileSync(path.join(d, 'dc.yaml'), 'utf8') };
}

describe('DeploymentConfig triggers', () => {
  it("kind: ImageStream with a bare name follows that stream's latest tag; with a tag, that tag", async () => {
    const r = await run({ 'dc.yaml': dc(change('ImageStream', 'app')) });
    expect(r.code).toBe(0);
    expect(r.dc).toContain(`        image: quay.io/shop/app@${D('a')}\n`);
    expect(r.dc).toContain(`      lastTriggeredImage: quay.io/shop/app@${D('a')}\n`);
    const tagged = await run({ 'dc.yaml': dc(change('ImageStream', 'app:1')) });
    expect(tagged.dc).toContain(`        image: quay.io/shop/app@${D('1')}\n`);
  });

  it('the legacy kind ImageRepository reads the same way', async () => {
    const r = await run({ 'dc.yaml': dc(change('ImageRepository', 'app')) });
    expect(r.code).toBe(0);
    expect(r.dc).toContain(`        image: quay.io/shop/app@${D('a')}\n`);
  });

  it('validate accepts the stream kinds, and still refuses a bare ImageStreamTag name', async () => {
    const d = await writeFixture({
      'app.yaml': stream,
      'dc.yaml': dc(
        change('ImageStream', 'app') + change('ImageStreamTag', 'app', 'web2'),
        '      - name: web\n        image: x\n      - name: web2\n        image: busybox\n',
      ),
    });
    dirs.push(d);
    const r = await runCli(['validate', '-o', 'json', '.'], { cwd: d });
    const found = (JSON.parse(r.stdout) as Array<{ code: string; pointer: string; severity: string }>).filter(
      (x) => x.severity === 'error',
    );
    expect(found.map((x) => [x.code, x.pointer])).toEqual([['trigger-invalid-from-name', '/spec/triggers/1/imageChangeParams/from/name']]);
  });

  it('a trigger without a type is invalid: the file is left alone', async () => {
    const untyped = change('ImageStreamTag', 'app:1').replace('  - type: ImageChange\n    imageChangeParams:', '  - imageChangeParams:');
    const r = await run({ 'dc.yaml': dc(untyped) });
    expect(r.code).toBe(1);
    expect(r.out).toContain('spec.triggers[0].type: Required value');
    expect(r.dc).toBe(dc(untyped));
  });

  it('automatic: false never sets the image, not even the first time; image lookup leaves the container alone too', async () => {
    const manual = dc(change('ImageStreamTag', 'app:1', 'web', false), '      - name: web\n        image: app:1\n');
    const r = await run({
      'dc.yaml': manual,
      'app.yaml': stream.replace('spec:\n  tags:', 'spec:\n  lookupPolicy: {local: true}\n  tags:'),
    });
    expect(r.code).toBe(0);
    expect(r.dc).toBe(manual);
    expect(r.out).toContain('spec.triggers[0] (app:1): automatic is false; the trigger controller does not set its image');
  });

  it('no container moves while any automatic trigger is unresolved (the others resolve)', async () => {
    const two = dc(
      change('ImageStreamTag', 'app:1') + change('ImageStreamTag', 'ghost:1', 'side'),
      '      - name: web\n        image: x\n      - name: side\n        image: busybox\n',
    );
    const r = await run({ 'dc.yaml': two });
    expect(r.code).toBe(0);
    expect(r.dc).toBe(two);
    expect(r.out).toContain(
      'left unchanged: spec.triggers[1] (ghost:1): its tag has no image and it has no lastTriggeredImage; no container is updated until every automatic trigger resolves',
    );
    // An unresolved trigger that fired before keeps its containers at lastTriggeredImage, and the others move.
    const fired = two.replace(
      '      from: {kind: ImageStreamTag, name: "ghost:1"}\n',
      '      from: {kind: ImageStreamTag, name: "ghost:1"}\n      lastTriggeredImage: old\n',
    );
    const again = await run({ 'dc.yaml': fired });
    expect(again.dc).toContain(`        image: quay.io/shop/app@${D('1')}\n`);
    expect(again.dc).toContain('      - name: side\n        image: old\n');
  });
});
