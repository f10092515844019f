/**
 * HTTP for registries, on undici: one keep-alive dispatcher per (host, TLS mode), custom CAs and client
 * certificates from a containers-style certs directory (`<dir>/<host[:port]>/*.crt`, `client.cert`/`client.key`),
 * proxies (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, passed in by the shell), timeouts on connect, headers and body,
 * size limits, and redirects followed by hand so that `Authorization` is dropped whenever the host changes.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { BoundedMemo } from '../reconcile/memo.js';

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
  /**
   * Allow requests to link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, ...). Default false:
   * such a URL, whether asked for, redirected to, a token realm or a `Link`, fails with `forbidden-address`.
   */
  readonly allowLinkLocal?: boolean;
  /** The name resolver connections use (default: the system's, `dns.lookup`); the address check wraps it. */
  readonly resolver?: LookupFunction;
  /** The signal of the work in progress (the daemon's pass), read at each request: an abort ends the request at once. */
  readonly signal?: () => AbortSignal | undefined;
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

export type TransportErrorCode =
  | 'timeout'
  | 'unavailable'
  | 'tls'
  | 'http-to-https'
  | 'too-large'
  | 'truncated'
  | 'redirect'
  | 'bad-response'
  | 'forbidden-address'
  | 'aborted';

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

/** Whether an error (or what it wraps) is a refusal of a link-local or metadata address. */
export function isForbiddenAddressError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof TransportError && e.code === 'forbidden-address') return true;
  }
  return false;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(a) !== 6) return undefined;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', tail] = a.split('::') as [string, string | undefined];
  const part = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const linkLocalV4 = (a: number, b: number): boolean => a === 169 && b === 254;

/**
 * Why an address (or a hostname that is literally one) must not be connected to, or undefined when it may:
 * link-local (169.254.0.0/16, fe80::/10, including IPv4-mapped, IPv4-compatible and NAT64 forms of
 * 169.254.0.0/16) and the cloud metadata services outside it (AWS's fd00:ec2::254, Alibaba's 100.100.100.200,
 * the metadata.google.internal name). No DNS: names are checked when they resolve (see `guardedLookup`).
 */
export function forbiddenAddress(host: string): string | undefined {
  // Asked before every request: the answer for a host is kept (a pass talks to a handful of hosts).
  return checkedHosts.get(host, addressProblem);
}

const checkedHosts = new BoundedMemo<string | undefined>(1024);

function addressProblem(host: string): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'metadata.google.internal') return 'a cloud metadata service';
  if (isIP(h) === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number);
    if (linkLocalV4(a, b)) return 'a link-local address (169.254.0.0/16, where cloud metadata services live)';
    if (h === '100.100.100.200') return 'a cloud metadata service';
    return undefined;
  }
  const g = ipv6Groups(h);
  if (!g) return undefined;
  if (((g[0] ?? 0) & 0xffc0) === 0xfe80) return 'a link-local address (fe80::/10)';
  if (g.join(':') === [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254].join(':')) return 'a cloud metadata service';
  const embedsV4 =
    (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) ||
    (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0));
  if (embedsV4 && linkLocalV4((g[6] ?? 0) >> 8, (g[6] ?? 0) & 0xff))
    return 'a link-local address (169.254.0.0/16, where cloud metadata services live)';
  return undefined;
}

function forbiddenAddressError(url: URL, why: string, how: { resolved?: string; redirectedFrom?: string } = {}): TransportError {
  const where = `${url.host}${how.resolved ? ` (it resolves to ${how.resolved})` : ''}${how.redirectedFrom ? `, where ${how.redirectedFrom} redirected,` : ''}`;
  return new TransportError(
    'forbidden-address',
    `refusing to connect to ${where}: it is ${why}; set registries.allowLinkLocal: true to allow it`,
  );
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** A marker error from the connect-time check, turned into a TransportError by `classify`. */
class ForbiddenLookup extends Error {
  readonly code = 'IMAGESTREAMS_FORBIDDEN_ADDRESS';
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`${address} is ${why}`);
  }
}

/**
 * A `lookup` for net/tls.connect that refuses a name resolving to a forbidden address before any connection is
 * made (a registry name pointed at 169.254.169.254 by DNS). Handles both callback forms (`all` or one address).
 */
export function guardedLookup(base: LookupFunction = dnsLookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      for (const a of list) {
        const why = forbiddenAddress(a);
        if (why) return callback(new ForbiddenLookup(a, why) as unknown as NodeJS.ErrnoException, address, family);
      }
      return callback(null, address, family);
    });
  };
}

const tlsErrorCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function classify(err: unknown, url: string): TransportError {
  if (err instanceof TransportError) return err;
  const forbidden = [err, (err as { cause?: unknown }).cause].find((x): x is ForbiddenLookup => x instanceof ForbiddenLookup);
  if (forbidden) return forbiddenAddressError(new URL(url), forbidden.why, { resolved: forbidden.address });
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
  if (
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code) ||
    /other side closed|socket/i.test(text)
  ) {
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
    return {
      ...(ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}),
      ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    };
  }

  private dispatcher(url: URL, insecure: boolean): Promise<Dispatcher> {
    const key = `${url.protocol}//${url.host}|${insecure ? 'insecure' : 'verify'}`;
    let d = this.dispatchers.get(key);
    if (!d) {
      d = this.tlsFor(url.host).then((tls) => {
        const connect = {
          ...tls,
          rejectUnauthorized: !insecure,
          timeout: this.options.connectTimeoutMs ?? 10_000,
          ...(this.options.allowLinkLocal
            ? this.options.resolver
              ? { lookup: this.options.resolver }
              : {}
            : { lookup: guardedLookup(this.options.resolver) }),
        };
        const base = {
          connect,
          connections: this.options.connectionsPerHost ?? 16,
          keepAliveTimeout: 30_000,
          headersTimeout: this.options.headersTimeoutMs ?? 30_000,
          bodyTimeout: this.options.bodyTimeoutMs ?? 60_000,
        };
        const proxy = this.options.proxy;
        if (proxy && (proxy.httpProxy || proxy.httpsProxy)) {
          return new EnvHttpProxyAgent({
            ...base,
            requestTls: connect,
            httpProxy: proxy.httpProxy ?? '',
            httpsProxy: proxy.httpsProxy ?? '',
            noProxy: proxy.noProxy ?? '',
          });
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
    const signal = this.options.signal?.();
    for (let hop = 0; ; hop += 1) {
      if (signal?.aborted) throw new TransportError('aborted', `request to ${url.host} not sent: the pass was stopped`);
      // Checked before any connection, for the first URL and for every redirect (an object store, a token realm).
      const why = this.options.allowLinkLocal ? undefined : forbiddenAddress(url.hostname);
      if (why) throw forbiddenAddressError(url, why, hop > 0 ? { redirectedFrom: originalHost } : {});
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          ...(method === 'HEAD' ? { reset: false } : {}),
          dispatcher: await this.dispatcher(url, req.insecure ?? false),
          ...(req.body !== undefined && method === 'POST' ? { body: req.body } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted) throw new TransportError('aborted', `request to ${url.host} stopped: the pass was stopped`, { cause: err });
        throw classify(err, url.href);
      }
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string') {
        res.body.resume();
        if (hop >= maxRedirects) throw new TransportError('redirect', `too many redirects from ${originalHost}`);
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:')
          throw new TransportError('redirect', `redirect to an unsupported URL scheme ${next.protocol}`);
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
      // A HEAD has no body; finishing it hands the kept-alive connection (reset: false above) to the next request.
      const body = method === 'HEAD' ? await res.body.dump().then(() => Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, url);
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
