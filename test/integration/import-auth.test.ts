/** Imports from real registries that need credentials: htpasswd over TLS with its own CA, and token auth. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FullImportRequest } from '../../src/import/index.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import type { Registry } from '../support/registry.js';
import { startRegistry } from '../support/registry.js';
import type { TokenServer } from '../support/token-server.js';
import { startTokenServer } from '../support/token-server.js';
import { makeTempDir, removeDir } from '../support/tmp.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const req = (from: string, extra: Partial<FullImportRequest> = {}): FullImportRequest => ({
  from,
  importMode: 'Legacy',
  insecure: false,
  ...extra,
});
let dir: string;
const file = (name: string, content: string): string => {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};
const authFile = (name: string, auths: Record<string, string>): string =>
  file(name, JSON.stringify({ auths: Object.fromEntries(Object.entries(auths).map(([k, v]) => [k, { auth: b64(v) }])) }));

beforeAll(() => {
  dir = makeTempDir('imagestreams-auth-');
});
afterAll(() => removeDir(dir));

describe('htpasswd over TLS with a generated CA', () => {
  let registry: Registry;
  let certsDir: string;
  let digest: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: true, htpasswd: { users: { alice: 'wonderland' } } });
    const creds = { username: 'alice', password: 'wonderland' };
    digest = await pushImage(registry, 'team/app', '1', buildImage({ seed: 'tls-app' }), creds);
    await pushImage(registry, 'other/app', '1', buildImage({ seed: 'tls-other' }), creds);
    certsDir = path.join(dir, 'certs.d');
    file(`certs.d/${registry.host}/ca.crt`, registry.caPem ?? '');
  });
  afterAll(() => registry.stop());

  it('imports with an auth file and the CA from a certs directory', async () => {
    const settings = testSettings({ authFile: authFile('tls-auth.json', { [registry.host]: 'alice:wonderland' }), certsDirs: [certsDir] });
    const [o] = await withImporter(settings, (r) => r.importer.importImages([req(`${registry.host}/team/app:1`)]));
    expect(o).toMatchObject({ ok: true, image: { digest, dockerImageReference: `${registry.host}/team/app@${digest}` } });
  });

  it('fails TLS verification without the CA, and skips it for an insecure tag', async () => {
    const settings = testSettings({ authFile: authFile('tls-auth2.json', { [registry.host]: 'alice:wonderland' }) });
    const [strict, insecure] = await withImporter(settings, (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`), req(`${registry.host}/team/app:1`, { insecure: true })]),
    );
    expect(strict).toMatchObject({
      ok: false,
      failure: { reason: 'InternalError', message: expect.stringMatching(/TLS verification failed/) },
    });
    expect(insecure).toMatchObject({ ok: true, image: { digest } });
  });

  it('without credentials: Unauthorized, saying none were configured', async () => {
    const [o] = await withImporter(testSettings({ certsDirs: [certsDir] }), (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`)]),
    );
    expect(o).toMatchObject({
      ok: false,
      failure: {
        reason: 'Unauthorized',
        message: `you may not have access to the container image "${registry.host}/team/app:1" and did not have credentials to the repository`,
      },
    });
  });

  it('with a wrong password: Unauthorized, and the password never appears anywhere in the result', async () => {
    const [o] = await withImporter(
      testSettings({ certsDirs: [certsDir], authFile: authFile('wrong.json', { [registry.host]: 'alice:not-the-password' }) }),
      (r) => r.importer.importImages([req(`${registry.host}/team/app:1`)]),
    );
    expect(o).toMatchObject({
      ok: false,
      failure: { reason: 'Unauthorized', message: `you may not have access to the container image "${registry.host}/team/app:1"` },
    });
    expect(JSON.stringify(o)).not.toContain('not-the-password');
  });

  it('a path-scoped auths entry wins over the host entry for its repositories only', async () => {
    const settings = testSettings({
      certsDirs: [certsDir],
      authFile: authFile('scoped.json', { [registry.host]: 'alice:wrong', [`${registry.host}/team`]: 'alice:wonderland' }),
    });
    const [team, other] = await withImporter(settings, (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`), req(`${registry.host}/other/app:1`)]),
    );
    expect(team).toMatchObject({ ok: true });
    expect(other).toMatchObject({ ok: false, failure: { reason: 'Unauthorized' } });
  });

  it('reads credentials from a credential helper on PATH (docker config credHelpers)', async () => {
    const bin = path.join(dir, 'bin');
    file(
      'bin/docker-credential-istest',
      `#!/bin/sh\nread server\n[ "$server" = "${registry.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"alice","Secret":"wonderland"}' "$server"\n`,
    );
    chmodSync(path.join(bin, 'docker-credential-istest'), 0o755);
    file('helper-docker/config.json', JSON.stringify({ credHelpers: { [registry.host]: 'istest' } }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath ?? ''}`;
    try {
      const [o] = await withImporter(testSettings({ certsDirs: [certsDir], dockerConfigDir: path.join(dir, 'helper-docker') }), (r) =>
        r.importer.importImages([req(`${registry.host}/team/app:1`)]),
      );
      expect(o).toMatchObject({ ok: true, image: { digest } });
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('reads credentials from a Kubernetes pull secret', async () => {
    const config = JSON.stringify({ auths: { [registry.host]: { auth: b64('alice:wonderland') } } });
    const secret = file(
      'pull-secret.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64(config)}\n`,
    );
    const [o] = await withImporter(testSettings({ certsDirs: [certsDir], pullSecrets: [secret] }), (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`)]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest } });
  });
});

describe('mutual TLS: client certificates from the certs directory', () => {
  let registry: Registry;
  let digest: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: true, clientCertificates: true });
    digest = await pushImage(registry, 'mtls/app', '1', buildImage({ seed: 'mtls' }));
  });
  afterAll(() => registry.stop());

  it('presents client.cert/client.key found next to the CA, and fails without them', async () => {
    file(`mtls-certs/${registry.host}/ca.crt`, registry.caPem ?? '');
    const [without] = await withImporter(testSettings({ certsDirs: [path.join(dir, 'mtls-certs')] }), (r) =>
      r.importer.importImages([req(`${registry.host}/mtls/app:1`)]),
    );
    expect(without).toMatchObject({ ok: false, failure: { reason: 'InternalError' } });
    file(`mtls-certs/${registry.host}/client.cert`, registry.clientCertPem ?? '');
    file(`mtls-certs/${registry.host}/client.key`, registry.clientKeyPem ?? '');
    const [withCert] = await withImporter(testSettings({ certsDirs: [path.join(dir, 'mtls-certs')] }), (r) =>
      r.importer.importImages([req(`${registry.host}/mtls/app:1`)]),
    );
    expect(withCert).toMatchObject({ ok: true, image: { digest } });
  });
});

describe('token auth', () => {
  let tokens: TokenServer;
  let registry: Registry;
  let digest: string;
  let publicDigest: string;
  let realmHost: string;
  beforeAll(async () => {
    // Anonymous callers may pull public/* only; carol may do anything.
    tokens = await startTokenServer({
      users: { carol: 'token-pw' },
      refreshTokens: { 'identity-token-123': 'carol' },
      policy: (user, scope) =>
        user === null ? (scope.name.startsWith('public/') ? scope.actions.filter((a) => a === 'pull') : []) : scope.actions,
    });
    registry = await startRegistry({ token: tokens });
    digest = await pushImage(registry, 'team/app', '1', buildImage({ seed: 'token-app' }), { username: 'carol', password: 'token-pw' });
    publicDigest = await pushImage(registry, 'public/app', '1', buildImage({ seed: 'token-public' }), {
      username: 'carol',
      password: 'token-pw',
    });
    realmHost = new URL(tokens.realm).host;
  });
  afterAll(async () => {
    await registry.stop();
    await tokens.stop();
  });

  it('gets an anonymous pull token once and reuses it', async () => {
    tokens.reset();
    const results = await withImporter(testSettings(), (r) =>
      r.importer.importImages([
        req(`${registry.host}/public/app:1`, { insecure: true }),
        req(`${registry.host}/public/app@${publicDigest}`, { insecure: true }),
      ]),
    );
    expect(results.map((o) => o.ok)).toEqual([true, true]);
    expect(tokens.requests.map((t) => [t.user, t.status])).toEqual([[null, 200]]);
    expect(tokens.requests[0]?.scopes).toEqual([{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
  });

  it('sends credentials configured for the realm host to the token service', async () => {
    tokens.reset();
    const [o] = await withImporter(testSettings({ authFile: authFile('token-auth.json', { [realmHost]: 'carol:token-pw' }) }), (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`, { insecure: true })]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest } });
    expect(tokens.requests.map((t) => t.user)).toEqual(['carol']);
  });

  it('exchanges an identity token (refresh token grant) for a pull token', async () => {
    tokens.reset();
    const auth = file('identity.json', JSON.stringify({ auths: { [realmHost]: { identitytoken: 'identity-token-123' } } }));
    const [o] = await withImporter(testSettings({ authFile: auth }), (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`, { insecure: true })]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest } });
    expect(tokens.requests.map((t) => [t.user, t.status])).toEqual([['carol', 200]]);
  });

  it("never sends the registry host's credentials to a realm on another host", async () => {
    tokens.reset();
    const [o] = await withImporter(testSettings({ authFile: authFile('registry-only.json', { [registry.host]: 'carol:token-pw' }) }), (r) =>
      r.importer.importImages([req(`${registry.host}/public/app:1`, { insecure: true })]),
    );
    expect(o).toMatchObject({ ok: true });
    expect(tokens.requests.map((t) => [t.user, t.authorization])).toEqual([[null, undefined]]);
  });

  it('wrong credentials at the token service: Unauthorized, incorrect username or password (after one anonymous try)', async () => {
    tokens.reset();
    const [o] = await withImporter(testSettings({ authFile: authFile('token-bad.json', { [realmHost]: 'carol:nope' }) }), (r) =>
      r.importer.importImages([req(`${registry.host}/team/app:1`, { insecure: true })]),
    );
    expect(o).toMatchObject({
      ok: false,
      failure: { reason: 'Unauthorized', message: `incorrect username or password for image "${registry.host}/team/app:1"` },
    });
    const seen = tokens.requests.map((t) => [t.authorization ? 'credentials' : 'anonymous', t.status]);
    expect(seen[0]).toEqual(['credentials', 401]);
    expect(seen.slice(1).length).toBeGreaterThan(0);
    expect(seen.slice(1).every(([who]) => who === 'anonymous')).toBe(true);
  });

  it('wrong credentials for a public image: the anonymous retry imports it, as OpenShift does', async () => {
    const [o] = await withImporter(testSettings({ authFile: authFile('token-bad2.json', { [realmHost]: 'carol:nope' }) }), (r) =>
      r.importer.importImages([req(`${registry.host}/public/app:1`, { insecure: true })]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest: publicDigest } });
  });
});
