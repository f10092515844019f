/**
 * The oc forms of the reference documents for the image objects (issue 14 items 3 and 5): `describe is NAME` and
 * `is/NAME`, `describe istag/…`, `describe isimage/NAME@ID`, `get is NAME`, `get istag`, names parsed as
 * library-go's imageutil parses them (fixtures/vectors/upstream-imageutil-names.json), and missing objects reported
 * in the server's words with exit 1.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const d1 = `sha256:${'1'.repeat(64)}`;
const d2 = `sha256:${'2'.repeat(64)}`;
const item = (ref: string, image: string, created: string, generation = 1): string =>
  `      - created: "${created}"\n        dockerImageReference: ${ref}\n        image: ${image}\n        generation: ${generation}\n`;
const stream = (name: string, tags: string, status: string, repo = ''): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  lookupPolicy:\n    local: false\n  tags:\n${tags}status:\n  dockerImageRepository: "${repo}"\n  tags:\n${status}`;
const python = stream(
  'python',
  '  - name: "3.5"\n    from:\n      kind: DockerImage\n      name: quay.io/py/python:3.5\n  - name: latest\n    from:\n      kind: DockerImage\n      name: quay.io/py/python:latest\n    referencePolicy:\n      type: Local\n',
  `  - tag: "3.5"\n    items:\n${item(`quay.io/py/python@${d1}`, d1, '2024-01-01T00:00:00Z')}  - tag: latest\n    items:\n${item(`quay.io/py/python@${d2}`, d2, '2024-01-02T00:00:00Z')}`,
  'registry.local:5000/default/python',
);
const named = stream(
  'name',
  '  - name: tag\n    from:\n      kind: DockerImage\n      name: quay.io/n/name:tag\n',
  `  - tag: tag\n    items:\n${item(`quay.io/n/name@${d1}`, d1, '2024-01-01T00:00:00Z')}`,
);
const repo = stream(
  'repo',
  '  - name: v1\n    from:\n      kind: DockerImage\n      name: quay.io/r/repo:v1\n',
  `  - tag: v1\n    items:\n${item(`quay.io/r/repo@${d2}`, d2, '2024-01-01T00:00:00Z')}`,
);
const now = ['--now', '2024-01-02T00:05:00Z'];
let dir = '';
beforeAll(async () => {
  dir = await writeFixture({ 'python.yaml': python, 'name.yaml': named, 'repo.yaml': repo });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args, { cwd: dir });

describe('describe, as the reference documents write it', () => {
  it('describe is python prints what describe is/python prints', async () => {
    const slash = await cli('describe', 'is/python', ...now);
    const space = await cli('describe', 'is', 'python', ...now);
    const long = await cli('describe', 'imagestream', 'python', ...now);
    expect(slash.code).toBe(0);
    expect(slash.stdout).toContain('Name:\t\t\tpython');
    expect(space).toEqual(slash);
    expect(long).toEqual(slash);
  });

  it('describe istag python:latest and istag/python:latest agree', async () => {
    const slash = await cli('describe', 'istag/python:latest', '--offline', ...now);
    expect(slash.code).toBe(0);
    expect(slash.stdout).toContain(d2);
    expect(await cli('describe', 'istag', 'python:latest', '--offline', ...now)).toEqual(slash);
  });

  it('describe isimage/NAME@ID finds the image by a prefix of its id, in every tag’s history', async () => {
    const r = await cli('describe', `isimage/python@${d1.slice(0, 15)}`, '--offline', ...now);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`python@${d1.slice(0, 15)}`);
    expect(r.stdout).toContain(`quay.io/py/python@${d1}`);
    const json = JSON.parse((await cli('describe', 'isimage', `python@${d2}`, '--offline', '-o', 'json')).stdout);
    expect(json.imageStreamImage).toMatchObject({ name: `python@${d2}`, image: d2 });
  });

  it('missing objects: the server’s NotFound, exit 1', async () => {
    const cases: Array<[string[], string]> = [
      [['describe', 'is/nope'], 'Error from server (NotFound): imagestreams.image.openshift.io "nope" not found'],
      [['describe', 'istag/python:9'], 'Error from server (NotFound): imagestreamtags.image.openshift.io "python:9" not found'],
      [['describe', 'istag/nope:1'], 'Error from server (NotFound): imagestreams.image.openshift.io "nope" not found'],
      [
        ['describe', 'isimage/python@sha256:ffff'],
        'Error from server (NotFound): imagestreamimage.image.openshift.io "python@sha256:ffff" not found',
      ],
      [['get', 'is', 'nope'], 'Error from server (NotFound): imagestreams.image.openshift.io "nope" not found'],
      [['get', 'istag', 'python:9'], 'Error from server (NotFound): imagestreamtags.image.openshift.io "python:9" not found'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args, ...(args[0] === 'describe' ? ['--offline'] : []));
      expect({ args, code: r.code, stderr: r.stderr.trim() }).toEqual({ args, code: 1, stderr: `imagestreams: ${message}` });
    }
    expect((await cli('describe', 'deploy/x')).code).toBe(2);
  });
});

describe('get, as the reference documents write it', () => {
  it('get is NAME prints one row; get is/NAME the same', async () => {
    const r = await cli('get', 'is', 'python', ...now);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'NAME     IMAGE REPOSITORY                     TAGS         UPDATED\npython   registry.local:5000/default/python   latest,3.5   5 minutes ago\n',
    );
    expect(await cli('get', 'is/python', ...now)).toEqual(r);
  });

  it('get istag lists every tag with an image: NAME, IMAGE REFERENCE (reference policy applied), UPDATED', async () => {
    const r = await cli('get', 'istag', ...now);
    expect(r.code).toBe(0);
    const local = `registry.local:5000/default/python@${d2}`;
    const row = (name: string, ref: string, updated: string): string => `${name.padEnd(16)}${ref.padEnd(local.length + 3)}${updated}`;
    expect(r.stdout).toBe(
      [
        row('NAME', 'IMAGE REFERENCE', 'UPDATED'),
        row('name:tag', `quay.io/n/name@${d1}`, '24 hours ago'),
        row('python:3.5', `quay.io/py/python@${d1}`, '24 hours ago'),
        row('python:latest', local, '5 minutes ago'),
        row('repo:v1', `quay.io/r/repo@${d2}`, '24 hours ago'),
        '',
      ].join('\n'),
    );
    const one = await cli('get', 'istag', 'python:3.5', ...now);
    expect(one.stdout.split('\n')[1]).toBe(`python:3.5   quay.io/py/python@${d1}   24 hours ago`);
  });
});

interface NameVectors {
  readonly _source: { readonly repo: string; readonly commit: string; readonly path: string };
  readonly istag: ReadonlyArray<{ name: string; id: string; expectError: boolean; expectedName?: string; expectedTag?: string }>;
  readonly isimage: ReadonlyArray<{ name: string; input: string; expectError: boolean; expectedRepo?: string; expectedId?: string }>;
}
const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/vectors/upstream-imageutil-names.json', import.meta.url), 'utf8'),
) as NameVectors;

describe(`${vectors._source.repo} ${vectors._source.path} (${vectors._source.commit}) through describe`, () => {
  for (const c of vectors.istag) {
    it(`TestParseImageStreamTagName: ${c.name} (${JSON.stringify(c.id)})`, async () => {
      const r = await cli('describe', `istag/${c.id}`, '--offline', ...now);
      if (c.expectError) {
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('Error from server (BadRequest): ImageStreamTags must be retrieved with <name>:<tag>');
      } else {
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`${c.expectedName}:${c.expectedTag}`);
      }
    });
  }
  for (const c of vectors.isimage) {
    it(`TestParseImageStreamImageName: ${c.name} (${JSON.stringify(c.input)})`, async () => {
      const r = await cli('describe', `isimage/${c.input}`, '--offline', ...now);
      if (c.expectError) {
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('Error from server (BadRequest): ImageStreamImages must be retrieved with <name>@<id>');
      } else {
        // Parsed into the stream and the id: the stream is found, the id is looked for in it.
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`imagestreamimage.image.openshift.io "${c.expectedRepo}@${c.expectedId}" not found`);
      }
    });
  }
});
