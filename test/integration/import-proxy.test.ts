/** HTTPS_PROXY / HTTP_PROXY / NO_PROXY: a real CONNECT proxy in front of the shared registry. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { testSettings, withImporter } from '../helpers/importer.js';

const registryUrl = inject('registryUrl');
const host = inject('registryHost');
let proxy: Server;
let proxyUrl: string;
const tunnels: string[] = [];
let digest: string;

beforeAll(async () => {
  digest = await pushImage({ url: registryUrl }, 'proxied/app', '1', buildImage({ seed: 'proxied' }));
  proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, socket, head) => {
    tunnels.push(req.url ?? '');
    const [h, p] = (req.url ?? '').split(':');
    const upstream = connect(Number(p), h ?? '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

describe('proxies', () => {
  it('goes through HTTP_PROXY when set', async () => {
    tunnels.length = 0;
    const [o] = await withImporter(testSettings({ proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl } }), (r) =>
      r.importer.importImages([{ from: `${host}/proxied/app:1`, importMode: 'Legacy', insecure: true }]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest } });
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels.every((t) => t === host)).toBe(true);
  });

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    tunnels.length = 0;
    const [o] = await withImporter(testSettings({ proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl, noProxy: '127.0.0.1' } }), (r) =>
      r.importer.importImages([{ from: `${host}/proxied/app:1`, importMode: 'Legacy', insecure: true }]),
    );
    expect(o).toMatchObject({ ok: true, image: { digest } });
    expect(tunnels).toEqual([]);
  });
});
