import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, sha256 } from '../support/images.js';
import { pushImage, RegistryClient } from '../support/push.js';
import { startRegistry, type Registry } from '../support/registry.js';

const execFileP = promisify(execFile);

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** Walk an error's cause chain and collect `code`s. */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  while (e && typeof e === 'object') {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

describe('htpasswd registry', () => {
  let reg: Registry;
  beforeAll(async () => {
    reg = await startRegistry({ htpasswd: { users: { alice: 's3cret', bob: 'hunter2' }, realm: 'test-realm' } });
  });
  afterAll(async () => {
    await reg.stop();
  });

  it('answers 401 with a Basic challenge without credentials', async () => {
    const res = await request(`${reg.url}/v2/`, { dispatcher: reg.dispatcher });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="test-realm"');
  });

  it('answers 401 for a wrong password and 200 with valid credentials', async () => {
    const bad = await request(`${reg.url}/v2/`, { dispatcher: reg.dispatcher, headers: { authorization: basic('alice', 'nope') } });
    await bad.body.dump();
    expect(bad.statusCode).toBe(401);
    for (const [u, p] of [
      ['alice', 's3cret'],
      ['bob', 'hunter2'],
    ] as const) {
      const ok = await request(`${reg.url}/v2/`, { dispatcher: reg.dispatcher, headers: { authorization: basic(u, p) } });
      await ok.body.dump();
      expect(ok.statusCode).toBe(200);
    }
    expect(readFileSync(`${reg.dir}/htpasswd`, 'utf8')).toMatch(/^alice:\$2y\$/m);
  });

  it('pushes with Basic credentials and refuses anonymous pulls', async () => {
    const image = buildImage({ seed: 'htpasswd' });
    const digest = await pushImage(reg, 'auth/app', 'v1', image);
    expect(digest).toBe(image.manifest.digest);
    const anon = new RegistryClient({ url: reg.url });
    expect((await anon.getManifest('auth/app', 'v1')).status).toBe(401);
    await anon.close();
    const authed = new RegistryClient({ url: reg.url }, { username: 'bob', password: 'hunter2' });
    const res = await authed.getManifest('auth/app', 'v1');
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(image.manifest.digest);
    await authed.close();
    await expect(pushImage(reg, 'auth/app', 'v2', image, { username: 'alice', password: 'wrong' })).rejects.toThrow(/401/);
  });
});

describe('TLS registry with its own CA', () => {
  let reg: Registry;
  beforeAll(async () => {
    reg = await startRegistry({ tls: true });
  });
  afterAll(async () => {
    await reg.stop();
  });

  it('exposes an https URL and the CA', () => {
    expect(reg.url).toBe(`https://127.0.0.1:${reg.port}`);
    expect(reg.caPem).toContain('BEGIN CERTIFICATE');
    expect(reg.caPath && readFileSync(reg.caPath, 'utf8')).toBe(reg.caPem);
  });

  it('fails certificate verification without the CA', async () => {
    const agent = new Agent();
    try {
      const err = await request(`${reg.url}/v2/`, { dispatcher: agent }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(errorCodes(err).join(' ')).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
    } finally {
      await agent.close();
    }
  });

  it('works with the CA, also via localhost (SAN DNS:localhost)', async () => {
    const agent = new Agent({ connect: { ca: reg.caPem } });
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const res = await request(`https://${host}:${reg.port}/v2/`, { dispatcher: agent });
        await res.body.dump();
        expect(res.statusCode).toBe(200);
      }
    } finally {
      await agent.close();
    }
  });

  it('answers plain HTTP on the TLS port with 400', async () => {
    const res = await request(`http://127.0.0.1:${reg.port}/v2/`);
    await res.body.dump();
    expect(res.statusCode).toBe(400);
  });

  it('push and pull over TLS; skopeo trusts the CA via --cert-dir', async () => {
    const image = buildImage({ seed: 'tls', format: 'oci' });
    await pushImage({ url: reg.url, caPem: reg.caPem }, 'tls/app', 'v1', image);
    const client = new RegistryClient(reg);
    const res = await client.getManifest('tls/app', 'v1');
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(image.manifest.digest);
    await client.close();

    const certDir = `${reg.dir}/skopeo-certs`;
    await execFileP('mkdir', ['-p', certDir]);
    await execFileP('cp', [reg.caPath ?? '', `${certDir}/ca.crt`]);
    const { stdout } = await execFileP('skopeo', ['inspect', '--cert-dir', certDir, `docker://${reg.host}/tls/app:v1`], {
      timeout: 20_000,
    });
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(image.manifest.digest);
    await expect(execFileP('skopeo', ['inspect', `docker://${reg.host}/tls/app:v1`], { timeout: 20_000 })).rejects.toThrow(
      /certificate|x509/,
    );
  });
});

describe('TLS + htpasswd combined', () => {
  let reg: Registry;
  beforeAll(async () => {
    reg = await startRegistry({ tls: true, htpasswd: { users: { carol: 'pw' } } });
  });
  afterAll(async () => {
    await reg.stop();
  });

  it('requires both the CA and credentials', async () => {
    const noCreds = await request(`${reg.url}/v2/`, { dispatcher: reg.dispatcher });
    await noCreds.body.dump();
    expect(noCreds.statusCode).toBe(401);
    const image = buildImage({ seed: 'tls-htpasswd' });
    expect(reg.username).toBe('carol');
    const digest = await pushImage(reg, 'combo/app', 'v1', image);
    expect(digest).toBe(image.manifest.digest);
    const client = new RegistryClient(reg);
    expect((await client.getManifest('combo/app', 'v1')).headers['docker-content-digest']).toBe(image.manifest.digest);
    await client.close();
  });
});
