import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, buildIndex } from '../support/images.js';
import { parseChallenge, pushImage, pushIndex, RegistryClient } from '../support/push.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { decodeJwtPayload, startTokenServer, type TokenServer } from '../support/token-server.js';

describe('token-auth registry', () => {
  let tokens: TokenServer;
  let reg: Registry;
  const image = buildImage({ seed: 'token', labels: { auth: 'token' } });

  beforeAll(async () => {
    tokens = await startTokenServer({
      service: 'test-registry',
      issuer: 'test-issuer',
      users: { pusher: 'push-pw' },
      anonymousActions: ['pull'],
    });
    reg = await startRegistry({ token: tokens });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('challenges with a Bearer realm pointing at the token server', async () => {
    const res = await request(`${reg.url}/v2/ns/app/manifests/latest`, { dispatcher: reg.dispatcher });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    const ch = parseChallenge(String(res.headers['www-authenticate']));
    expect(ch.scheme).toBe('bearer');
    expect(ch.params).toEqual({ realm: tokens.realm, service: 'test-registry', scope: 'repository:ns/app:pull' });
  });

  it('pushes with credentials (push token) and records the token requests', async () => {
    tokens.reset();
    const digest = await pushImage(reg, 'ns/app', 'v1', image, { username: 'pusher', password: 'push-pw' });
    expect(digest).toBe(image.manifest.digest);
    const issued = tokens.requests.filter((r) => r.status === 200);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued.every((r) => r.user === 'pusher' && r.service === 'test-registry')).toBe(true);
    expect(issued.some((r) => r.granted.some((g) => g.name === 'ns/app' && g.actions.includes('push')))).toBe(true);
  });

  it('gives anonymous callers a pull-only token and counts token fetches', async () => {
    tokens.reset();
    const anon = new RegistryClient({ url: reg.url });
    const res = await anon.getManifest('ns/app', 'v1');
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(image.manifest.digest);
    expect(tokens.issuedCount()).toBe(1);
    const rec = tokens.requests[0];
    expect(rec?.user).toBeNull();
    expect(rec?.scopes).toEqual([{ type: 'repository', name: 'ns/app', actions: ['pull'] }]);
    expect(rec?.granted).toEqual([{ type: 'repository', name: 'ns/app', actions: ['pull'] }]);

    // The cached token is reused for further pulls of the same repository.
    expect((await anon.getBlob('ns/app', image.config.digest)).status).toBe(200);
    expect((await anon.getManifest('ns/app', 'v1', 'HEAD')).status).toBe(200);
    expect(tokens.issuedCount()).toBe(1);
    expect(anon.tokenFetches).toBe(1);

    // Anonymous push: the token lacks push, so the registry still answers 401.
    await expect(anon.pushImage('ns/app', 'anon', buildImage({ seed: 'anon-push' }))).rejects.toThrow(/401/);
    await anon.close();
  });

  it('issues JWTs with the claims distribution expects', async () => {
    const res = await request(`${tokens.realm}?service=test-registry&scope=repository:ns/app:pull,push`, {
      headers: { authorization: `Basic ${Buffer.from('pusher:push-pw').toString('base64')}` },
    });
    const body = (await res.body.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(res.statusCode).toBe(200);
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    expect(Number.isNaN(Date.parse(body.issued_at))).toBe(false);
    const header = JSON.parse(Buffer.from(body.token.split('.')[0] ?? '', 'base64url').toString()) as { alg: string; x5c: string[] };
    expect(header.alg).toBe('RS256');
    expect(header.x5c).toHaveLength(1);
    const claims = decodeJwtPayload(body.token);
    expect(claims).toMatchObject({
      iss: 'test-issuer',
      sub: 'pusher',
      aud: 'test-registry',
      access: [{ type: 'repository', name: 'ns/app', actions: ['pull', 'push'] }],
    });
    for (const k of ['exp', 'nbf', 'iat', 'jti']) expect(claims[k]).toBeDefined();
  });

  it('rejects bad credentials at the token server with 401', async () => {
    const before = tokens.requests.length;
    const bad = new RegistryClient({ url: reg.url }, { username: 'pusher', password: 'wrong' });
    await expect(bad.getManifest('ns/app', 'v1')).rejects.toThrow(/token request .* failed: 401/);
    await bad.close();
    expect(tokens.requests.length).toBe(before + 1);
    expect(tokens.requests.at(-1)?.status).toBe(401);
  });

  it('the registry rejects expired tokens and tokens for another audience', async () => {
    const now = Math.floor(Date.now() / 1000);
    // distribution allows 60 s of clock skew, so the expired token is well past that.
    const base = { iss: 'test-issuer', sub: 'x', nbf: now - 900, iat: now - 900, jti: randomUUID() };
    const access = [{ type: 'repository', name: 'ns/app', actions: ['pull'] }];
    const cases = [
      { token: tokens.sign({ ...base, aud: 'test-registry', exp: now + 60, access }), status: 200 },
      { token: tokens.sign({ ...base, aud: 'test-registry', exp: now - 300, access }), status: 401 },
      { token: tokens.sign({ ...base, aud: 'other-service', exp: now + 60, access }), status: 401 },
    ];
    for (const c of cases) {
      const res = await request(`${reg.url}/v2/ns/app/tags/list`, {
        dispatcher: reg.dispatcher,
        headers: { authorization: `Bearer ${c.token}` },
      });
      await res.body.dump();
      expect(res.statusCode).toBe(c.status);
    }
  });

  it('pushes a multi-arch index with a token', async () => {
    const index = buildIndex(
      [buildImage({ seed: 'tok-multi', architecture: 'amd64' }), buildImage({ seed: 'tok-multi', architecture: 'arm64' })],
      { format: 'docker' },
    );
    const result = await pushIndex(reg, 'ns/multi', 'latest', index, { username: 'pusher', password: 'push-pw' });
    expect(result.digest).toBe(index.manifest.digest);
    const anon = new RegistryClient({ url: reg.url });
    expect(await anon.listTags('ns/multi')).toEqual(['latest']);
    await anon.close();
  });
});

describe('token server refusing anonymous access', () => {
  let tokens: TokenServer;
  let reg: Registry;
  beforeAll(async () => {
    tokens = await startTokenServer({ allowAnonymous: false, users: { u: 'p' } });
    reg = await startRegistry({ token: tokens });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('anonymous clients get no token; authenticated ones do', async () => {
    const anon = new RegistryClient({ url: reg.url });
    await expect(anon.send('GET', '/v2/')).rejects.toThrow(/401/);
    await anon.close();
    const authed = new RegistryClient({ url: reg.url }, { username: 'u', password: 'p' });
    expect((await authed.send('GET', '/v2/')).status).toBe(200);
    await authed.close();
    expect(tokens.requests.map((r) => r.status)).toEqual([401, 200]);
  });
});
