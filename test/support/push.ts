import { Agent, request, type Dispatcher } from 'undici';
import { MANIFEST_ACCEPT, sha256, type Blob, type BuiltImage, type BuiltIndex } from './images.js';

/** Anything with a base URL; a `Registry` from registry.ts fits. */
export interface RegistryTarget {
  url: string;
  caPem?: string;
  username?: string;
  password?: string;
  dispatcher?: Dispatcher;
}

export interface ClientOptions {
  username?: string;
  password?: string;
  /** Override the target's dispatcher (e.g. one without the CA). */
  dispatcher?: Dispatcher;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="x",service="y",scope="a:b:c"` (one challenge). */
export function parseChallenge(header: string): Challenge {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (sp < 0 ? '' : header.slice(sp + 1)).matchAll(re)) {
    const key = m[1];
    if (key !== undefined) params[key.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { scheme, params };
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * A small registry API client for tests: Basic auth and Bearer token challenges
 * (tokens cached per scope), TLS via the target's CA.
 */
export class RegistryClient {
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  private readonly ownedAgent: Agent | undefined;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly tokens = new Map<string, string>();
  /** Number of token fetches made by this client. */
  tokenFetches = 0;

  constructor(target: RegistryTarget, opts: ClientOptions = {}) {
    this.baseUrl = target.url.replace(/\/$/, '');
    this.username = opts.username ?? target.username;
    this.password = opts.password ?? target.password;
    if (opts.dispatcher) this.dispatcher = opts.dispatcher;
    else if (target.dispatcher) this.dispatcher = target.dispatcher;
    else {
      this.ownedAgent = new Agent(target.caPem ? { connect: { ca: target.caPem } } : {});
      this.dispatcher = this.ownedAgent;
    }
  }

  async close(): Promise<void> {
    await this.ownedAgent?.close();
  }

  private basicHeader(): string | undefined {
    if (this.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.username}:${this.password ?? ''}`).toString('base64')}`;
  }

  private async raw(method: Dispatcher.HttpMethod, url: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
    const res = await request(url, { method, headers, body, dispatcher: this.dispatcher });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: flatHeaders(res.headers), body: buf };
  }

  /** Fetch a bearer token for the challenge, with Basic credentials when configured. */
  async fetchToken(challenge: Challenge): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new Error('Bearer challenge without realm');
    const u = new URL(realm);
    if (challenge.params.service) u.searchParams.set('service', challenge.params.service);
    for (const s of (challenge.params.scope ?? '').split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const basic = this.basicHeader();
    if (basic) headers.authorization = basic;
    this.tokenFetches++;
    const res = await this.raw('GET', u.toString(), headers);
    if (res.status !== 200) {
      throw new Error(`token request to ${u.toString()} failed: ${res.status} ${res.body.toString()}`);
    }
    const json = JSON.parse(res.body.toString()) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new Error('token response without token');
    return token;
  }

  /**
   * Send a request to the registry (path relative to base URL or absolute URL).
   * Answers a 401 challenge once (Basic or Bearer) and retries.
   */
  async send(
    method: Dispatcher.HttpMethod,
    pathOrUrl: string,
    opts: { headers?: Record<string, string>; body?: Buffer; scope?: string } = {},
  ): Promise<RawResponse> {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    const headers = { ...(opts.headers ?? {}) };
    const cached = opts.scope ? this.tokens.get(opts.scope) : undefined;
    if (cached) headers.authorization = `Bearer ${cached}`;
    else if (this.username !== undefined && this.tokens.size === 0) {
      const basic = this.basicHeader();
      if (basic) headers.authorization = basic;
    }
    let res = await this.raw(method, url, headers, opts.body);
    if (res.status !== 401) return res;
    const wa = res.headers['www-authenticate'];
    if (!wa) return res;
    const ch = parseChallenge(wa);
    if (ch.scheme === 'basic') {
      const basic = this.basicHeader();
      if (!basic || headers.authorization === basic) return res;
      headers.authorization = basic;
    } else if (ch.scheme === 'bearer') {
      const token = await this.fetchToken(ch);
      const key = ch.params.scope ?? opts.scope ?? '';
      this.tokens.set(key, token);
      headers.authorization = `Bearer ${token}`;
    } else return res;
    res = await this.raw(method, url, headers, opts.body);
    return res;
  }

  private static check(res: RawResponse, what: string, ok: number[]): RawResponse {
    if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString().slice(0, 500)}`);
    return res;
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, { scope: pullScope(repo) });
    return res.status === 200;
  }

  /** Monolithic upload: POST /blobs/uploads/ then PUT <Location>&digest=. Skips existing blobs. */
  async pushBlob(repo: string, blob: Pick<Blob, 'digest' | 'data'>): Promise<void> {
    const scope = pushScope(repo);
    const head = await this.send('HEAD', `/v2/${repo}/blobs/${blob.digest}`, { scope });
    if (head.status === 200) return;
    const start = RegistryClient.check(
      await this.send('POST', `/v2/${repo}/blobs/uploads/`, { scope, headers: { 'content-length': '0' } }),
      `start upload ${repo}`,
      [202],
    );
    const location = start.headers.location;
    if (!location) throw new Error('upload start without Location');
    const loc = new URL(location, this.baseUrl);
    loc.searchParams.set('digest', blob.digest);
    RegistryClient.check(
      await this.send('PUT', loc.toString(), {
        scope,
        body: blob.data,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.data.length) },
      }),
      `upload ${blob.digest} to ${repo}`,
      [201],
    );
  }

  /** PUT a manifest; returns the Docker-Content-Digest the registry answered. */
  async pushManifest(repo: string, reference: string, manifest: Pick<Blob, 'mediaType' | 'data'>): Promise<string> {
    const res = RegistryClient.check(
      await this.send('PUT', `/v2/${repo}/manifests/${reference}`, {
        scope: pushScope(repo),
        body: manifest.data,
        headers: { 'content-type': manifest.mediaType },
      }),
      `put manifest ${repo}:${reference}`,
      [201],
    );
    return res.headers['docker-content-digest'] ?? sha256(manifest.data);
  }

  /** GET (or HEAD) a manifest with the full Accept list. */
  async getManifest(repo: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<RawResponse> {
    return this.send(method, `/v2/${repo}/manifests/${reference}`, {
      scope: pullScope(repo),
      headers: { accept: MANIFEST_ACCEPT },
    });
  }

  async getBlob(repo: string, digest: string): Promise<RawResponse> {
    return this.send('GET', `/v2/${repo}/blobs/${digest}`, { scope: pullScope(repo) });
  }

  async listTags(repo: string): Promise<string[]> {
    const res = RegistryClient.check(await this.send('GET', `/v2/${repo}/tags/list`, { scope: pullScope(repo) }), `tags ${repo}`, [200]);
    return (JSON.parse(res.body.toString()) as { tags: string[] | null }).tags ?? [];
  }

  async deleteManifest(repo: string, digest: string): Promise<RawResponse> {
    return this.send('DELETE', `/v2/${repo}/manifests/${digest}`, { scope: `repository:${repo}:delete` });
  }

  async pushImage(repo: string, tag: string | undefined, image: BuiltImage): Promise<string> {
    for (const b of [image.config, ...image.layers]) await this.pushBlob(repo, b);
    return this.pushManifest(repo, tag ?? image.manifest.digest, image.manifest);
  }

  async pushIndex(repo: string, tag: string, index: BuiltIndex): Promise<PushIndexResult> {
    const children: string[] = [];
    for (const child of index.children) children.push(await this.pushImage(repo, undefined, child));
    const digest = await this.pushManifest(repo, tag, index.manifest);
    return { digest, children };
  }
}

export interface PushIndexResult {
  digest: string;
  children: string[];
}

export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

/** Push blobs and the manifest of an image under a tag; returns the manifest digest. */
export async function pushImage(
  target: RegistryTarget,
  repo: string,
  tag: string,
  image: BuiltImage,
  opts: ClientOptions = {},
): Promise<string> {
  const client = new RegistryClient(target, opts);
  try {
    return await client.pushImage(repo, tag, image);
  } finally {
    await client.close();
  }
}

/** Push all children by digest, then the index under the tag. */
export async function pushIndex(
  target: RegistryTarget,
  repo: string,
  tag: string,
  index: BuiltIndex,
  opts: ClientOptions = {},
): Promise<PushIndexResult> {
  const client = new RegistryClient(target, opts);
  try {
    return await client.pushIndex(repo, tag, index);
  } finally {
    await client.close();
  }
}
