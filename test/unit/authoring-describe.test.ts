/** `describe` and `get` against the layout in the reference documents, with an injected clock. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataCache } from '../../src/import/cache.js';
import { humanAgo, humanSize } from '../../src/cli/authoring/describe-command.js';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';
import { buildImage } from '../support/images.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const image = buildImage({
  seed: 'describe',
  created: '2017-09-18T12:00:00Z',
  entrypoint: ['container-entrypoint'],
  cmd: ['/bin/sh', '-c', '$STI_SCRIPTS_PATH/usage'],
  workingDir: '/opt/app-root/src',
  user: '1001',
  exposedPorts: ['8080/tcp'],
  labels: { 'build-date': '20170801' },
});
const digest = image.manifest.digest;

// The reference documents' `oc describe is/python` after `oc tag python:3.5 python:latest`.
const python = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: python
  namespace: default
  creationTimestamp: "2017-10-02T17:00:11Z"
  annotations:
    openshift.io/image.dockerRepositoryCheck: "2017-10-02T17:05:11Z"
spec:
  lookupPolicy:
    local: false
  tags:
  - name: "3.5"
    from:
      kind: DockerImage
      name: centos/python-35-centos7
  - name: latest
    from:
      kind: ImageStreamImage
      name: python@${digest}
status:
  dockerImageRepository: docker-registry.default.svc:5000/default/python
  tags:
  - tag: "3.5"
    items:
    - created: "2017-10-02T17:00:11Z"
      dockerImageReference: centos/python-35-centos7@${digest}
      image: ${digest}
      generation: 2
  - tag: latest
    items:
    - created: "2017-10-02T17:04:30Z"
      dockerImageReference: centos/python-35-centos7@${digest}
      image: ${digest}
      generation: 3
`;
const now = '2017-10-02T17:05:30Z';

describe('imagestreams describe', () => {
  it('is/python, as oc describe is/python prints it', async () => {
    const d = await writeFixture({ 'python.yaml': python });
    dirs.push(d);
    const r = await runCli(['describe', 'is/python', '--now', now], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Name:\t\t\tpython
Namespace:\t\tdefault
Created:\t\t5 minutes ago
Labels:\t\t\t<none>
Annotations:\t\topenshift.io/image.dockerRepositoryCheck=2017-10-02T17:05:11Z
Docker Pull Spec:\tdocker-registry.default.svc:5000/default/python
Image Lookup:\t\tlocal=false
Unique Images:\t\t1
Tags:\t\t\t2

latest
  tagged from python@${digest}

  * centos/python-35-centos7@${digest}
      About a minute ago

3.5
  tagged from centos/python-35-centos7

  * centos/python-35-centos7@${digest}
      5 minutes ago
`);
  });

  it('istag/python:latest with the image metadata from the cache', async () => {
    const d = await writeFixture({ 'python.yaml': python });
    dirs.push(d);
    const cache = new MetadataCache(path.join(d, '.cache'));
    await cache.putManifest(digest, image.manifest.data, image.manifest.mediaType);
    await cache.putBlob(image.config.digest, image.config.data);
    const r = await runCli(['describe', 'istag/python:latest', '--now', now, '--cache-dir', '.cache'], { cwd: d, env: { HOME: d } });
    expect(r.stderr).toBe('');
    const size = image.layers.reduce((n, l) => n + l.size, 0);
    expect(r.stdout).toBe(`Image Name:\t${digest}
Docker Image:\tcentos/python-35-centos7@${digest}
Name:\t\tpython:latest
Created:\tAbout a minute ago
Image Size:\t${humanSize(size)} (first layer ${humanSize(image.layers[0]?.size ?? 0)}, last binary layer ${humanSize(image.layers.at(-1)?.size ?? 0)})
Image Created:\t2 weeks ago
Author:\t\t<none>
Arch:\t\tamd64
Entrypoint:\tcontainer-entrypoint
Command:\t/bin/sh -c $STI_SCRIPTS_PATH/usage
Working Dir:\t/opt/app-root/src
User:\t\t1001
Exposes Ports:\t8080/tcp
Docker Labels:\tbuild-date=20170801
Environment:\tPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
`);
  });

  it('-o json prints the object; unknown kinds are usage errors, missing objects not found (exit 1)', async () => {
    const d = await writeFixture({ 'python.yaml': python });
    dirs.push(d);
    const r = await runCli(['describe', 'is/python', '-o', 'json'], { cwd: d });
    expect(JSON.parse(r.stdout)).toMatchObject({ metadata: { name: 'python' } });
    expect((await runCli(['describe', 'deploy/x'], { cwd: d })).code).toBe(2);
    const missing = await runCli(['describe', 'is/nope'], { cwd: d });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): imagestreams.image.openshift.io "nope" not found');
  });
});

describe('imagestreams get is', () => {
  it('prints the oc table', async () => {
    const d = await writeFixture({ 'python.yaml': python });
    dirs.push(d);
    const r = await runCli(['get', 'is', '--now', now], { cwd: d });
    expect(r.stdout).toBe(
      'NAME     IMAGE REPOSITORY                                  TAGS         UPDATED\npython   docker-registry.default.svc:5000/default/python   latest,3.5   About a minute ago\n',
    );
  });
});

describe('human durations and sizes (docker/go-units, as oc prints them)', () => {
  const at = (s: number): string => humanAgo('2020-01-01T00:00:00Z', Date.parse('2020-01-01T00:00:00Z') + s * 1000);
  it.each([
    [0, 'Less than a second ago'],
    [1, '1 second ago'],
    [59, '59 seconds ago'],
    [60, 'About a minute ago'],
    [300, '5 minutes ago'],
    [3600, 'About an hour ago'],
    [3 * 3600, '3 hours ago'],
    [3 * 86400, '3 days ago'],
    [15 * 86400, '2 weeks ago'],
    [90 * 86400, '3 months ago'],
    [800 * 86400, '2 years ago'],
  ])('%i s → %s', (s, text) => expect(at(s)).toBe(text));
  it('sizes', () => {
    expect(humanSize(251_200_000)).toBe('251.2 MB');
    expect(humanSize(2_898_000)).toBe('2.898 MB');
    expect(humanSize(999)).toBe('999 B');
  });
});

describe('-o json and yaml', () => {
  it('get is -o json lists the objects; describe is -o yaml prints the object', async () => {
    const d = await writeFixture({ 'python.yaml': python });
    dirs.push(d);
    const list = JSON.parse((await runCli(['get', 'is', '-o', 'json'], { cwd: d })).stdout) as {
      kind: string;
      items: Array<{ metadata: { name: string } }>;
    };
    expect(list).toMatchObject({ kind: 'List', items: [{ metadata: { name: 'python' } }] });
    expect((await runCli(['describe', 'is/python', '-o', 'yaml'], { cwd: d })).stdout).toMatch(
      /^apiVersion: image.openshift.io\/v1\nkind: ImageStream\n/,
    );
  });
});
