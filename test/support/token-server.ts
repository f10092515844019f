import { createSign, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateRsaSigningCert, type SigningCert } from './certs.js';
import { makeTempDir, removeDir } from './tmp.js';

export interface ScopeRequest {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  time: number;
  service: string | null;
  scopes: ScopeRequest[];
  /** Authenticated user, or null for anonymous. */
  user: string | null;
  /** HTTP status the token server answered with. */
  status: number;
  /** Access granted in the issued token (empty when refused). */
  granted: ScopeRequest[];
  authorization: string | undefined;
}

/** Decide which actions a subject gets for a requested scope. */
export type AccessPolicy = (user: string | null, scope: ScopeRequest) => string[];

export interface TokenServerOptions {
  service?: string;
  issuer?: string;
  /** username -> password for Basic auth on the token endpoint. */
  users?: Record<string, string>;
  /** Actions anonymous callers may get (intersected with requested). Default ['pull']. */
  anonymousActions?: string[];
  /** Allow anonymous tokens at all (default true). When false, no credentials -> 401. */
  allowAnonymous?: boolean;
  /** Full custom policy; overrides anonymousActions. Default: users get everything requested. */
  policy?: AccessPolicy;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
  /** OAuth2 refresh tokens (identity tokens) -> username, accepted by POST /token grant_type=refresh_token. */
  refreshTokens?: Record<string, string>;
}

export interface TokenServer {
  url: string;
  /** Realm URL for registry config: http://127.0.0.1:port/token */
  realm: string;
  port: number;
  service: string;
  issuer: string;
  /** Self-signed signing certificate, to be used as the registry's rootcertbundle. */
  certPath: string;
  certPem: string;
  /** Every GET /token received, in order. */
  requests: TokenRequestRecord[];
  /** Requests that produced a token. */
  issuedCount(): number;
  reset(): void;
  /** Sign a token directly (for tests of expiry, wrong audience etc.). */
  sign(claims: Record<string, unknown>): string;
  stop(): Promise<void>;
}

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

/** Parse "repository:ns/app:pull,push" (name may contain ':' only for a registry:catalog:* style scope). */
export function parseScope(scope: string): ScopeRequest | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return null;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a.length > 0);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

export function signJwt(cert: SigningCert, claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [cert.certDerBase64] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signer = createSign('RSA-SHA256');
  signer.update(input);
  return `${input}.${signer.sign(cert.keyPem).toString('base64url')}`;
}

/** Decode (without verifying) the payload of a JWT. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function parseBasic(header: string | undefined): { user: string; pass: string } | null {
  if (!header?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const idx = decoded.indexOf(':');
  if (idx < 0) return null;
  return { user: decoded.slice(0, idx), pass: decoded.slice(idx + 1) };
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = makeTempDir('is-token');
  const cert = generateRsaSigningCert(dir);
  const service = options.service ?? 'test-registry';
  const issuer = options.issuer ?? 'test-token-issuer';
  const users = options.users ?? {};
  const anonymousActions = options.anonymousActions ?? ['pull'];
  const allowAnonymous = options.allowAnonymous ?? true;
  const expiresIn = options.expiresIn ?? 300;
  const policy: AccessPolicy =
    options.policy ?? ((user, scope) => (user === null ? scope.actions.filter((a) => anonymousActions.includes(a)) : scope.actions));
  const requests: TokenRequestRecord[] = [];

  const handler = (req: IncomingMessage, res: ServerResponse, form?: URLSearchParams): void => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (form) for (const [k, v] of form) if (k === 'scope' || k === 'service') u.searchParams.append(k, v);
    if ((req.method !== 'GET' && !form) || u.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const scopes = u.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .map(parseScope)
      .filter((s): s is ScopeRequest => s !== null);
    const record: TokenRequestRecord = {
      time: Date.now(),
      service: u.searchParams.get('service'),
      scopes,
      user: null,
      status: 200,
      granted: [],
      authorization: req.headers.authorization,
    };
    requests.push(record);
    const fail = (status: number, message: string): void => {
      record.status = status;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401) headers['www-authenticate'] = 'Basic realm="token"';
      res.writeHead(status, headers).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }] }));
    };
    const basic = parseBasic(req.headers.authorization);
    if (form) {
      const user = form.get('grant_type') === 'refresh_token' ? options.refreshTokens?.[form.get('refresh_token') ?? ''] : undefined;
      if (user === undefined) {
        fail(401, 'invalid refresh token');
        return;
      }
      record.user = user;
    } else if (req.headers.authorization !== undefined) {
      if (basic === null || users[basic.user] === undefined || users[basic.user] !== basic.pass) {
        fail(401, 'invalid credentials');
        return;
      }
      record.user = basic.user;
    } else if (!allowAnonymous) {
      fail(401, 'authentication required');
      return;
    }
    if (record.service !== null && record.service !== service) {
      fail(400, `unknown service ${record.service}`);
      return;
    }
    record.granted = scopes
      .map((s) => ({ type: s.type, name: s.name, actions: policy(record.user, s) }))
      .filter((s) => s.actions.length > 0);
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(cert, {
      iss: issuer,
      sub: record.user ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: record.granted,
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      handler(req, res);
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => handler(req, res, new URLSearchParams(body)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    port,
    service,
    issuer,
    certPath: cert.certPath,
    certPem: cert.certPem,
    requests,
    issuedCount: () => requests.filter((r) => r.status === 200).length,
    reset: () => {
      requests.length = 0;
    },
    sign: (claims) => signJwt(cert, claims),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      removeDir(dir);
    },
  };
}
