/**
 * HTTP for registries, on undici: one keep-alive dispatcher per (host, TLS mode), custom CAs and client
 * certificates from a containers-style certs directory (`<dir>/<host[:port]>/*.crt`, `client.cert`/`client.key`),
 * proxies (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, passed in by the shell), timeouts on connect, headers and body,
 * size limits, and redirects followed by hand so that `Authorization` is dropped whenever the host changes.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, request } from 'undici';
import type { Dispatcher } from 'undici';

export interface ProxySettings {
  readonly httpProxy?: string | undefined;
  readonly httpsProxy?: string | undefined;
  readonly noProxy?: string | undefined;
}

export interface TransportOptions {
  /** Directories in the containers layout; default /etc/containers/certs.d and /etc/docker/certs.d. */
  readonly certsDirs?: readonly string[];
  readonly connectTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  readonly maxRedirects?: number;
  readonly proxy?: ProxySettings;
  /** Connections kept per host (the per-registry concurrency limit lives in the client). */
  readonly connectionsPerHost?: number;
}

export const defaultCertsDirs = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Larger bodies fail with `too-large` without being read to the end. */
  readonly maxBytes: number;
  /** Skip certificate verification (insecure imports only). */
  readonly insecure?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The URL that answered, after redirects. */
  readonly url: string;
}

export type TransportErrorCode = 'timeout' | 'unavailable' | 'tls' | 'http-to-https' | 'too-large' | 'truncated' | 'redirect' | 'bad-response';

/** A failure to get an HTTP answer at all (no status code to reason about). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get transient(): boolean {
    return this.code === 'timeout' || this.code === 'unavailable' || this.code === 'truncated';
  }
}

const tlsErrorCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function classify(err: unknown, url: string): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const text = `${e.message ?? ''} ${e.cause?.message ?? ''}`;
  const host = new URL(url).host;
  if (/wrong version number|packet length too long|ERR_SSL_WRONG_VERSION_NUMBER/i.test(text) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return new TransportError('http-to-https', `${host} does not speak TLS (an HTTP-only registry?)`, { cause: err });
  }
  if (tlsErrorCodes.has(code) || /certificate|self.signed/i.test(text)) {
    return new TransportError('tls', `TLS verification failed for ${host}: ${code || text.trim()}`, { cause: err });
  }
  if (/Timeout/i.test(e.name ?? '') || /UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT/.test(code)) {
    return new TransportError('timeout', `timed out talking to ${host} (${code || e.name})`, { cause: err });
  }
  if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code) || /other side closed|socket/i.test(text)) {
    return new TransportError('unavailable', `cannot reach ${host}: ${code || text.trim()}`, { cause: err });
  }
  return new TransportError('bad-response', `request to ${host} failed: ${code || text.trim() || String(err)}`, { cause: err });
}

interface TlsMaterial {
  readonly ca?: string[];
  readonly cert?: string;
  readonly key?: string;
}

export class Transport {
  private readonly dispatchers = new Map<string, Promise<Dispatcher>>();
  private readonly certsDirs: readonly string[];

  constructor(private readonly options: TransportOptions = {}) {
    this.certsDirs = options.certsDirs ?? defaultCertsDirs;
  }

  /** `*.crt` files are extra CAs (added to the system ones); `<name>.cert` + `<name>.key` is a client certificate. */
  private async tlsFor(hostPort: string): Promise<TlsMaterial> {
    const ca: string[] = [];
    let cert: string | undefined;
    let key: string | undefined;
    for (const dir of this.certsDirs) {
      const hostDir = path.join(dir, hostPort);
      let names: string[];
      try {
        names = (await readdir(hostDir)).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith('.crt')) ca.push(await readFile(path.join(hostDir, name), 'utf8'));
        if (name.endsWith('.cert') && cert === undefined) {
          const keyName = `${name.slice(0, -'.cert'.length)}.key`;
          if (names.includes(keyName)) {
            cert = await readFile(path.join(hostDir, name), 'utf8');
            key = await readFile(path.join(hostDir, keyName), 'utf8');
          }
        }
      }
    }
    return { ...(ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
  }

  private dispatcher(url: URL, insecure: boolean): Promise<Dispatcher> {
    const key = `${url.protocol}//${url.host}|${insecure ? 'insecure' : 'verify'}`;
    let d = this.dispatchers.get(key);
    if (!d) {
      d = this.tlsFor(url.host).then((tls) => {
        const connect = { ...tls, rejectUnauthorized: !insecure, timeout: this.options.connectTimeoutMs ?? 10_000 };
        const base = {
          connect,
          connections: this.options.connectionsPerHost ?? 16,
          keepAliveTimeout: 30_000,
          headersTimeout: this.options.headersTimeoutMs ?? 30_000,
          bodyTimeout: this.options.bodyTimeoutMs ?? 60_000,
        };
        const proxy = this.options.proxy;
        if (proxy && (proxy.httpProxy || proxy.httpsProxy)) {
          return new EnvHttpProxyAgent({ ...base, requestTls: connect, httpProxy: proxy.httpProxy ?? '', httpsProxy: proxy.httpsProxy ?? '', noProxy: proxy.noProxy ?? '' });
        }
        return new Agent(base);
      });
      this.dispatchers.set(key, d);
    }
    return d;
  }

  /** One request, redirects included. Throws TransportError only when there is no HTTP answer to reason about. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const originalHost = url.host;
    let headers: Record<string, string> = { ...req.headers };
    let method = req.method;
    const maxRedirects = this.options.maxRedirects ?? 5;
    for (let hop = 0; ; hop += 1) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          dispatcher: await this.dispatcher(url, req.insecure ?? false),
          ...(req.body !== undefined && method === 'POST' ? { body: req.body } : {}),
        });
      } catch (err) {
        throw classify(err, url.href);
      }
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string') {
        res.body.resume();
        if (hop >= maxRedirects) throw new TransportError('redirect', `too many redirects from ${originalHost}`);
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TransportError('redirect', `redirect to an unsupported URL scheme ${next.protocol}`);
        if (url.protocol === 'https:' && next.protocol === 'http:' && !req.insecure) {
          throw new TransportError('redirect', `refusing a redirect from HTTPS to plain HTTP (${next.host})`);
        }
        // Credentials are for the host they were configured for: a redirect elsewhere (an object store) drops them.
        if (next.host !== url.host) {
          const { authorization: _a, Authorization: _b, ...rest } = headers;
          headers = rest;
        }
        if (res.statusCode === 303) method = 'GET';
        url = next;
        continue;
      }
      const body = method === 'HEAD' ? Buffer.alloc(0) : await this.readBody(res, req.maxBytes, url);
      return { status: res.statusCode, headers: flatten(res.headers), body, url: url.href };
    }
  }

  private async readBody(res: Dispatcher.ResponseData, maxBytes: number, url: URL): Promise<Buffer> {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw new TransportError('too-large', `${url.host} answered with ${declared} bytes, more than the limit of ${maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        total += b.length;
        if (total > maxBytes) {
          res.body.destroy();
          throw new TransportError('too-large', `${url.host} sent more than the limit of ${maxBytes} bytes`);
        }
        chunks.push(b);
      }
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new TransportError('truncated', `the response from ${url.host} was cut short after ${total} bytes`, { cause: err });
    }
    if (Number.isFinite(declared) && total !== declared) {
      throw new TransportError('truncated', `the response from ${url.host} was cut short: ${total} of ${declared} bytes`);
    }
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map(async (d) => (await d).close()));
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
