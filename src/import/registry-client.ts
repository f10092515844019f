/**
 * The OCI distribution API, one registry host at a time: `/v2/` ping (scheme, challenge), manifests by HEAD and
 * GET, blobs, `tags/list` with `Link` pagination. Handles auth, retries, Retry-After, the per-registry concurrency
 * limit and circuit. Answers with typed RegistryErrors; never hides a failure's reason.
 */
import type { Challenge } from './www-authenticate.js';
import { parseWwwAuthenticate } from './www-authenticate.js';
import { AuthError, TokenCache } from './auth.js';
import type { Credential, CredentialStore } from './credentials.js';
import type { Clock } from './limits.js';
import { backoffMs, Circuit, parseRetryAfter, Semaphore } from './limits.js';
import type { RateBudgets, RegistryBudget } from './rate-budget.js';
import { DeferredError, defaultRateLimitedMs } from './rate-budget.js';
import type { HttpResponse, HttpRequest, Transport } from './transport.js';
import { TransportError } from './transport.js';

export const manifestAccept = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5',
  'application/vnd.docker.distribution.manifest.v1+json;q=0.5',
].join(', ');

export type RegistryErrorKind =
  | 'unauthorized'
  | 'not-found'
  | 'rate-limited'
  | 'unavailable'
  | 'bad-response'
  | 'timeout'
  | 'insecure-required'
  | 'not-v2'
  | 'forbidden'
  | 'too-large'
  | 'forbidden-address';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly details: {
      readonly status?: number;
      readonly registryCode?: string;
      readonly hadCredentials?: boolean;
      /** The token service turned the configured credentials down (a wrong username or password). */
      readonly credentialsRefused?: boolean;
      readonly detail?: string;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Which repository on which host, and how to reach it. */
export interface Target {
  /** The API host (`registry-1.docker.io` for Docker Hub), with port if any. */
  readonly host: string;
  /** The registry as written, for credentials (`docker.io`, `quay.io`, `localhost:5000`). */
  readonly registry: string;
  readonly repository: string;
  readonly insecure: boolean;
  /** Send no credentials (the retry after refused credentials, §6.9). */
  readonly anonymous?: boolean;
}

export interface RequestEvent {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly rateLimitRemaining?: string;
}

export interface RegistryClientOptions {
  readonly transport: Transport;
  readonly credentials: CredentialStore;
  readonly clock: Clock;
  readonly concurrencyPerRegistry?: number;
  /** Attempts after the first for transient failures. */
  readonly retries?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** The longest Retry-After we wait for inside one import; longer ones fail as rate-limited. */
  readonly maxRetryAfterMs?: number;
  readonly circuit?: { readonly failureThreshold: number; readonly openMs: number };
  readonly onRequest?: (event: RequestEvent) => void;
  readonly random?: () => number;
  /**
   * Request budgets per registry (rate-budget.ts): counted requests wait or are deferred (DeferredError) when
   * the budget is spent, and a 429 defers the rest of that registry's requests. Absent: no budget, and a 429
   * past the retries fails the request as rate-limited.
   */
  readonly budgets?: RateBudgets;
}

interface HostState {
  readonly semaphore: Semaphore;
  readonly circuit: Circuit;
  ping?: Promise<{ base: string; challenge: Challenge | undefined }> | undefined;
}

function registryErrorCode(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    const code = parsed.errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export class RegistryClient {
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens: TokenCache;

  constructor(private readonly options: RegistryClientOptions) {
    this.tokens = new TokenCache(options.transport, options.clock);
  }

  private state(host: string, insecure: boolean): HostState {
    const key = `${host}|${insecure}`;
    let s = this.hosts.get(key);
    if (!s) {
      s = {
        semaphore: new Semaphore(this.options.concurrencyPerRegistry ?? 8),
        circuit: new Circuit(this.options.circuit ?? { failureThreshold: 5, openMs: 60_000 }, this.options.clock),
      };
      this.hosts.set(key, s);
    }
    return s;
  }

  private budget(target: Target): RegistryBudget | undefined {
    return this.options.budgets?.for(target.registry, target.host);
  }

  /** One request through the registry's budget (a unit taken before, the answer's rate-limit headers read after). */
  private async budgeted(target: Target, s: HostState, request: HttpRequest): Promise<HttpResponse> {
    const budget = this.budget(target);
    if (!budget) return s.semaphore.run(() => this.options.transport.send(request));
    const ticket = await budget.acquire(request.method, pathOf(request.url), this.options.maxRetryAfterMs ?? 60_000);
    let res: HttpResponse | undefined;
    try {
      res = await s.semaphore.run(() => this.options.transport.send(request));
      return res;
    } finally {
      budget.release(ticket, res?.headers);
    }
  }

  /** `GET /v2/` over HTTPS (and, for insecure targets only, plain HTTP when HTTPS fails). 2xx, 401, 403 are v2. */
  private ping(target: Target): Promise<{ base: string; challenge: Challenge | undefined }> {
    const s = this.state(target.host, target.insecure);
    if (!s.ping) {
      s.ping = this.doPing(target, s).catch((err: unknown) => {
        s.ping = undefined; // a failed ping is retried by the next request
        throw err;
      });
    }
    return s.ping;
  }

  /**
   * The ping goes through the same retry loop as every other request (circuit, 429/5xx with Retry-After and
   * backoff, resets and timeouts). For an insecure target, HTTPS that gives no HTTP answer at all is not retried:
   * the registry may simply speak plain HTTP, which is tried next (and retried in its turn).
   */
  private async doPing(target: Target, s: HostState): Promise<{ base: string; challenge: Challenge | undefined }> {
    const attempt = async (
      scheme: 'https' | 'http',
      retryTransport: boolean,
    ): Promise<{ base: string; challenge: Challenge | undefined }> => {
      const base = `${scheme}://${target.host}`;
      const url = `${base}/v2/`;
      const res = await this.withRetries(target, s, 'GET', url, ' to /v2/', retryTransport, () =>
        this.budgeted(target, s, {
          method: 'GET',
          url,
          headers: { 'user-agent': 'imagestreams' },
          maxBytes: 64 * 1024,
          insecure: target.insecure,
        }),
      );
      if (res.status === 401 || res.status === 403 || (res.status >= 200 && res.status < 300)) {
        const header = res.headers['www-authenticate'];
        const challenges = header ? parseWwwAuthenticate(header) : [];
        return { base, challenge: challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') };
      }
      if (res.status === 404)
        throw new RegistryError('not-v2', `registry ${target.host} does not support the v2 Registry API`, { status: 404 });
      throw new RegistryError('bad-response', `registry ${target.host} answered ${res.status} to /v2/`, { status: res.status });
    };
    try {
      return await attempt('https', !target.insecure);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      // An HTTPS answer other than 5xx is the registry's answer; no answer at all (or 5xx) may mean "plain HTTP".
      const answered = err.details.status !== undefined;
      if ((answered && err.kind !== 'unavailable') || err.kind === 'forbidden-address') throw err;
      if (target.insecure) return attempt('http', true);
      if (err instanceof RegistryError && err.cause instanceof TransportError && err.cause.code === 'http-to-https') {
        throw new RegistryError(
          'insecure-required',
          `the repository ${target.host}/${target.repository} is HTTP only and requires the insecure flag to import`,
        );
      }
      throw err;
    }
  }

  private wrap(err: unknown): RegistryError {
    if (err instanceof RegistryError) return err;
    if (err instanceof AuthError)
      return new RegistryError(
        err.kind,
        err.message,
        { hadCredentials: err.hadCredentials, credentialsRefused: err.kind === 'unauthorized' && err.hadCredentials },
        { cause: err },
      );
    if (err instanceof TransportError) {
      const kind: RegistryErrorKind =
        err.code === 'timeout'
          ? 'timeout'
          : err.code === 'too-large'
            ? 'too-large'
            : err.code === 'forbidden-address'
              ? 'forbidden-address'
              : err.code === 'unavailable' || err.code === 'truncated'
                ? 'unavailable'
                : 'bad-response';
      return new RegistryError(kind, err.message, {}, { cause: err });
    }
    return new RegistryError('bad-response', err instanceof Error ? err.message : String(err), {}, { cause: err });
  }

  /**
   * The retry loop every request goes through: the circuit, transport failures (resets, timeouts) and 429/5xx
   * answers retried with Retry-After (within the cap) or exponential backoff with full jitter. Answers with the
   * first response that is not transient; `again` may ask for one more try that does not count as a retry.
   */
  private async withRetries(
    target: Target,
    s: HostState,
    method: string,
    url: string,
    what: string,
    retryTransport: boolean,
    send: () => Promise<HttpResponse>,
    again?: (res: HttpResponse) => boolean,
  ): Promise<HttpResponse> {
    const retries = this.options.retries ?? 3;
    const backoff = (attempt: number): number =>
      backoffMs(attempt, this.options.backoffBaseMs ?? 500, this.options.backoffCapMs ?? 30_000, this.options.random);
    const path = pathOf(url);
    for (let attempt = 0; ; attempt += 1) {
      const blocked = s.circuit.blockedFor();
      if (blocked !== undefined) {
        throw new RegistryError(
          'unavailable',
          `registry ${target.host} is paused after repeated failures; next try in ${Math.ceil(blocked / 1000)} s`,
        );
      }
      let res: HttpResponse;
      try {
        res = await send();
      } catch (err) {
        if (err instanceof DeferredError) throw err; // never sent: nothing to count or retry
        const wrapped = this.wrap(err);
        // An insecure target's HTTPS probe that got no answer is not a request to count (plain HTTP is next).
        if (retryTransport) this.options.onRequest?.({ method, host: target.host, path, status: undefined });
        const transient = wrapped.kind === 'unavailable' || wrapped.kind === 'timeout';
        if (!transient || !retryTransport) throw wrapped;
        s.circuit.failure();
        if (attempt < retries) {
          await this.options.clock.sleep(backoff(attempt));
          continue;
        }
        throw wrapped;
      }
      const remaining = res.headers['ratelimit-remaining'];
      this.options.onRequest?.({
        method,
        host: target.host,
        path,
        status: res.status,
        ...(remaining ? { rateLimitRemaining: remaining } : {}),
      });
      if (again?.(res)) {
        attempt -= 1;
        continue;
      }
      const budget = this.budget(target);
      if (res.status === 429 && budget) {
        // A 429 holds every request to this registry until its Retry-After: waited for within the cap (the budget
        // waits), else the rest of this registry's requests are deferred to a later pass instead of failing.
        const wait = parseRetryAfter(res.headers['retry-after'], this.options.clock.now());
        const now = this.options.clock.now();
        if (attempt < retries) {
          budget.block(now + (wait ?? backoff(attempt)));
          continue;
        }
        budget.block(now + (wait ?? defaultRateLimitedMs));
        throw new DeferredError(
          'registry-rate-limited',
          budget.registry,
          now + (wait ?? defaultRateLimitedMs),
          `registry ${budget.registry} answered 429 Too Many Requests after ${attempt + 1} attempts; deferred to a later pass`,
        );
      }
      if (res.status === 429 || (res.status >= 500 && res.status !== 501)) {
        const wait = parseRetryAfter(res.headers['retry-after'], this.options.clock.now());
        const maxWait = this.options.maxRetryAfterMs ?? 60_000;
        const limited = res.status === 429;
        if (!limited) s.circuit.failure();
        if (attempt < retries && (wait === undefined || wait <= maxWait)) {
          await this.options.clock.sleep(wait ?? backoff(attempt));
          continue;
        }
        const waited = wait !== undefined ? `; it asked to retry after ${Math.ceil(wait / 1000)} s` : '';
        const text = limited ? ' Too Many Requests' : res.status === 503 ? ' Service Unavailable' : '';
        throw new RegistryError(
          limited ? 'rate-limited' : 'unavailable',
          `registry ${target.host} answered ${res.status}${text}${what} after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}${waited}`,
          {
            status: res.status,
            detail: waited.slice(2),
          },
        );
      }
      s.circuit.success();
      return res;
    }
  }

  /** One API call with auth, retries and limits. `path` is below `/v2/<repository>/`. */
  async call(
    target: Target,
    method: 'GET' | 'HEAD',
    path: string,
    opts: { accept?: string; maxBytes: number; absoluteUrl?: string },
  ): Promise<HttpResponse> {
    const s = this.state(target.host, target.insecure);
    const { base, challenge } = await this.ping(target);
    const scope = `repository:${target.repository}:pull`;
    const credential = target.anonymous ? undefined : await this.options.credentials.lookup(target.registry, target.repository);
    const realmCredential = async (realmHost: string): Promise<Credential | undefined> => {
      if (target.anonymous) return undefined;
      if (realmHost === target.host || realmHost === target.registry) return credential;
      // Docker Hub's token service lives on auth.docker.io; it is the same trust domain as docker.io.
      if (realmHost === 'auth.docker.io' && (target.registry === 'docker.io' || target.host === 'registry-1.docker.io')) return credential;
      return this.options.credentials.lookup(realmHost, '');
    };
    const url = opts.absoluteUrl ?? `${base}/v2/${target.repository}/${path}`;
    let refreshedToken = false;
    const send = async (): Promise<HttpResponse> => {
      const authorization = await this.tokens.authorization(challenge, scope, credential, realmCredential, target.insecure);
      const headers: Record<string, string> = {
        'user-agent': 'imagestreams',
        ...(opts.accept ? { accept: opts.accept } : {}),
        ...(authorization ? { authorization } : {}),
      };
      return this.budgeted(target, s, { method, url, headers, maxBytes: opts.maxBytes, insecure: target.insecure });
    };
    // A cached token may have been revoked or lack a scope: fetch a fresh one once.
    const again = (res: HttpResponse): boolean => {
      if (res.status !== 401 || refreshedToken || challenge?.scheme !== 'bearer') return false;
      refreshedToken = true;
      this.tokens.invalidate(challenge, scope);
      return true;
    };
    const res = await this.withRetries(target, s, method, url, '', true, send, again);
    return this.check(target, res, credential !== undefined, path);
  }

  private check(target: Target, res: HttpResponse, hadCredentials: boolean, path: string): HttpResponse {
    if (res.status >= 200 && res.status < 300) return res;
    const registryCode = registryErrorCode(res.body);
    const details = { status: res.status, hadCredentials, ...(registryCode ? { registryCode } : {}) };
    if (res.status === 404)
      throw new RegistryError(
        'not-found',
        `${target.host}/${target.repository}: ${path} not found${registryCode ? ` (${registryCode})` : ''}`,
        details,
      );
    if (res.status === 401)
      throw new RegistryError(
        'unauthorized',
        `${target.host} refused access to ${target.repository}${hadCredentials ? ' with the configured credentials' : ' without credentials'}`,
        details,
      );
    if (res.status === 403) throw new RegistryError('forbidden', `${target.host} forbids access to ${target.repository}`, details);
    throw new RegistryError('bad-response', `${target.host} answered ${res.status} for ${target.repository}/${path}`, details);
  }

  /** All tags of a repository, following `Link: <…>; rel="next"` pagination. */
  async listTags(target: Target, maxPages = 100): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const res = await this.call(target, 'GET', 'tags/list', {
        maxBytes: 8 << 20,
        accept: 'application/json',
        ...(next ? { absoluteUrl: next } : {}),
      });
      let body: { tags?: unknown };
      try {
        body = JSON.parse(res.body.toString('utf8')) as typeof body;
      } catch {
        throw new RegistryError('bad-response', `${target.host} answered tags/list with something that is not JSON`);
      }
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === 'string') tags.push(t);
      const link = res.headers.link;
      const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      if (!m?.[1]) return tags;
      const nextUrl = new URL(m[1], res.url);
      // Never carry this registry's token to another host.
      if (nextUrl.host !== new URL(res.url).host)
        throw new RegistryError('bad-response', `${target.host} paginated tags/list to another host (${nextUrl.host})`);
      next = nextUrl.href;
    }
    return tags;
  }

  async close(): Promise<void> {
    await this.options.transport.close();
  }
}

/**
 * The path of a URL this client built (a registry endpoint: repository names, tags and digests need no escaping),
 * as URL.pathname gives it for them, without parsing the URL (asked for every request: metrics and the budget).
 */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  let end = url.length;
  for (const c of ['?', '#']) {
    const i = url.indexOf(c, start);
    if (i !== -1 && i < end) end = i;
  }
  return url.slice(start, end);
}
