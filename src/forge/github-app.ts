/**
 * GitHub App installation tokens: a JWT signed with the app's private key (RS256, `iss` = app id, valid for at most
 * ten minutes, `iat` a minute in the past for clock drift, as GitHub documents) buys an installation access token
 * (`POST /app/installations/{id}/access_tokens`), valid for an hour. The token is kept and used until it has less than
 * `refreshMarginMs` left, then a new one is minted before the next request; the clock is injected.
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { ForgeError } from './forge.js';
import { forgeFailure } from './github-errors.js';

export interface GitHubAppCredentials {
  readonly appId: string;
  /** The app's private key, PEM (PKCS#1 as GitHub issues it, or PKCS#8). */
  readonly privateKey: string;
  /** The installation on the repository's owner; looked up from the repository when not given. */
  readonly installationId?: number | undefined;
}

export interface InstallationTokenOptions {
  readonly baseUrl: string;
  readonly owner: string;
  readonly repo: string;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => number;
  /** Mint a new token when the current one has less than this left (default 5 minutes). */
  readonly refreshMarginMs?: number;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** The app's JWT at `nowMs`. */
export function appJwt(appId: string, key: KeyObject, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iat: now - 60, exp: now + 9 * 60, iss: appId }));
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${claims}`), key);
  return `${head}.${claims}.${base64url(signature)}`;
}

export class InstallationTokens {
  private readonly key: KeyObject;
  private current: { readonly token: string; readonly expiresAt: number } | undefined;
  private installationId: number | undefined;
  private pending: Promise<string> | undefined;
  /** How many tokens were minted (for tests and logs). */
  minted = 0;

  constructor(
    private readonly credentials: GitHubAppCredentials,
    private readonly options: InstallationTokenOptions,
  ) {
    try {
      this.key = createPrivateKey(credentials.privateKey);
    } catch {
      throw new ForgeError('auth', 'the GitHub App private key is not a PEM private key');
    }
    this.installationId = credentials.installationId;
  }

  /** A token valid for at least the refresh margin. */
  async token(): Promise<string> {
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    if (this.current && this.current.expiresAt - this.options.now() > margin) return this.current.token;
    this.pending ??= this.mint().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async mint(): Promise<string> {
    const jwt = appJwt(this.credentials.appId, this.key, this.options.now());
    const octokit = new Octokit({
      auth: jwt,
      baseUrl: this.options.baseUrl,
      request: { fetch: this.options.fetch },
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    try {
      this.installationId ??= (await octokit.rest.apps.getRepoInstallation({ owner: this.options.owner, repo: this.options.repo })).data.id;
      const { data } = await octokit.rest.apps.createInstallationAccessToken({ installation_id: this.installationId });
      this.current = { token: data.token, expiresAt: Date.parse(data.expires_at) };
      this.minted += 1;
      return data.token;
    } catch (err) {
      throw forgeFailure(err, 'mint a GitHub App installation token');
    }
  }
}
