/** Faults a real registry cannot produce, from a scripted server: each gives the right reason and nothing crashes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupOptions } from 'node:dns';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportRequest } from '../../src/import/index.js';
import type { LookupCallback } from '../../src/import/transport.js';
import { buildImage } from '../support/images.js';
import type { ScriptedServer } from '../support/scripted-server.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const image = buildImage({ seed: 'faults' });
const manifest = image.manifest;
const req = (from: string, extra: Partial<ImportRequest> = {}): ImportRequest => ({ from, importMode: 'Legacy', insecure: true, ...extra });
const tmp = mkdtempSync(path.join(tmpdir(), 'imagestreams-faults-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedServer();
  server.on('GET /v2/', (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  server.on('HEAD /v2/r/manifests/t', (_q, res) =>
    res
      .writeHead(200, {
        'docker-content-digest': manifest.digest,
        'content-type': manifest.mediaType,
        'content-length': String(manifest.size),
      })
      .end(),
  );
  server.on(`GET /v2/r/manifests/${manifest.digest}`, (_q, res) =>
    res.writeHead(200, { 'content-type': manifest.mediaType }).end(manifest.data),
  );
  server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) => res.writeHead(200).end(image.config.data));
});
afterEach(() => server.stop());
const heads = (): number => server.requests.filter((r) => r.method === 'HEAD').length;
const run = (extra: Parameters<typeof testSettings>[0] = {}) =>
  withImporter(testSettings(extra), (r) => r.importer.importImages([req(`${server.host}/r:t`)]));

describe('import faults', () => {
  it('429 with Retry-After: waits as asked, then succeeds', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res, n) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200, { 'docker-content-digest': manifest.digest }).end();
    });
    const started = Date.now();
    const [o] = await run();
    expect(o).toMatchObject({ ok: true, image: { digest: manifest.digest } });
    expect(heads()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('429 with a Retry-After longer than allowed: deferred at once to a later pass, saying how long it asked', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const before = Date.now();
    const [o] = await run();
    expect(o).toMatchObject({
      ok: false,
      deferred: { code: 'registry-rate-limited', registry: server.host, message: expect.stringContaining('wait 3600 s') },
    });
    const retryAt = o && 'deferred' in o ? Date.parse(o.deferred.retryAt) : 0;
    expect(retryAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(heads()).toBe(1);
  });

  it('without pacing (the client before budgets), such a 429 fails the import as rate-limited', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const [o] = await run({ pacing: false });
    expect(o).toMatchObject({
      ok: false,
      failure: { kind: 'rate-limited', reason: 'InternalError', message: expect.stringContaining('retry after 3600 s') },
    });
    expect(heads()).toBe(1);
  });

  it('503: retried with backoff, then reported as unavailable', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(503).end());
    const [o] = await run();
    expect(o).toMatchObject({
      ok: false,
      failure: { kind: 'unavailable', message: expect.stringMatching(/^Internal error occurred: 127\.0\.0\.1:\d+\/r:t: .*503/) },
    });
    expect(heads()).toBe(3);
  });

  it('reset connections: retried, and a later success wins', async () => {
    server.on('HEAD /v2/r/manifests/t', (q, res, n) => {
      if (n === 1) q.socket.destroy();
      else res.writeHead(200, { 'docker-content-digest': manifest.digest }).end();
    });
    const [o] = await run();
    expect(o).toMatchObject({ ok: true });
    server.on('HEAD /v2/r/manifests/t', (q) => q.socket.destroy());
    const [bad] = await run();
    expect(bad).toMatchObject({ ok: false, failure: { kind: 'unavailable' } });
  });

  it('a truncated manifest body is never taken for a manifest', async () => {
    server.on(`GET /v2/r/manifests/${manifest.digest}`, (q, res) => {
      res.writeHead(200, { 'content-type': manifest.mediaType, 'content-length': String(manifest.size) });
      res.write(manifest.data.subarray(0, 20));
      setTimeout(() => q.socket.destroy(), 20);
    });
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { reason: 'InternalError', message: expect.stringContaining('cut short') } });
  });

  it('a manifest whose digest does not match is refused', async () => {
    server.on(`GET /v2/r/manifests/${manifest.digest}`, (_q, res) =>
      res.writeHead(200, { 'content-type': manifest.mediaType }).end(Buffer.concat([manifest.data, Buffer.from(' ')])),
    );
    const [o] = await run();
    expect(o).toMatchObject({
      ok: false,
      failure: { kind: 'bad-response', message: expect.stringContaining(`does not match ${manifest.digest}`) },
    });
  });

  it('a config whose digest does not match is refused', async () => {
    server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) => res.writeHead(200).end('{"architecture":"evil"}'));
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { message: expect.stringContaining('image config') } });
  });

  it('oversized manifests are refused without reading them whole', async () => {
    server.on(`GET /v2/r/manifests/${manifest.digest}`, (_q, res) => {
      res.writeHead(200, { 'content-type': manifest.mediaType });
      res.end(Buffer.alloc(5 * 1024 * 1024, 32));
    });
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { message: expect.stringContaining('more than the limit of 4194304 bytes') } });
  });

  it('a schema 1 manifest gives a clear unsupported condition', async () => {
    const body = Buffer.from('{"schemaVersion":1,"name":"r","tag":"t","fsLayers":[]}');
    const { createHash } = await import('node:crypto');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(200, { 'docker-content-digest': digest }).end());
    server.on(`GET /v2/r/manifests/${digest}`, (_q, res) =>
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(body),
    );
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { kind: 'unsupported', message: expect.stringContaining('schema 1') } });
  });

  it('a HEAD without Docker-Content-Digest falls back to one GET and computes the digest', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(200).end());
    server.on('GET /v2/r/manifests/t', (_q, res) => res.writeHead(200, { 'content-type': manifest.mediaType }).end(manifest.data));
    const [o] = await run();
    expect(o).toMatchObject({ ok: true, image: { digest: manifest.digest } });
  });

  it('a redirect to another host (an object store) carries no Authorization', async () => {
    const store = await startScriptedServer();
    try {
      store.on(`GET /blob/config`, (_q, res) => res.writeHead(200).end(image.config.data));
      server.on('GET /v2/', (q, res) => {
        if (q.headers.authorization) res.writeHead(200).end('{}');
        else res.writeHead(401, { 'www-authenticate': 'Basic realm="scripted"' }).end();
      });
      server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) =>
        res.writeHead(307, { location: `${store.url}/blob/config?sig=1` }).end(),
      );
      const auth = path.join(tmp, 'auth.json');
      writeFileSync(auth, JSON.stringify({ auths: { [server.host]: { auth: Buffer.from('u:secret-pw').toString('base64') } } }));
      const [o] = await run({ authFile: auth });
      expect(o).toMatchObject({ ok: true });
      const basic = `Basic ${Buffer.from('u:secret-pw').toString('base64')}`;
      expect(server.requests.find((r) => r.method === 'HEAD')?.headers.authorization).toBe(basic);
      expect(store.requests).toHaveLength(1);
      expect(store.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await store.stop();
    }
  });

  it('a registry that is not v2 is reported as such', async () => {
    server.on('GET /v2/', (_q, res) => res.writeHead(404).end());
    const [o] = await run();
    expect(o).toMatchObject({
      ok: false,
      failure: { reason: 'NotV2Registry', message: `registry "${server.host}" does not support the v2 Registry API` },
    });
  });

  it('whole-repository tags: Link pagination followed, empty name is latest, priority order, then the cap', async () => {
    server.on('GET /v2/r/tags/list', (q, res) => {
      const page = new URL(q.url ?? '', 'http://x').searchParams.get('last');
      if (!page)
        res
          .writeHead(200, { link: '</v2/r/tags/list?n=3&last=b>; rel="next"', 'content-type': 'application/json' })
          .end(JSON.stringify({ name: 'r', tags: ['b', '1.0', ''] }));
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ name: 'r', tags: ['2.0', 'a', 'latest', 'v2.0.1'] }));
    });
    const result = await withImporter(testSettings(), (r) => r.importer.repositoryTags(`${server.host}/r`, true, 4));
    expect(result).toEqual({ ok: true, tags: ['latest', '2.0', '1.0', 'v2.0.1'], additionalTags: ['a', 'b'] });
    const all = await withImporter(testSettings(), (r) => r.importer.repositoryTags(`${server.host}/r`, true, -1));
    expect(all).toMatchObject({ ok: true, additionalTags: [] });
  });

  it("a Link to another host is not followed with this registry's credentials", async () => {
    server.on('GET /v2/r/tags/list', (_q, res) =>
      res.writeHead(200, { link: '<http://elsewhere.example:1/v2/r/tags/list?last=b>; rel="next"' }).end('{"tags":["a"]}'),
    );
    const result = await withImporter(testSettings(), (r) => r.importer.repositoryTags(`${server.host}/r`, true));
    expect(result).toMatchObject({ ok: false, failure: { message: expect.stringContaining('paginated tags/list to another host') } });
  });

  it('keeps at most the configured number of requests in flight per registry', async () => {
    let inFlight = 0;
    let most = 0;
    const many = Array.from({ length: 12 }, (_, i) => `t${i}`);
    for (const t of many) {
      server.on(`HEAD /v2/r/manifests/${t}`, (_q, res) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        setTimeout(() => {
          inFlight -= 1;
          res.writeHead(200, { 'docker-content-digest': manifest.digest }).end();
        }, 30);
      });
    }
    const out = await withImporter(testSettings({ concurrency: 3 }), (r) =>
      r.importer.importImages(many.map((t) => req(`${server.host}/r:${t}`))),
    );
    expect(out.every((o) => o.ok)).toBe(true);
    expect(most).toBe(3);
  });
});

describe('the /v2/ ping goes through the retry loop', () => {
  const pings = (): number => server.requests.filter((r) => r.method === 'GET' && r.path === '/v2/').length;

  it('a ping answered 503 once is retried, and the import succeeds', async () => {
    server.on('GET /v2/', (_q, res, n) => {
      if (n === 1) res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const [o] = await run();
    expect(o).toMatchObject({ ok: true, image: { digest: manifest.digest } });
    expect(pings()).toBe(2);
    expect(heads()).toBe(1);
  });

  it('a ping answered 429 with Retry-After: 1 waits as asked, then the import succeeds', async () => {
    server.on('GET /v2/', (_q, res, n) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const started = Date.now();
    const [o] = await run();
    expect(o).toMatchObject({ ok: true, image: { digest: manifest.digest } });
    expect(pings()).toBe(2);
    expect(heads()).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('a ping that keeps answering 503 fails after the configured retries, once for all the tags of that registry', async () => {
    server.on('GET /v2/', (_q, res) => res.writeHead(503).end());
    const out = await withImporter(testSettings({ retries: 2 }), (r) =>
      r.importer.importImages([req(`${server.host}/r:t`), req(`${server.host}/r:u`)]),
    );
    for (const o of out)
      expect(o).toMatchObject({
        ok: false,
        failure: {
          kind: 'unavailable',
          reason: 'InternalError',
          message: expect.stringContaining('answered 503 Service Unavailable to /v2/ after 3 attempts'),
        },
      });
    expect(pings()).toBe(3);
    expect(heads()).toBe(0);
  });

  it('failing pings count towards the circuit: after five in a row the registry is paused, not asked again', async () => {
    server.on('GET /v2/', (_q, res) => res.writeHead(503).end());
    const [first, second] = await withImporter(testSettings({ retries: 2 }), async (r) => [
      ...(await r.importer.importImages([req(`${server.host}/r:t`)])),
      ...(await r.importer.importImages([req(`${server.host}/r:t`)])),
    ]);
    expect(first).toMatchObject({ ok: false, failure: { kind: 'unavailable' } });
    expect(second).toMatchObject({
      ok: false,
      failure: { kind: 'unavailable', message: expect.stringContaining('is paused after repeated failures') },
    });
    expect(pings()).toBe(5);
  });

  it('a ping whose Retry-After is longer than allowed is deferred at once (rate-limited)', async () => {
    server.on('GET /v2/', (_q, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, deferred: { code: 'registry-rate-limited', message: expect.stringContaining('wait 3600 s') } });
    expect(pings()).toBe(1);
  });
});

describe('link-local and cloud metadata addresses are refused', () => {
  const forbidden = {
    ok: false,
    failure: {
      kind: 'forbidden',
      reason: 'Forbidden',
      message: expect.stringMatching(/refusing to connect to .*link-local.*set registries\.allowLinkLocal: true to allow it/),
    },
  };

  for (const location of [
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/latest',
    'http://2852039166/latest',
    'http://[fe80::1]:5000/x',
  ]) {
    it(`a redirect to ${location} fails with forbidden-address before any connection`, async () => {
      server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) => res.writeHead(302, { location }).end());
      const started = Date.now();
      const [o] = await run();
      expect(o).toMatchObject(forbidden);
      if (o && 'failure' in o) expect(o.failure.message).toContain(`where ${server.host} redirected`);
      // Not retried: a refusal is not a transient failure.
      expect(server.requests.filter((r) => r.path === `/v2/r/blobs/${image.config.digest}`)).toHaveLength(1);
      // A connection attempt to an unreachable address would be an 'unavailable' or a 'timeout', and take time.
      expect(Date.now() - started).toBeLessThan(2000);
    });
  }

  it('a token realm on a metadata address is refused, and no credential is sent anywhere', async () => {
    server.on('GET /v2/', (_q, res) =>
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://169.254.169.254/token",service="s"' }).end(),
    );
    const auth = path.join(tmp, 'auth-realm.json');
    writeFileSync(auth, JSON.stringify({ auths: { [server.host]: { auth: Buffer.from('u:realm-secret').toString('base64') } } }));
    const [o] = await run({ authFile: auth });
    expect(o).toMatchObject(forbidden);
    expect(JSON.stringify(o)).not.toContain('realm-secret');
    expect(heads()).toBe(0);
  });

  it('a registry named by a link-local address is refused too', async () => {
    const [o] = await withImporter(testSettings(), (r) => r.importer.importImages([req('169.254.169.254/r:t')]));
    expect(o).toMatchObject({
      ok: false,
      failure: { kind: 'forbidden', reason: 'Forbidden', message: expect.stringContaining('refusing to connect to 169.254.169.254') },
    });
  });

  it('a name that resolves to a link-local address is refused at connect time; other names connect', async () => {
    const { Transport } = await import('../../src/import/transport.js');
    const resolver = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
      const address = hostname === 'metadata.test' ? '169.254.169.254' : '127.0.0.1';
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    };
    const port = server.host.split(':')[1];
    const transport = new Transport({ certsDirs: [], resolver });
    try {
      const ok = await transport.send({ method: 'GET', url: `http://registry.test:${port}/v2/`, maxBytes: 1024 });
      expect(ok.status).toBe(200);
      await expect(transport.send({ method: 'GET', url: `http://metadata.test:${port}/v2/`, maxBytes: 1024 })).rejects.toMatchObject({
        code: 'forbidden-address',
        message: expect.stringContaining(`metadata.test:${port} (it resolves to 169.254.169.254)`),
      });
    } finally {
      await transport.close();
    }
    const allowed = new Transport({ certsDirs: [], resolver, allowLinkLocal: true });
    try {
      expect((await allowed.send({ method: 'GET', url: `http://registry.test:${port}/v2/`, maxBytes: 1024 })).status).toBe(200);
    } finally {
      await allowed.close();
    }
    expect(server.requests.filter((r) => r.path === '/v2/')).toHaveLength(2);
  });
});
