/** `imagestreams hold` and `unhold` as users run them, and what a hold does to the consumers of its tag. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixturesForThisFile } from '../helpers/fixture-repo.js';

const fixture = fixturesForThisFile();

const newer = `sha256:${'2'.repeat(64)}`;
const older = `sha256:${'1'.repeat(64)}`;
const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  namespace: shop
spec:
  tags:
    - name: prod
      from:
        kind: DockerImage
        name: quay.io/shop/web:2
status:
  dockerImageRepository: ""
  tags:
    - tag: prod
      items:
        - created: "2024-05-02T00:00:00Z"
          dockerImageReference: quay.io/shop/web@${newer}
          image: ${newer}
          generation: 1
        - created: "2024-05-01T00:00:00Z"
          dockerImageReference: quay.io/shop/web@${older}
          image: ${older}
          generation: 1
`;
const values = `image: quay.io/shop/web@${newer} # {"$imagestreamtag": "shop/web:prod"}\n`;

describe('hold and unhold', () => {
  it('hold --image --reason --until writes the hold; consumers get the held image; unhold releases it', async () => {
    const dir = await fixture({ 'is.yaml': stream, 'values.yaml': values });
    const r = await runCli(
      [
        'hold',
        'shop/web:prod',
        '--image',
        older.slice(0, 15),
        '--reason',
        'launch freeze',
        '--until',
        '72h',
        '--now',
        '2024-05-03T00:00:00Z',
      ],
      { cwd: dir },
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`held shop/web:prod at quay.io/shop/web@${older} until 2024-05-06T00:00:00Z\n`);
    const held = await readFile(path.join(dir, 'is.yaml'), 'utf8');
    expect(held).toBe(
      stream.replace(
        '        name: quay.io/shop/web:2\n',
        `        name: quay.io/shop/web:2\n      annotations:\n        imagestreams.dev/hold: '{"image":"quay.io/shop/web@${older}","reason":"launch freeze","since":"2024-05-03T00:00:00Z","until":"2024-05-06T00:00:00Z"}'\n`,
      ),
    );
    const described = await runCli(['describe', 'is/web', '-n', 'shop', '--now', '2024-05-03T00:00:00Z'], { cwd: dir });
    expect(described.stdout).toContain(
      `  held at quay.io/shop/web@${older} until 2024-05-06T00:00:00Z since 2024-05-03T00:00:00Z: launch freeze\n`,
    );
    // Consumers of the tag get the held image while it lasts, and the newest one once it has ended.
    const during = await runCli(['reconcile', '--offline', '--now', '2024-05-04T00:00:00Z'], { cwd: dir });
    expect(during.code).toBe(0);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values.replace(newer, older));
    await runCli(['reconcile', '--offline', '--now', '2024-05-07T00:00:00Z'], { cwd: dir });
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values);

    const released = await runCli(['unhold', 'shop/web:prod'], { cwd: dir });
    expect(released).toMatchObject({ code: 0, stdout: 'released shop/web:prod\n' });
    expect(await readFile(path.join(dir, 'is.yaml'), 'utf8')).toBe(stream);
    expect((await runCli(['unhold', 'shop/web:prod'], { cwd: dir })).stdout).toBe('shop/web:prod is not held\n');
  });

  it("unhold on a policy tag accepts a person's from.name as the policy's new starting point", async () => {
    const policyStream = stream.replace(
      '    - name: prod\n',
      `    - name: prod\n      annotations:\n        imagestreams.dev/policy: '{"semver": "^2"}'\n        imagestreams.dev/policy-choice: 2.1.0\n        imagestreams.dev/hold: '{"reason":"from.name was set to 2 by a commit"}'\n`,
    );
    const dir = await fixture({ 'is.yaml': policyStream });
    expect((await runCli(['unhold', 'web:prod', '-n', 'shop'], { cwd: dir })).code).toBe(0);
    expect(await readFile(path.join(dir, 'is.yaml'), 'utf8')).toBe(
      policyStream
        .replace('        imagestreams.dev/policy-choice: 2.1.0\n', '        imagestreams.dev/policy-choice: "2"\n')
        .replace(/ {8}imagestreams\.dev\/hold: .*\n/, ''),
    );
  });

  it('refuses what it cannot hold, and writes nothing', async () => {
    const dir = await fixture({ 'is.yaml': stream });
    const cases: Array<[string[], number, RegExp]> = [
      [['hold', 'shop/nosuch:prod'], 1, /NotFound.*"nosuch" not found/],
      [['hold', 'shop/web:canary'], 1, /no spec tag "canary"/],
      [['hold', 'web'], 2, /not STREAM:TAG/],
      [['hold', 'shop/web:prod', '--until', 'soon'], 2, /--until/],
      [['hold', 'shop/web:prod', '--image', 'sha256:9999'], 2, /web:prod/],
    ];
    for (const [args, code, error] of cases) {
      const r = await runCli(args, { cwd: dir });
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(error);
    }
    expect(await readFile(path.join(dir, 'is.yaml'), 'utf8')).toBe(stream);
  });
});
