/** Faults a real registry cannot produce, from a scripted server: each gives the right reason and nothing crashes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportRequest } from '../../src/import/index.js';
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
  server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(200, { 'docker-content-digest': manifest.digest, 'content-type': manifest.mediaType, 'content-length': String(manifest.size) }).end());
  server.on(`GET /v2/r/manifests/${manifest.digest}`, (_q, res) => res.writeHead(200, { 'content-type': manifest.mediaType }).end(manifest.data));
  server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) => res.writeHead(200).end(image.config.data));
});
afterEach(() => server.stop());
const heads = (): number => server.requests.filter((r) => r.method === 'HEAD').length;
const run = (extra: Parameters<typeof testSettings>[0] = {}) => withImporter(testSettings(extra), (r) => r.importer.importImages([req(`${server.host}/r:t`)]));

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

  it('429 with a Retry-After longer than allowed: fails at once as rate-limited, saying how long it asked', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { kind: 'rate-limited', reason: 'InternalError', message: expect.stringContaining('retry after 3600 s') } });
    expect(heads()).toBe(1);
  });

  it('503: retried with backoff, then reported as unavailable', async () => {
    server.on('HEAD /v2/r/manifests/t', (_q, res) => res.writeHead(503).end());
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { kind: 'unavailable', message: expect.stringMatching(/^Internal error occurred: 127\.0\.0\.1:\d+\/r:t: .*503/) } });
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
    server.on(`GET /v2/r/manifests/${manifest.digest}`, (_q, res) => res.writeHead(200, { 'content-type': manifest.mediaType }).end(Buffer.concat([manifest.data, Buffer.from(' ')])));
    const [o] = await run();
    expect(o).toMatchObject({ ok: false, failure: { kind: 'bad-response', message: expect.stringContaining(`does not match ${manifest.digest}`) } });
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
    server.on(`GET /v2/r/manifests/${digest}`, (_q, res) => res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(body));
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
      server.on(`GET /v2/r/blobs/${image.config.digest}`, (_q, res) => res.writeHead(307, { location: `${store.url}/blob/config?sig=1` }).end());
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
    expect(o).toMatchObject({ ok: false, failure: { reason: 'NotV2Registry', message: `registry "${server.host}" does not support the v2 Registry API` } });
  });

  it('whole-repository tags: Link pagination followed, empty name is latest, priority order, then the cap', async () => {
    server.on('GET /v2/r/tags/list', (q, res) => {
      const page = new URL(q.url ?? '', 'http://x').searchParams.get('last');
      if (!page) res.writeHead(200, { link: '</v2/r/tags/list?n=3&last=b>; rel="next"', 'content-type': 'application/json' }).end(JSON.stringify({ name: 'r', tags: ['b', '1.0', ''] }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'r', tags: ['2.0', 'a', 'latest', 'v2.0.1'] }));
    });
    const result = await withImporter(testSettings(), (r) => r.importer.repositoryTags(`${server.host}/r`, true, 4));
    expect(result).toEqual({ ok: true, tags: ['latest', '2.0', '1.0', 'v2.0.1'], additionalTags: ['a', 'b'] });
    const all = await withImporter(testSettings(), (r) => r.importer.repositoryTags(`${server.host}/r`, true, -1));
    expect(all).toMatchObject({ ok: true, additionalTags: [] });
  });

  it('a Link to another host is not followed with this registry\'s credentials', async () => {
    server.on('GET /v2/r/tags/list', (_q, res) => res.writeHead(200, { link: '<http://elsewhere.example:1/v2/r/tags/list?last=b>; rel="next"' }).end('{"tags":["a"]}'));
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
    const out = await withImporter(testSettings({ concurrency: 3 }), (r) => r.importer.importImages(many.map((t) => req(`${server.host}/r:${t}`))));
    expect(out.every((o) => o.ok)).toBe(true);
    expect(most).toBe(3);
  });
});
