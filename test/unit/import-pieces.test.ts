import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataCache, defaultCacheDir } from '../../src/import/cache.js';
import { CredentialStore, Secret, normalizeAuthKey } from '../../src/import/credentials.js';
import { Circuit, backoffMs, parseRetryAfter } from '../../src/import/limits.js';
import { choosePlatform, digestOf, parseManifest, verifyDigest } from '../../src/import/manifest.js';
import { imageMetadata } from '../../src/import/metadata.js';
import { pathOf } from '../../src/import/registry-client.js';
import { forbiddenAddress, guardedLookup } from '../../src/import/transport.js';
import type { LookupCallback } from '../../src/import/transport.js';
import { parseWwwAuthenticate } from '../../src/import/www-authenticate.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'imagestreams-unit-'));
  dirs.push(d);
  return d;
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('WWW-Authenticate', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ruby:pull"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ruby:pull' },
      },
    ]);
  });
  it('reads several challenges, escapes, and unquoted values', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry \\"x\\"", Bearer realm=https://r/t,service=s')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry "x"' } },
      { scheme: 'bearer', params: { realm: 'https://r/t', service: 's' } },
    ]);
  });
  it('never throws on garbage', () => {
    expect(() => parseWwwAuthenticate('=,,"  Negotiate abc==, ')).not.toThrow();
  });
});

describe('credentials', () => {
  it('normalizes auth keys as docker does', () => {
    expect(normalizeAuthKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeAuthKey('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeAuthKey('http://Quay.io/repository-main/')).toBe('quay.io/repository-main');
    expect(normalizeAuthKey('localhost:5000')).toBe('localhost:5000');
  });

  it('reads sources in order, longest path prefix first, auth/username/identitytoken forms', async () => {
    const d = await tmp();
    const authFile = path.join(d, 'auth.json');
    await writeFile(
      authFile,
      JSON.stringify({
        auths: { 'quay.io': { auth: b64('main:one') }, 'quay.io/repository-main': { auth: b64('scoped:two:with:colons') } },
      }),
    );
    const dockerDir = path.join(d, 'docker');
    await writeFile(path.join(d, 'home-config.json'), '');
    await import('node:fs/promises').then((fs) => fs.mkdir(dockerDir));
    await writeFile(
      path.join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { username: 'hub', password: 'pw' },
          'ghcr.io': { identitytoken: 'tok' },
          'quay.io': { auth: b64('never:used') },
        },
      }),
    );
    const store = await CredentialStore.load({ authFile, env: { DOCKER_CONFIG: dockerDir }, homeDir: d });
    const scoped = await store.lookup('quay.io', 'repository-main/app');
    expect(scoped).toMatchObject({ kind: 'basic', username: 'scoped' });
    expect(scoped?.kind === 'basic' && scoped.password.reveal()).toBe('two:with:colons');
    expect(await store.lookup('quay.io', 'other/app')).toMatchObject({ kind: 'basic', username: 'main' });
    expect(await store.lookup('docker.io', 'library/ruby')).toMatchObject({ kind: 'basic', username: 'hub' });
    expect(await store.lookup('ghcr.io', 'org/x')).toMatchObject({ kind: 'identity-token' });
    expect(await store.lookup('example.com', 'a/b')).toBeUndefined();
  });

  it('reads pull secrets of both types, from data and stringData', async () => {
    const d = await tmp();
    const modern = path.join(d, 'modern.yaml');
    await writeFile(
      modern,
      `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64(JSON.stringify({ auths: { 'registry.example.com': { auth: b64('u1:p1') } } }))}\n`,
    );
    const legacy = path.join(d, 'legacy.yaml');
    await writeFile(
      legacy,
      `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockercfg\nstringData:\n  .dockercfg: '${JSON.stringify({ 'legacy.example.com': { auth: b64('u2:p2') } })}'\n`,
    );
    const store = await CredentialStore.load({ pullSecrets: [modern, legacy], env: {}, homeDir: d });
    expect(await store.lookup('registry.example.com', 'a')).toMatchObject({ username: 'u1' });
    expect(await store.lookup('legacy.example.com', 'a')).toMatchObject({ username: 'u2' });
    const bad = path.join(d, 'bad.yaml');
    await writeFile(bad, 'kind: Secret\ntype: Opaque\n');
    await expect(CredentialStore.load({ pullSecrets: [bad], env: {}, homeDir: d })).rejects.toThrow(/expected a Secret of type/);
  });

  it('runs credential helpers with the standard protocol (a real script on PATH)', async () => {
    const d = await tmp();
    const script = path.join(d, 'docker-credential-testhelper');
    await writeFile(
      script,
      '#!/bin/sh\nread server\nif [ "$server" = "helped.example.com" ]; then echo "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"bot\\",\\"Secret\\":\\"s3cret\\"}"; else echo "credentials not found in native keychain"; exit 1; fi\n',
    );
    await chmod(script, 0o755);
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(d, '.docker')));
    await writeFile(
      path.join(d, '.docker', 'config.json'),
      JSON.stringify({ credHelpers: { 'helped.example.com': 'testhelper' }, credsStore: 'testhelper' }),
    );
    const oldPath = process.env.PATH;
    process.env.PATH = `${d}:${oldPath ?? ''}`;
    try {
      const store = await CredentialStore.load({ env: {}, homeDir: d });
      const c = await store.lookup('helped.example.com', 'x/y');
      expect(c).toMatchObject({ kind: 'basic', username: 'bot' });
      expect(c?.kind === 'basic' && c.password.reveal()).toBe('s3cret');
      expect(await store.lookup('other.example.com', 'x')).toBeUndefined();
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('never prints a secret', () => {
    const s = new Secret('hunter2');
    expect(`${s}`).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect({ s })).not.toContain('hunter2');
  });
});

describe('limits', () => {
  it('reads Retry-After in seconds and as a date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(0, 500, 30_000, () => 0.999)).toBe(499);
    expect(backoffMs(3, 500, 30_000, () => 0.5)).toBe(2000);
    expect(backoffMs(20, 500, 30_000, () => 0.999)).toBe(29_970);
  });
  it('opens the circuit after repeated failures and lets a trial through later', () => {
    let now = 0;
    const c = new Circuit({ failureThreshold: 3, openMs: 1000 }, { now: () => now, sleep: async () => undefined });
    c.failure();
    c.failure();
    expect(c.blockedFor()).toBeUndefined();
    c.failure();
    expect(c.blockedFor()).toBe(1000);
    now = 1500;
    expect(c.blockedFor()).toBeUndefined();
    c.success();
    c.failure();
    expect(c.blockedFor()).toBeUndefined();
  });
});

describe('manifests', () => {
  const image = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 10 },
    layers: [{ mediaType: 'x', digest: `sha256:${'b'.repeat(64)}`, size: 5 }],
  });
  it('classifies by content type, own mediaType, or shape', () => {
    expect(parseManifest(Buffer.from(image), undefined)).toMatchObject({ kind: 'image', layers: [{ size: 5 }] });
    expect(parseManifest(Buffer.from('{"schemaVersion":1,"name":"x"}'), 'application/json')).toMatchObject({ kind: 'schema1' });
    expect(parseManifest(Buffer.from('{"manifests":[]}'), undefined)).toMatchObject({ kind: 'list' });
    expect(() => parseManifest(Buffer.from('[]'), undefined)).toThrow(/not a JSON object/);
    expect(() => parseManifest(Buffer.from('{}'), 'application/vnd.example+json')).toThrow(/unsupported manifest media type/);
  });
  it('verifies digests', () => {
    const bytes = Buffer.from(image);
    expect(() => verifyDigest(bytes, digestOf(bytes), 'm')).not.toThrow();
    expect(() => verifyDigest(bytes, `sha256:${'0'.repeat(64)}`, 'm')).toThrow(/does not match/);
    expect(digestOf(bytes, 'sha512:')).toMatch(/^sha512:[a-f0-9]{128}$/);
  });
  it('picks a platform: preferred, configured, linux/amd64, first real one', () => {
    const d = (os: string, architecture: string, variant?: string) => ({
      mediaType: 'm',
      digest: `sha256:${os}${architecture}${variant ?? ''}`,
      size: 1,
      platform: { os, architecture, ...(variant ? { variant } : {}) },
    });
    const list = [d('unknown', 'unknown'), d('linux', 'arm64', 'v8'), d('linux', 'amd64'), d('linux', 's390x')];
    expect(choosePlatform(list, {})?.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(choosePlatform(list, { architecture: 'arm64' })?.platform?.architecture).toBe('arm64');
    expect(choosePlatform(list, { architecture: 's390x' })?.platform?.architecture).toBe('s390x');
    expect(choosePlatform(list, {}, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.platform?.variant).toBe('v8');
    expect(
      choosePlatform(
        [list[0], list[3]].filter((x) => x !== undefined),
        { architecture: 'ppc64le' },
      )?.platform?.architecture,
    ).toBe('s390x');
  });
});

describe('image metadata', () => {
  it('keeps what the config says and sums layer sizes', () => {
    const meta = imageMetadata(
      {
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        author: 'me',
        config: {
          Cmd: ['run'],
          Entrypoint: ['/bin/sh'],
          Env: ['A=1'],
          ExposedPorts: { '8080/tcp': {} },
          Labels: { a: 'b', n: 1 },
          User: '1001',
          WorkingDir: '/app',
        },
      },
      [
        { name: 'l1', size: 10, mediaType: 'x' },
        { name: 'l2', size: 32, mediaType: 'x' },
      ],
    );
    expect(meta).toEqual({
      Architecture: 'amd64',
      Os: 'linux',
      Created: '2024-01-01T00:00:00Z',
      Author: 'me',
      Size: 42,
      Config: {
        Cmd: ['run'],
        Entrypoint: ['/bin/sh'],
        Env: ['A=1'],
        ExposedPorts: { '8080/tcp': {} },
        Labels: { a: 'b' },
        User: '1001',
        WorkingDir: '/app',
      },
    });
    expect(imageMetadata('nonsense', [])).toEqual({ Size: 0 });
  });
});

describe('metadata cache', () => {
  it('stores by digest atomically and treats damage as a miss', async () => {
    const d = await tmp();
    const cache = new MetadataCache(d);
    const bytes = Buffer.from('{"hello":"world"}');
    const digest = digestOf(bytes);
    expect(await cache.getBlob(digest)).toBeUndefined();
    await Promise.all([
      cache.putManifest(digest, bytes, 'application/vnd.oci.image.manifest.v1+json'),
      cache.putManifest(digest, bytes, 'application/vnd.oci.image.manifest.v1+json'),
    ]);
    expect(await new MetadataCache(d).getManifest(digest)).toEqual({ bytes, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    const leftovers = (await readdir(path.join(d, 'blobs', 'sha256'))).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    await writeFile(path.join(d, 'blobs', 'sha256', digest.slice(7)), 'tampered');
    expect(await cache.getBlob(digest)).toEqual(bytes); // this process verified it when it stored it
    expect(await new MetadataCache(d).getBlob(digest)).toBeUndefined(); // a damaged file on disk is a miss
    await cache.putResolved(digest, { os: 'linux', architecture: 'arm64', variant: 'v8' }, `sha256:${'c'.repeat(64)}`);
    expect(await cache.getResolved(digest, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(`sha256:${'c'.repeat(64)}`);
    expect(await cache.getResolved(digest, { os: 'linux', architecture: 'amd64' })).toBeUndefined();
    expect(await cache.getBlob('sha256:../../etc/passwd')).toBeUndefined();
  });
  it('shares one fetch per digest among concurrent callers, and stores what it fetched', async () => {
    const d = await tmp();
    const cache = new MetadataCache(d);
    const bytes = Buffer.from('{"config":true}');
    const digest = digestOf(bytes);
    let fetches = 0;
    const fetch = async (): Promise<Buffer> => {
      fetches += 1;
      await new Promise((r) => setTimeout(r, 5));
      return bytes;
    };
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.loadBlob(digest, `repo-${i % 3}`, fetch)));
    expect(got.every((b) => b.equals(bytes))).toBe(true);
    expect(fetches).toBe(1);
    expect(await new MetadataCache(d).getBlob(digest)).toEqual(bytes);
    expect(await cache.loadBlob(digest, 'repo-0', fetch)).toEqual(bytes); // a hit: no fetch
    expect(fetches).toBe(1);
    const manifest = { bytes: Buffer.from('{"schemaVersion":2}'), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
    const mDigest = digestOf(manifest.bytes);
    let manifestFetches = 0;
    const fetchManifest = async () => {
      manifestFetches += 1;
      return manifest;
    };
    await Promise.all([cache.loadManifest(mDigest, 'a', fetchManifest), cache.loadManifest(mDigest, 'b', fetchManifest)]);
    expect(manifestFetches).toBe(1);
    expect(await new MetadataCache(d).getManifest(mDigest)).toEqual(manifest);
  });
  it('never remembers a failure; shares it only with callers of the same scope', async () => {
    const cache = new MetadataCache(undefined);
    const bytes = Buffer.from('{"config":1}');
    const digest = digestOf(bytes);
    const calls: string[] = [];
    const failing = (who: string) => async (): Promise<Buffer> => {
      calls.push(who);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error(`refused for ${who}`);
    };
    const working = (who: string) => async (): Promise<Buffer> => {
      calls.push(who);
      return bytes;
    };
    const [a1, a2, b] = await Promise.allSettled([
      cache.loadBlob(digest, 'a', failing('a1')),
      cache.loadBlob(digest, 'a', failing('a2')),
      cache.loadBlob(digest, 'b', working('b')),
    ]);
    expect(a1).toMatchObject({ status: 'rejected', reason: { message: 'refused for a1' } });
    expect(a2).toMatchObject({ status: 'rejected', reason: { message: 'refused for a1' } }); // same scope: same answer
    expect(b).toMatchObject({ status: 'fulfilled', value: bytes }); // another scope tried for itself
    expect(calls).toEqual(['a1', 'b']);
    await expect(cache.loadBlob(`sha256:${'d'.repeat(64)}`, 'a', failing('a3'))).rejects.toThrow('refused for a3');
    expect(await cache.loadBlob(`sha256:${'d'.repeat(64)}`, 'a', async () => Buffer.from('late'))).toEqual(Buffer.from('late'));
  });
  it('defaults to XDG_CACHE_HOME or ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/imagestreams');
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/imagestreams');
  });
});

describe('link-local and metadata addresses', () => {
  it('refuses 169.254.0.0/16, fe80::/10, their IPv4-mapped, compatible and NAT64 forms, and known metadata hosts', () => {
    for (const host of [
      '169.254.169.254',
      '169.254.0.1',
      '169.254.255.255',
      '[fe80::1]',
      'fe80::1%eth0',
      '[febf:ffff::1]',
      '[::ffff:169.254.169.254]',
      '[::ffff:a9fe:a9fe]',
      '::ffff:169.254.1.2',
      '[::169.254.169.254]',
      '[64:ff9b::a9fe:a9fe]',
      '[fd00:ec2::254]',
      '100.100.100.200',
      'metadata.google.internal',
      'METADATA.google.internal.',
    ]) {
      expect(forbiddenAddress(host), host).toBeDefined();
    }
    // What URL makes of the numeric spellings of 169.254.169.254.
    for (const url of [
      'http://2852039166/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://0251.0376.0251.0376/',
      'http://169.254.43518/',
      'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    ]) {
      expect(forbiddenAddress(new URL(url).hostname), url).toBeDefined();
    }
  });

  it('lets everything else through, registries on private and loopback addresses included', () => {
    for (const host of [
      '127.0.0.1',
      '10.0.0.1',
      '192.168.1.1',
      '169.253.255.255',
      '169.255.0.1',
      '100.100.100.201',
      '[::1]',
      '[fec0::1]',
      '[fe7f::1]',
      '[::ffff:10.0.0.1]',
      '[2001:db8::a9fe:a9fe]',
      'quay.io',
      'localhost',
      'registry.internal',
    ]) {
      expect(forbiddenAddress(host), host).toBeUndefined();
    }
  });

  it('checks every address a name resolves to, in both lookup callback forms', async () => {
    const base =
      (answer: string[]) =>
      (_h: string, options: { all?: boolean }, cb: LookupCallback): void => {
        if (options.all)
          cb(
            null,
            answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
          );
        else cb(null, answer[0] ?? '', 4);
      };
    const ask = (answer: string[], all: boolean) =>
      new Promise<{ err: unknown; address: unknown }>((resolve) =>
        guardedLookup(base(answer))('r.test', { all }, (err, address) => resolve({ err, address })),
      );
    expect(await ask(['10.1.2.3'], false)).toEqual({ err: null, address: '10.1.2.3' });
    expect(await ask(['10.1.2.3', '::1'], true)).toMatchObject({ err: null, address: [{ address: '10.1.2.3' }, { address: '::1' }] });
    expect((await ask(['169.254.169.254'], false)).err).toMatchObject({
      message: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    expect((await ask(['10.1.2.3', 'fe80::5'], true)).err).toMatchObject({ message: expect.stringContaining('fe80::5') });
  });
});

describe('pathOf (the request path for metrics and budgets, without parsing the URL)', () => {
  it('is what URL.pathname gives for the endpoints the client builds', () => {
    for (const url of [
      'https://quay.io/v2/',
      'http://127.0.0.1:5000/v2/bench/app/manifests/t1',
      'https://registry-1.docker.io/v2/library/ruby/manifests/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'https://r.io/v2/a/b/c/blobs/sha256:aa',
      'https://r.io/v2/a/b/tags/list?n=1000&last=v1.2',
      'https://r.io:8443/v2/a/tags/list?n=10#frag',
      'https://r.io',
      'https://[::1]:5000/v2/x/manifests/latest',
    ])
      expect(pathOf(url), url).toBe(new URL(url).pathname);
  });
});
