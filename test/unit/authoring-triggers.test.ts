/** `imagestreams set triggers`: exact resulting bytes for annotations and DeploymentConfigs. */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
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
    const json =
      '[{"from":{"kind":"ImageStreamTag","name":"example:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]';
    expect(read(d, 'd.yaml')).toBe(deploy.replace('  namespace: default\n', `  namespace: default\n${annotation(json)}`));
  });

  it('an init container, --manual (paused), then --remove; the annotation goes when empty', async () => {
    const d = await repo({ 'd.yaml': deploy });
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=tools:1', '-c', 'setup', '--manual'], { cwd: d })).code).toBe(
      0,
    );
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
    expect(read(d, 'dc.yaml')).toBe(
      dc.replace(
        '  - type: ConfigChange\n',
        '  - type: ConfigChange\n  - type: ImageChange\n    imageChangeParams:\n      automatic: true\n      containerNames:\n      - web\n      from:\n        kind: ImageStreamTag\n        name: example:latest\n',
      ),
    );
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:latest', '-c', 'web', '--manual'], { cwd: d })).code).toBe(
      0,
    );
    expect(read(d, 'dc.yaml')).toContain('      automatic: false\n');
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:latest', '--remove'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(dc);
  });

  it('errors: unknown container, bad --from-image, unknown workload', async () => {
    const d = await repo({ 'd.yaml': deploy });
    const c = await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:latest', '-c', 'api'], { cwd: d });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('container "api" not found in deployment/example (has: web, proxy, setup)');
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example'], { cwd: d })).stderr).toContain(
      'is not of the form <stream>:<tag>',
    );
    const missing = await runCli(['set', 'triggers', 'deploy/missing', '--from-image=a:b'], { cwd: d });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): deployments.apps "missing" not found');
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
    const s = await repo({
      'is.yaml':
        'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: tools\n  namespace: default\nspec:\n  tags: []\n',
    });
    expect((await runCli(['tag', '--source', 'docker', 'busybox:1.36', 'tools:busybox'], { cwd: s })).code).toBe(0);
    expect(read(s, 'is.yaml')).toContain('        kind: DockerImage\n        name: busybox:1.36\n');
  });
});

describe('set triggers replaces the trigger already on the container (one writer per field)', () => {
  const fp = (sel: string, list = 'containers'): string => `spec.template.spec.${list}[${sel}].image`;
  const entry = (name: string, fieldPath: string, extra = ''): string =>
    `{"from":{"kind":"ImageStreamTag","name":"${name}"},"fieldPath":"${fieldPath.replace(/"/g, '\\"')}"${extra}}`;
  /** The deployment with the annotation holding these entries (JSON, written single-quoted as YAML). */
  const withEntries = (...entries: string[]): string =>
    deploy.replace('  namespace: default\n', `  namespace: default\n${annotation(`[${entries.join(',')}]`.replace(/'/g, "''"))}`);
  const upstream = fp('?(@.name=="web")');

  const forms: Array<[string, string, string]> = [
    ['an index', fp('0'), fp('0')],
    ['the upstream name selector', upstream, upstream],
    ["the documentation's quoting (rewritten: the cluster rejects it)", fp("?(@.name='web')"), upstream],
    ['the other documented quoting', fp('?(@.name="web")'), upstream],
  ];
  for (const [what, before, after] of forms) {
    it(`--from-image=example:2 -c web over an entry written with ${what}`, async () => {
      const d = await repo({ 'd.yaml': withEntries(entry('tools:1', fp('0', 'initContainers')), entry('example:1', before)) });
      const r = await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:2', '-c', 'web'], { cwd: d });
      expect(r.code).toBe(0);
      expect(read(d, 'd.yaml')).toBe(withEntries(entry('tools:1', fp('0', 'initContainers')), entry('example:2', after)));
      expect((await runCli(['validate'], { cwd: d })).stdout).not.toContain('duplicate-trigger-target');
    });
  }

  it('--manual pauses the entry already there instead of adding one; --auto unpauses it', async () => {
    const d = await repo({ 'd.yaml': withEntries(entry('example:1', fp('0'))) });
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:1', '-c', 'web', '--manual'], { cwd: d })).code).toBe(
      0,
    );
    expect(read(d, 'd.yaml')).toBe(withEntries(entry('example:1', fp('0'), ',"paused":true')));
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:1', '-c', 'web', '--auto'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(withEntries(entry('example:1', fp('0'))));
  });

  it('a second writer on the same container (the duplicate-trigger-target error) is removed, and validate is clean', async () => {
    const d = await repo({
      'd.yaml': withEntries(entry('example:1', fp('0')), entry('tools:1', fp('0', 'initContainers')), entry('example:3', upstream)),
    });
    expect((await runCli(['validate'], { cwd: d })).stdout).toContain('error duplicate-trigger-target');
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:2', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(withEntries(entry('example:2', fp('0')), entry('tools:1', fp('0', 'initContainers'))));
    expect((await runCli(['validate'], { cwd: d })).stdout).not.toContain('duplicate-trigger-target');
  });

  it('running it again changes nothing', async () => {
    const d = await repo({ 'd.yaml': withEntries(entry('example:2', fp('0'))) });
    const r = await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:2', '-c', 'web', '--dry-run'], { cwd: d });
    expect(r.stdout).toBe('deployment/example triggers would be updated\n');
    expect(read(d, 'd.yaml')).toBe(withEntries(entry('example:2', fp('0'))));
  });

  it('entries left alone keep their exact text (spacing inside the JSON included)', async () => {
    const spaced = '{"from": {"kind": "ImageStreamTag", "name": "tools:1"}, "fieldPath": "spec.template.spec.initContainers[0].image"}';
    const d = await repo({
      'd.yaml': deploy.replace(
        '  namespace: default\n',
        `  namespace: default\n${annotation(`[${spaced}, ${entry('example:1', fp('0'))}]`)}`,
      ),
    });
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:2', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(
      deploy.replace('  namespace: default\n', `  namespace: default\n${annotation(`[${spaced}, ${entry('example:2', fp('0'))}]`)}`),
    );
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:2', '-c', 'proxy'], { cwd: d })).code).toBe(0);
    expect(read(d, 'd.yaml')).toBe(
      deploy.replace(
        '  namespace: default\n',
        `  namespace: default\n${annotation(`[${spaced}, ${entry('example:2', fp('0'))}, ${entry('example:2', fp('?(@.name=="proxy")'))}]`)}`,
      ),
    );
  });

  it('--remove -c NAME takes out the entry on that container, in whatever form it is written', async () => {
    const d = await repo({ 'd.yaml': withEntries(entry('example:1', fp('0')), entry('example:1', fp('?(@.name=="proxy")'))) });
    expect((await runCli(['set', 'triggers', 'deploy/example', '--from-image=example:1', '--remove', '-c', 'web'], { cwd: d })).code).toBe(
      0,
    );
    expect(read(d, 'd.yaml')).toBe(withEntries(entry('example:1', fp('?(@.name=="proxy")'))));
  });

  const dcWith = (triggers: string): string =>
    dc
      .replace('  - type: ConfigChange\n', `  - type: ConfigChange\n${triggers}`)
      .replace('        image: example:latest\n', '        image: example:latest\n      - name: proxy\n        image: nginx\n');
  const imageChange = (from: string, names: string, extra = ''): string =>
    `  - type: ImageChange\n    imageChangeParams:\n      automatic: true\n      containerNames: [${names}]\n      from:\n        kind: ImageStreamTag\n        name: ${from}\n${extra}`;

  it('DeploymentConfig: a trigger naming only that container is changed where it stands (lastTriggeredImage goes with the old tag)', async () => {
    const last = `      lastTriggeredImage: quay.io/example/app@sha256:${'a'.repeat(64)}\n`;
    const d = await repo({ 'dc.yaml': dcWith(imageChange('example:1', 'web', last) + imageChange('tools:1', 'proxy')) });
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:2', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(dcWith(imageChange('example:2', 'web') + imageChange('tools:1', 'proxy')));
    // --manual on it: automatic: false, nothing added.
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:2', '-c', 'web', '--manual'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(
      dcWith(imageChange('example:2', 'web').replace('automatic: true', 'automatic: false') + imageChange('tools:1', 'proxy')),
    );
  });

  it('DeploymentConfig: a container taken from a trigger that names others too, into the trigger that follows the tag', async () => {
    const d = await repo({ 'dc.yaml': dcWith(imageChange('example:1', 'web, proxy') + imageChange('tools:1', 'other')) });
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=tools:1', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(dcWith(imageChange('example:1', 'proxy') + imageChange('tools:1', 'other, web')));
    expect((await runCli(['validate'], { cwd: d })).stdout).not.toContain('duplicate-trigger-target');
  });

  it('DeploymentConfig: a new trigger when none can carry it; the old one keeps its other containers', async () => {
    const d = await repo({ 'dc.yaml': dcWith(imageChange('example:1', 'web, proxy')) });
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:2', '-c', 'web'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(
      dcWith(
        `${imageChange('example:1', 'proxy')}  - type: ImageChange\n    imageChangeParams:\n      automatic: true\n      containerNames:\n      - web\n      from:\n        kind: ImageStreamTag\n        name: example:2\n`,
      ),
    );
    // --remove -c proxy takes proxy out; the trigger left naming nothing goes.
    expect((await runCli(['set', 'triggers', 'dc/example', '--from-image=example:1', '--remove', '-c', 'proxy'], { cwd: d })).code).toBe(0);
    expect(read(d, 'dc.yaml')).toBe(
      dcWith(
        '  - type: ImageChange\n    imageChangeParams:\n      automatic: true\n      containerNames:\n      - web\n      from:\n        kind: ImageStreamTag\n        name: example:2\n',
      ),
    );
  });
});
