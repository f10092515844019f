/**
 * An HTTP forwarder in front of a real server (the git http-backend) that a test can take down and bring back:
 * while `down`, every request is answered 503 (or the connection is reset), as a server being restarted would.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface SwitchProxy {
  readonly url: string;
  /** 'up' forwards; '503' answers Service Unavailable; 'reset' destroys the connection. */
  mode: 'up' | '503' | 'reset';
  /** Requests refused while not up. */
  readonly refused: number;
  /** Answer the next `n` requests 503, then forward again (a server that is briefly unavailable). */
  failNext(n: number): void;
  stop(): Promise<void>;
}

const hopByHop = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export async function startSwitchProxy(target: string): Promise<SwitchProxy> {
  let refused = 0;
  const state = { mode: 'up' as SwitchProxy['mode'], failing: 0 };
  const server = createServer((req, res) => {
    if (state.failing > 0) {
      state.failing -= 1;
      refused += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('try later\n');
      return;
    }
    if (state.mode !== 'up') {
      refused += 1;
      if (state.mode === 'reset') req.socket.destroy();
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance\n');
      return;
    }
    void (async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !hopByHop.has(k))) as Record<string, string>;
      const upstream = await request(`${target}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET',
        headers,
        ...(req.method === 'POST' ? { body: req } : {}),
      });
      res.writeHead(
        upstream.statusCode,
        Object.fromEntries(Object.entries(upstream.headers).filter(([k]) => !hopByHop.has(k))) as Record<string, string>,
      );
      for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get refused() {
      return refused;
    },
    failNext: (n) => {
      state.failing = n;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
