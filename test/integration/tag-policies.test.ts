/**
 * Tag policies, holds and rollbacks against the real registry (docs/policies.md): `reconcile` as a user runs it,
 * with the registry behind a counting proxy so the cost of each check (one tags/list walk, one HEAD for the chosen
 * tag) is asserted, not assumed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { startCountingProxy } from '../support/counting-proxy.js';
import type { CountingProxy } from '../support/counting-proxy.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';

const registryUrl = inject('registryUrl');
let proxy: CountingProxy;
let work: string;
const push = (repo: string, tag: string, seed: string): Promise<string> => pushImage({ url: registryUrl }, repo, tag, buildImage({ seed }));

const stream = (name: string, tag: string, from: string, policy: string): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: shop
spec:
  tags:
    - name: ${tag}
      annotations:
        imagestreams.dev/policy: '${policy}'
      from:
        kind: DockerImage
        name: ${from}
      importPolicy:
        insecure: true
`;

const file = (name: string): string => path.join(work, `${name}.yaml`);
const specTag = (name: string): { from: { name: string }; annotations: Record<string, string> } => {
  const doc = parseAllDocuments(readFileSync(file(name), 'utf8'))[0]?.toJS() as { spec: { tags: Array<never> } };
  return doc.spec.tags[0] as never;
};
const env = (): Record<string, string> => ({ HOME: work, XDG_CACHE_HOME: path.join(work, '.cache') });
const reconcile = (now: string, ...more: string[]) =>
  runCli(['reconcile', '--now', now, '--exclude', '.cache/**', ...more], { cwd: work, env: env() });

beforeAll(async () => {
  proxy = await startCountingProxy(registryUrl);
  work = mkdtempSync(path.join(tmpdir(), 'imagestreams-policies-'));
});
afterAll(async () => {
  await proxy.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a semver policy', () => {
  it('moves from.name to the highest matching release, ignoring a major bump and a prerelease, at one tags/list and one HEAD per check', async () => {
    await push('pol/web', '1.2.3', 'pol-web-123');
    writeFileSync(file('web'), stream('web', 'stable', `${proxy.host}/pol/web:1.2.3`, '{"semver": ">=1.2 <2"}'));
    const first = await reconcile('2024-05-01T12:00:00Z');
    expect(first.code).toBe(0);
    expect(specTag('web').from.name).toBe(`${proxy.host}/pol/web:1.2.3`);
    expect(first.stdout).toContain('shop/web:stable  policy: stays 1.2.3 (the highest version matching >=1.2 <2 of 1 matching tag)');

    const d130 = await push('pol/web', '1.3.0', 'pol-web-130');
    await push('pol/web', '2.0.0', 'pol-web-200');
    await push('pol/web', '1.4.0-rc.1', 'pol-web-140rc1');
    const second = await reconcile('2024-05-01T12:20:00Z');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('shop/web:stable  policy: 1.2.3 -> 1.3.0');
    const tag = specTag('web');
    expect(tag.from.name).toBe(`${proxy.host}/pol/web:1.3.0`);
    expect(tag.annotations['imagestreams.dev/policy-choice']).toBe('1.3.0');
    expect(readFileSync(file('web'), 'utf8')).toContain(`image: ${d130}`);

    // Nothing new: the check is one tags/list walk and one HEAD of the chosen tag (after the registry ping).
    proxy.reset();
    const third = await reconcile('2024-05-01T12:40:00Z');
    expect(third.stdout).toMatch(/^0 files changed/m);
    expect(proxy.requests.filter((q) => q.path !== '/v2/').map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /v2/pol/web/tags/list',
      'HEAD /v2/pol/web/manifests/1.3.0',
    ]);
  });
});

describe('a pattern policy with an extracted build number', () => {
  it('follows the highest main-<n> by number, not by name', async () => {
    for (const t of ['main-7', 'main-12', 'main-9', 'feature-99']) await push('pol/app', t, `pol-app-${t}`);
    writeFileSync(
      file('app'),
      stream(
        'app',
        'main',
        `${proxy.host}/pol/app:main-7`,
        '{"pattern": "^main-(?P<build>[0-9]+)$", "extract": "build", "order": "numerical"}',
      ),
    );
    const r = await reconcile('2024-05-01T13:00:00Z');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('shop/app:main  policy: main-7 -> main-12 (the highest number (group build) of 3 matching tags)');
    expect(specTag('app').from.name).toBe(`${proxy.host}/pol/app:main-12`);
  });
});

describe('a first-seen policy', () => {
  it('follows the tag this tool saw first most recently, across passes, whatever its name', async () => {
    await push('pol/nightly', 'nightly-b', 'pol-n-b');
    writeFileSync(
      file('nightly'),
      stream('nightly', 'latest', `${proxy.host}/pol/nightly:nightly-b`, '{"pattern": "^nightly-", "order": "first-seen"}'),
    );
    await reconcile('2024-05-01T14:00:00Z');
    expect(specTag('nightly').from.name).toBe(`${proxy.host}/pol/nightly:nightly-b`);
    expect(JSON.parse(specTag('nightly').annotations['imagestreams.dev/first-seen'] ?? '{}')).toEqual({
      'nightly-b': '2024-05-01T14:00:00Z',
    });
    await push('pol/nightly', 'nightly-a', 'pol-n-a');
    await reconcile('2024-05-01T14:30:00Z');
    expect(specTag('nightly').from.name).toBe(`${proxy.host}/pol/nightly:nightly-a`);
  });
});

describe('holds', () => {
  it('a held tag is not imported and its policy does not move it, whatever is pushed', async () => {
    const text = readFileSync(file('web'), 'utf8').replace(
      '        imagestreams.dev/policy-choice: 1.3.0\n',
      '        imagestreams.dev/policy-choice: 1.3.0\n        imagestreams.dev/hold: "true"\n',
    );
    writeFileSync(file('web'), text);
    await push('pol/web', '1.5.0', 'pol-web-150');
    proxy.reset();
    const r = await reconcile('2024-05-01T15:00:00Z');
    expect(r.code).toBe(0);
    expect(readFileSync(file('web'), 'utf8')).toBe(text);
    expect(proxy.requests.filter((q) => q.path.startsWith('/v2/pol/web/'))).toEqual([]);
  });

  it("a person's commit that sets from.name back becomes a hold, and the pass does not undo it", async () => {
    writeFileSync(
      file('web'),
      readFileSync(file('web'), 'utf8').replace('        imagestreams.dev/hold: "true"\n', '').replace(':1.3.0\n', ':1.2.3\n'),
    );
    const r = await reconcile('2024-05-01T16:00:00Z');
    expect(r.code).toBe(0);
    const tag = specTag('web');
    expect(tag.from.name).toBe(`${proxy.host}/pol/web:1.2.3`);
    expect(JSON.parse(tag.annotations['imagestreams.dev/hold'] ?? '{}')).toEqual({
      reason: 'from.name was set to 1.2.3 by a commit, where the policy had chosen 1.3.0',
      since: '2024-05-01T16:00:00Z',
    });
    // And it stays held at the next pass, with 1.5.0 in the registry.
    const before = readFileSync(file('web'), 'utf8');
    await reconcile('2024-05-01T16:30:00Z');
    expect(readFileSync(file('web'), 'utf8')).toBe(before);
  });
});

describe('maturity', () => {
  it('adopts a new digest only once it has been known for the minimum age (the clock is --now)', async () => {
    const d1 = await push('pol/slow', '1', 'pol-slow-1');
    writeFileSync(
      file('slow'),
      `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: slow\n  namespace: shop\nspec:\n  tags:\n    - name: "1"\n      annotations:\n        imagestreams.dev/min-age: 1h\n      from:\n        kind: DockerImage\n        name: ${proxy.host}/pol/slow:1\n      importPolicy:\n        insecure: true\n        scheduled: true\n`,
    );
    // The first image of a tag is adopted at once: there is nothing older to keep.
    await reconcile('2024-06-01T10:00:00Z');
    expect(readFileSync(file('slow'), 'utf8')).toContain(`image: ${d1}`);
    const d2 = await push('pol/slow', '1', 'pol-slow-2');
    const early = await reconcile('2024-06-01T10:20:00Z');
    expect(early.stdout).toContain(
      `shop/slow:1  pending: ${proxy.host}/pol/slow@${d2} (first seen 2024-06-01T10:20:00Z; adopted from 2024-06-01T11:20:00Z)`,
    );
    let text = readFileSync(file('slow'), 'utf8');
    expect(text).not.toContain(`image: ${d2}`);
    expect(JSON.parse(specTag('slow').annotations['imagestreams.dev/pending'] ?? '{}')).toMatchObject({
      image: d2,
      seen: '2024-06-01T10:20:00Z',
    });
    await reconcile('2024-06-01T11:00:00Z');
    expect(readFileSync(file('slow'), 'utf8')).toBe(text); // still young: nothing changes, not even the record
    await reconcile('2024-06-01T11:21:00Z');
    text = readFileSync(file('slow'), 'utf8');
    expect(text).toContain(`image: ${d2}`);
    expect(specTag('slow').annotations['imagestreams.dev/pending']).toBeUndefined();
  });

  it('a policy takes a new tag only once the tag has been seen for the minimum age', async () => {
    await push('pol/aged', '2.0.0', 'pol-aged-200');
    writeFileSync(
      file('aged'),
      stream('aged', 'stable', `${proxy.host}/pol/aged:2.0.0`, '{"semver": "^2"}').replace(
        '        imagestreams.dev/policy: \'{"semver": "^2"}\'\n',
        '        imagestreams.dev/policy: \'{"semver": "^2"}\'\n        imagestreams.dev/min-age: 30m\n',
      ),
    );
    await reconcile('2024-06-02T09:00:00Z');
    await push('pol/aged', '2.1.0', 'pol-aged-210');
    await reconcile('2024-06-02T09:10:00Z');
    expect(specTag('aged').from.name).toBe(`${proxy.host}/pol/aged:2.0.0`);
    await reconcile('2024-06-02T09:41:00Z');
    expect(specTag('aged').from.name).toBe(`${proxy.host}/pol/aged:2.1.0`);
  });
});
