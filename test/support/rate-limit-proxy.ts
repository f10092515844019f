/**
 * A Docker-Hub-like rate limit in front of a real (plain HTTP) registry, the one thing the real server cannot do:
 * at most `limit` counted requests per fixed window (Docker Hub counts manifest GETs, "pulls"; HEADs are free),
 * every answer carrying `ratelimit-limit: <limit>;w=<window s>` and `ratelimit-remaining: <left>;w=<window s>`, and
 * a counted request beyond the limit answered 429 with a Retry-After until the window ends, without asking the
 * registry. Everything else is forwarded as is.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RateLimitProxyOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** What counts: manifest GETs (Docker Hub) or every request. Default pulls. */
  readonly counts?: 'pulls' | 'requests';
  /** Send the ratelimit-* headers (default true). */
  readonly headers?: boolean;
}

export interface RateLimitProxy {
  /** host:port to use in image references instead of the registry's. */
  readonly host: string;
  /** Requests seen, counted requests forwarded, and 429s answered. */
  readonly stats: { requests: number; counted: number; tooMany: number; byMethod: Record<string, number> };
  /** Start a fresh window now (the window passing, without waiting for it). */
  resetWindow(): void;
  resetStats(): void;
  stop(): Promise<void>;
}

export async function startRateLimitProxy(upstream: string, options: RateLimitProxyOptions): Promise<RateLimitProxy> {
  const target = new URL(upstream);
  const counts = options.counts ?? 'pulls';
  const windowS = Math.ceil(options.windowMs / 1000);
  const stats = { requests: 0, counted: 0, tooMany: 0, byMethod: {} as Record<string, number> };
  let windowStart: number | undefined;
  let used = 0;
  const counted = (method: string, path: string): boolean =>
    counts === 'requests' || (method === 'GET' && /\/manifests\/[^/]+$/.test(path.split('?')[0] ?? ''));
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    stats.requests += 1;
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    const now = Date.now();
    if (windowStart !== undefined && now >= windowStart + options.windowMs) {
      windowStart = undefined;
      used = 0;
    }
    const limitHeaders = (left: number): Record<string, string> =>
      options.headers === false
        ? {}
        : { 'ratelimit-limit': `${options.limit};w=${windowS}`, 'ratelimit-remaining': `${Math.max(0, left)};w=${windowS}` };
    if (counted(method, path)) {
      windowStart ??= now;
      if (used >= options.limit) {
        stats.tooMany += 1;
        const retryAfter = Math.max(1, Math.ceil((windowStart + options.windowMs - now) / 1000));
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter), ...limitHeaders(0) })
          .end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] }));
        return;
      }
      used += 1;
      stats.counted += 1;
    }
    const left = options.limit - used;
    const out = httpRequest(
      { host: target.hostname, port: target.port, method, path, headers: { ...req.headers, host: target.host } },
      (up) => {
        const headers = { ...up.headers, ...limitHeaders(left) };
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    stats,
    resetWindow: () => {
      windowStart = undefined;
      used = 0;
    },
    resetStats: () => {
      stats.requests = 0;
      stats.counted = 0;
      stats.tooMany = 0;
      stats.byMethod = {};
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
