import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface CountingProxy {
  /** host:port to use in image references instead of the registry's. */
  readonly host: string;
  readonly requests: CountedRequest[];
  /** TCP connections clients opened to the proxy since the last reset. */
  connections(): number;
  /** The most requests in flight at once since the last reset. */
  maxInFlight(): number;
  count(filter?: (r: CountedRequest) => boolean): number;
  reset(): void;
  stop(): Promise<void>;
}

/** A plain-HTTP reverse proxy in front of a plain-HTTP registry that records every request it forwards. */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const requests: CountedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
    });
    const out = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', status: up.statusCode ?? 0 });
        // Location headers name the upstream; rewrite them so clients stay on the proxy.
        const headers = { ...up.headers };
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(target.host, `127.0.0.1:${(server.address() as AddressInfo).port}`);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    maxInFlight: () => maxInFlight,
    count: (filter) => (filter ? requests.filter(filter).length : requests.length),
    reset: () => {
      requests.length = 0;
      connections = 0;
      maxInFlight = inFlight;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
