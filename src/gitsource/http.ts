/**
 * isomorphic-git's HTTP client on undici: every request has connect, header and body timeouts and follows the
 * caller's AbortSignal, so a Git server that hangs can never block a pass or a shutdown. (isomorphic-git's own
 * Node client has neither.) Redirects are followed on the same host only, never with a body.
 */
import { Agent, request } from 'undici';

export interface GitHttpRequest {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>;
  readonly signal?: AbortSignal;
}

export interface GitHttpResponse {
  url: string;
  method: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: AsyncIterableIterator<Uint8Array>;
}

export interface GitHttpClient {
  request(req: GitHttpRequest): Promise<GitHttpResponse>;
}

export interface GitHttpOptions {
  readonly connectTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /** The signal of the work in progress (a pass): read at each request. */
  readonly signal?: () => AbortSignal | undefined;
}

/** A request or response body, whole. */
export async function collect(body: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const maxRedirects = 5;

export function gitHttpClient(options: GitHttpOptions = {}): GitHttpClient & { close(): Promise<void> } {
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
  });
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const signal = req.signal ?? options.signal?.();
      signal?.throwIfAborted();
      const body = req.body ? await collect(req.body) : undefined;
      let url = new URL(req.url);
      for (let hop = 0; ; hop += 1) {
        const res = await request(url, {
          method: (req.method ?? 'GET') as 'GET',
          headers: req.headers ?? {},
          ...(body ? { body } : {}),
          ...(signal ? { signal } : {}),
          dispatcher,
        });
        const location = res.headers.location;
        if (
          [301, 302, 303, 307, 308].includes(res.statusCode) &&
          typeof location === 'string' &&
          body === undefined &&
          hop < maxRedirects
        ) {
          const next = new URL(location, url);
          if (next.host === url.host && (next.protocol === url.protocol || next.protocol === 'https:')) {
            await res.body.dump();
            url = next;
            continue;
          }
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        return {
          url: url.toString(),
          method: req.method ?? 'GET',
          statusCode: res.statusCode,
          statusMessage: String(res.statusCode),
          headers,
          body: res.body[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
        };
      }
    },
    close: () => dispatcher.close(),
  };
}
