/**
 * A scripted HTTP server, only for faults a real registry cannot produce (429 with Retry-After, truncated bodies,
 * wrong digests, redirects, resets). Every request is recorded with its headers; an unscripted request is a 599.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface ScriptedServer {
  readonly host: string;
  readonly url: string;
  readonly requests: ScriptedRequest[];
  /** Route by "METHOD /path" (exact) or "METHOD /prefix*". `n` counts calls to that route from 1. */
  on(route: string, handler: Handler): void;
  stop(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const routes: Array<{ route: string; handler: Handler; calls: number }> = [];
  const requests: ScriptedRequest[] = [];
  const server = createServer((req, res) => {
    const p = (req.url ?? '').split('?')[0] ?? '';
    requests.push({ method: req.method ?? '', path: p, headers: req.headers });
    const key = `${req.method} ${p}`;
    const r = routes.find((x) => x.route === key || (x.route.endsWith('*') && key.startsWith(x.route.slice(0, -1))));
    if (!r) {
      res.writeHead(599).end('unscripted request');
      return;
    }
    r.calls += 1;
    r.handler(req, res, r.calls);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (route, handler) => {
      routes.unshift({ route, handler, calls: 0 });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
