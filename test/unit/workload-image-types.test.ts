/** Issue 14 item 9: an image field that is not a string is a validation error at its place, never a render failure. */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const digest = `sha256:${'a'.repeat(64)}`;
const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: ns
spec:
  lookupPolicy:
    local: true
  tags:
    - name: "1"
      from:
        kind: DockerImage
        name: quay.io/a/b:1
status:
  dockerImageRepository: ""
  tags:
    - tag: "1"
      items:
        - created: "2024-01-01T00:00:00Z"
          dockerImageReference: quay.io/a/b@${digest}
          image: ${digest}
          generation: 1
`;
const deployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ns
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"app:1"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]'
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}
        - name: side
          image: app:1
`;

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe('container images that are not strings', () => {
  for (const [written, shown] of [
    ['y', 'true'],
    ['no', 'false'],
    ['42', '42'],
    ['', 'null'],
  ] as const) {
    it(`image: ${written || '(nothing)'} is reported at its place by validate and reconcile leaves the file alone`, async () => {
      dir = await writeFixture({ 'is.yaml': stream, 'd.yaml': deployment(written) });
      const validate = await runCli(['validate', '.'], { cwd: dir });
      expect(validate.code).toBe(1);
      expect(validate.stdout).toContain(
        `d.yaml:13:18: error image-not-a-string spec.template.spec.containers[0].image: Invalid value: ${shown}: must be a string`,
      );
      const before = await readFile(path.join(dir, 'd.yaml'), 'utf8');
      const reconcile = await runCli(['reconcile', '--offline', '--repo', '.'], { cwd: dir });
      expect(reconcile.code).toBe(1);
      expect(`${reconcile.stdout}${reconcile.stderr}`).not.toMatch(/render error/);
      expect(`${reconcile.stdout}${reconcile.stderr}`).toContain('image-not-a-string');
      expect(await readFile(path.join(dir, 'd.yaml'), 'utf8')).toBe(before);
    });
  }

  it('a quoted "y" is a string and is followed as any other image', async () => {
    dir = await writeFixture({ 'is.yaml': stream, 'd.yaml': deployment('"y"') });
    expect((await runCli(['validate', '.'], { cwd: dir })).code).toBe(0);
    const reconcile = await runCli(['reconcile', '--offline', '--repo', '.'], { cwd: dir });
    expect(reconcile.code).toBe(0);
    expect(await readFile(path.join(dir, 'd.yaml'), 'utf8')).toContain(`image: "quay.io/a/b@${digest}"`);
  });
});
