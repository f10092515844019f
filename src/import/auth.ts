/**
 * Registry authorization: the challenge a host answered its `/v2/` ping with, Basic credentials, and Bearer tokens
 * (the Docker token protocol) fetched and cached per (realm, service, scope, credential) until they expire.
 */
import type { Credential } from './credentials.js';
import type { Clock } from './limits.js';
import type { HttpResponse, Transport } from './transport.js';
import type { Challenge } from './www-authenticate.js';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly kind: 'unauthorized' | 'unavailable' | 'bad-response',
    message: string,
    readonly hadCredentials = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Token lifetimes below this are treated as this (the token spec's minimum is 60 s). */
const minimumLifetimeMs = 60_000;

const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
  ) {}

  /** The `Authorization` header for one request, or undefined when the host needs none. */
  async authorization(
    challenge: Challenge | undefined,
    scope: string,
    credential: Credential | undefined,
    realmCredential: (realmHost: string) => Promise<Credential | undefined>,
    insecure: boolean,
  ): Promise<string | undefined> {
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (!credential) return undefined;
      if (credential.kind !== 'basic')
        throw new AuthError('unauthorized', 'the registry asks for a username and password, but only an identity token is configured');
      return basic(credential.username, credential.password.reveal());
    }
    if (challenge.scheme !== 'bearer') throw new AuthError('bad-response', `unsupported authentication scheme "${challenge.scheme}"`);
    const realm = challenge.params.realm;
    if (!realm) throw new AuthError('bad-response', 'the registry asked for a Bearer token without saying where to get one (no realm)');
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new AuthError('bad-response', `the token realm "${realm}" is not a URL`);
    }
    const cred = await realmCredential(realmUrl.host);
    const service = challenge.params.service ?? '';
    const key = JSON.stringify([realm, service, scope, cred ? `${cred.source}` : 'anonymous']);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.clock.now()) return `Bearer ${cached.token}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(realmUrl, service, scope, cred, key, insecure).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return `Bearer ${await p}`;
  }

  /** Forget a token the registry refused (it may have been revoked early). */
  invalidate(challenge: Challenge | undefined, scope: string): void {
    if (!challenge?.params.realm) return;
    for (const key of [...this.tokens.keys()]) {
      const [realm, service, s] = JSON.parse(key) as string[];
      if (realm === challenge.params.realm && service === (challenge.params.service ?? '') && s === scope) this.tokens.delete(key);
    }
  }

  private async fetchToken(
    realm: URL,
    service: string,
    scope: string,
    cred: Credential | undefined,
    key: string,
    insecure: boolean,
  ): Promise<string> {
    const started = this.clock.now();
    let res: HttpResponse;
    if (cred?.kind === 'identity-token') {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.token.reveal(),
        client_id: 'imagestreams',
        ...(service ? { service } : {}),
        ...(scope ? { scope } : {}),
      });
      res = await this.transport.send({
        method: 'POST',
        url: realm.href,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        maxBytes: 1 << 20,
        insecure,
      });
    } else {
      const url = new URL(realm.href);
      if (service) url.searchParams.set('service', service);
      if (scope) url.searchParams.set('scope', scope);
      const headers: Record<string, string> = cred ? { authorization: basic(cred.username, cred.password.reveal()) } : {};
      res = await this.transport.send({ method: 'GET', url: url.href, headers, maxBytes: 1 << 20, insecure });
    }
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(
        'unauthorized',
        cred
          ? `the token service at ${realm.host} refused the credentials from ${cred.source}`
          : `the token service at ${realm.host} refused an anonymous token`,
        cred !== undefined,
      );
    }
    if (res.status >= 500) throw new AuthError('unavailable', `the token service at ${realm.host} answered ${res.status}`);
    if (res.status !== 200) throw new AuthError('bad-response', `the token service at ${realm.host} answered ${res.status}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new AuthError('bad-response', `the token service at ${realm.host} did not answer with JSON`);
    }
    const token =
      typeof body.token === 'string' && body.token !== '' ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (token === '') throw new AuthError('bad-response', `the token service at ${realm.host} answered without a token`);
    const lifetime = Math.max(minimumLifetimeMs, typeof body.expires_in === 'number' ? body.expires_in * 1000 : minimumLifetimeMs);
    // Expire a little early so a token never dies in flight.
    this.tokens.set(key, { token, expiresAt: started + lifetime - Math.min(10_000, lifetime / 10) });
    return token;
  }
}
