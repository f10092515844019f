/** `imagestreams inspect` in-process, against the shared real registry. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImage, buildMultiArch } from '../support/images.js';
import { pushImage, pushIndex } from '../support/push.js';
import { runCli } from '../helpers/cli.js';

const registryUrl = inject('registryUrl');
const host = inject('registryHost');
const cache = mkdtempSync(path.join(tmpdir(), 'imagestreams-inspect-'));
const env = { HOME: cache, XDG_CACHE_HOME: cache };
let digest: string;
let list: { digest: string; children: string[] };
beforeAll(async () => {
  digest = await pushImage(
    { url: registryUrl },
    'cli/app',
    '1',
    buildImage({ seed: 'cli-inspect', labels: { tier: 'web' }, cmd: ['run'] }),
  );
  list = await pushIndex(
    { url: registryUrl },
    'cli/multi',
    '1',
    buildMultiArch(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      { seed: 'cli-multi' },
    ),
  );
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('imagestreams inspect', () => {
  it('prints the digest, pull spec and metadata', async () => {
    const r = await runCli(['inspect', '--insecure', `${host}/cli/app:1`], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Image:        ${digest}`);
    expect(r.stdout).toContain(`Pull spec:    ${host}/cli/app@${digest}`);
    expect(r.stdout).toContain('Command:      run');
    expect(r.stdout).toContain('  tier=web');
  });

  it('-o json, a platform choice, and exit 4 when some references fail', async () => {
    const r = await runCli(
      ['inspect', '--insecure', '-o', 'json', '--platform', 'linux/arm64', `${host}/cli/multi:1`, `${host}/cli/missing:1`],
      { env },
    );
    expect(r.code).toBe(4);
    const out = JSON.parse(r.stdout) as Array<{
      reference: string;
      ok: boolean;
      image?: { digest: string; listDigest: string };
      failure?: { reason: string };
    }>;
    expect(out[0]).toMatchObject({
      reference: `${host}/cli/multi:1`,
      ok: true,
      image: { digest: list.children[1], listDigest: list.digest },
    });
    expect(out[1]).toMatchObject({ ok: false, failure: { reason: 'NotFound' } });
  });

  it('exit 1 when nothing resolves; exit 2 for a bad platform or an unreadable auth file', async () => {
    expect((await runCli(['inspect', `${host}/cli/app:1`], { env })).code).toBe(1); // HTTP-only without --insecure
    const bad = await runCli(['inspect', '--platform', 'amd64', `${host}/cli/app:1`], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid platform "amd64"');
    const noAuth = await runCli(['inspect', '--auth-file', '/nonexistent/auth.json', `${host}/cli/app:1`], { env });
    expect(noAuth.code).toBe(2);
    expect(noAuth.stderr).toContain('cannot read credentials file /nonexistent/auth.json');
  });
});
