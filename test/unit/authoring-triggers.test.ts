/** `imagestreams set triggers`: exact resulting bytes for annotations and DeploymentConfigs. */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: example   # the example app
  namespace: default
spec:
  template:
    spec:
      initContainers:
      - name: setup
        image: busybox
      containers:
      - name: web
        image: example:latest
      - name: proxy
        image: nginx
`;
const dc = `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: example
  namespace: default
spec:
  triggers:
  - type: ConfigChange
  template:
    spec:
      containers:
      - name: web
        image: example:latest
`;
async function repo(files: Record<string, string>): Promise<string> {
  const d = await writeFixture(files);
  dirs.push(d);
  return d;
}
const read = (d: string, f: string): string => readFileSync(path.join(d, f), 'utf8');
const annotation = (json: string): string => `  annotations:\n    image.openshift.io/triggers: '${json}'\n`;

describe('imagestreams set triggers', () => {
  it('oc set triggers deploy/example --from-image=example:latest -c web', async () => {
    const d = await repo({ 'd.yaml': deploy });
    const r = await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:latest', '-c', 'web'], { cwd: d });
    expect(r).toMatchObject({ code: 0, stdout: 'deployment/example triggers updated\n' });
    const json = '[{"from":{"kind":"ImageStreamTag","name":"example:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]';
    expect(read(d, 'd.yaml')).toBe(deploy.replace('  namespace: default\n', `  namespace: default\n${annotation(json)}`));
  });

  it('an init container, --manual (paused), then --remove; the annotation goes when empty', async () => {
    const d = await repo({ 'd.yaml': deploy });
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=tools:1', '-c', 'setup', '--manual'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toContain('"fieldPath":"spec.template.spec.initContainers[?(@.name==\\"setup\\")].image","paused":true');
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=tools:1', '--remove'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(deploy);
  });

  it('the fieldPath it writes is one the in-cluster controller accepts, and the next reconcile uses it', async () => {
    const d = await repo({
      'd.yaml': deploy,
      'is.yaml': `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: example\n  namespace: default\nspec:\n  tags:\n  - name: latest\n    reference: true\n    from:\n      kind: DockerImage\n      name: quay.io/example/app@sha256:${'a'.repeat(64)}\n`,
    });
    await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:latest', '-c', 'web'], { cwd: d });
    expect((await runCli(['validate'], { cwd: d })).stdout).toMatch(/^0 errors, 0 warnings/);
    expect((await runCli(['reconcile', '--offline', '--now', '2024-05-01T12:00:00Z'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toContain(`        image: quay.io/example/app@sha256:${'a'.repeat(64)}\n      - name: proxy`);
  });

  it('DeploymentConfig ImageChange triggers: add (automatic), --manual, --remove', async () => {
    const d = await repo({ 'dc.yaml': dc });
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:latest', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(dc.replace('  - type: ConfigChange\n', '  - type: ConfigChange\n  - type: ImageChange\n    imageChangeParams:\n      automatic: true\n      containerNames:\n      - web\n      from:\n        kind: ImageStreamTag\n        name: example:latest\n'));
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:latest', '-c', 'web', '--manual'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toContain('      automatic: false\n');
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:latest', '--remove'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(dc);
  });

  it('errors: unknown container, bad --from-image, unknown workload', async () => {
    const d = await repo({ 'd.yaml': deploy });
    const c = await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:latest', '-c', 'api'], { cwd: d });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('container "api" not found in deployment/example (has: web, proxy, setup)');
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example'], { cwd: d })).stderr).toContain('is not of the form <stream>:<tag>');
    expect((await runCli(['set', 'triggers', 'deploy/missing', '--from-image=a:b'], { cwd: d })).stderr).toContain('not found in the repository');
  });
});

describe('more flags', () => {
  it('set triggers --remove-all and --auto; tag --source', async () => {
    const d = await repo({ 'd.yaml': deploy });
    await runCli(['set', 'triggers', 'deploy/example', '--from-image=a:1', '-c', 'web', '--auto'], { cwd: d });
    await runCli(['set', 'triggers', 'deploy/example', '--from-image=b:1', '-c', 'proxy'], { cwd: d });
    expect(read(d, 'd.yaml').match(/"fieldPath"/g)).toHaveLength(2);
    expect(read(d, 'd.yaml')).not.toContain('paused');
    expect((await runCli(['set', 'triggers', 'deploy/example', '--remove-all'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(deploy);
    // `--source docker` reads a short name as a registry reference (docker.io/library/...), not a stream tag.
    const s = await repo({ 'is.yaml': 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: tools\n  namespace: default\nspec:\n  tags: []\n' });
    expect((await runCli(['tag', '--source', 'docker', 'busybox:1.36', 'tools:busybox'], { cwd: s })).code).toBe(0);
    expect(read(s, 'is.yaml')).toContain('        kind: DockerImage\n        name: busybox:1.36\n');
  });
});
