import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { generateCa, generateServerCert } from './certs.js';
import { freePort } from './free-port.js';
import { startProcess, waitForHttp, type ManagedProcess } from './processes.js';
import { makeTempDir, removeDir } from './tmp.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface HtpasswdOptions {
  /** username -> password; stored bcrypt via `htpasswd -Bbn`. */
  users: Record<string, string>;
  realm?: string;
}

export interface TokenAuthOptions {
  realm: string;
  service: string;
  issuer: string;
  /** PEM bundle trusted for token signatures (the token server's certificate). */
  rootCertPath: string;
}

export interface NotificationOptions {
  /** Endpoint receiving events, e.g. http://127.0.0.1:PORT/events */
  url: string;
  headers?: Record<string, string | string[]>;
  name?: string;
  /** Ignore pull events (default true). */
  ignorePull?: boolean;
  ignoredMediaTypes?: string[];
  timeout?: string;
  threshold?: number;
  backoff?: string;
}

export interface RegistryOptions {
  htpasswd?: HtpasswdOptions;
  /** Serve HTTPS with a freshly generated CA. */
  tls?: boolean;
  /** With tls: require a client certificate signed by the same CA (mutual TLS); one is generated. */
  clientCertificates?: boolean;
  /** Token auth; pass a TokenServer (it has realm/service/issuer/certPath) or explicit values. */
  token?: TokenAuthOptions | { realm: string; service: string; issuer: string; certPath: string };
  notifications?: NotificationOptions | NotificationOptions[];
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra top-level config keys merged into the generated config. */
  extraConfig?: Record<string, unknown>;
  readyTimeoutMs?: number;
}

export interface Registry {
  /** Base URL, e.g. http://127.0.0.1:5123 or https://127.0.0.1:5123 */
  url: string;
  /** '127.0.0.1:port', usable in image references. */
  host: string;
  port: number;
  pid: number;
  tls: boolean;
  /** CA certificate PEM (TLS mode). */
  caPem?: string;
  caPath?: string;
  /** With clientCertificates: a client certificate and key (PEM) the registry accepts. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Basic credentials of the first htpasswd user, if any. */
  username?: string;
  password?: string;
  dir: string;
  dataDir: string;
  configPath: string;
  /** Undici dispatcher trusting the CA (TLS) or a plain agent. */
  dispatcher: Agent;
  /** stdout + stderr of the registry so far. */
  log(): string;
  stop(): Promise<void>;
}

function htpasswdLine(user: string, pass: string): string {
  return execFileSync('htpasswd', ['-Bbn', user, pass], { encoding: 'utf8' }).trim();
}

function endpointConfig(n: NotificationOptions, i: number): Record<string, unknown> {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(n.headers ?? {})) headers[k] = Array.isArray(v) ? v : [v];
  return {
    name: n.name ?? `endpoint-${i}`,
    url: n.url,
    headers,
    timeout: n.timeout ?? '1s',
    threshold: n.threshold ?? 5,
    backoff: n.backoff ?? '1s',
    ignoredmediatypes: n.ignoredMediaTypes ?? ['application/octet-stream'],
    ignore: { actions: n.ignorePull === false ? [] : ['pull'] },
  };
}

/** Start `docker-registry serve` on a free 127.0.0.1 port with a generated config in a temp dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  if (options.htpasswd && options.token) throw new Error('registry: htpasswd and token auth are exclusive');
  const dir = makeTempDir('is-registry');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;

  const http: Record<string, unknown> = { addr: host, secret: 'test-only-secret', headers: { 'X-Content-Type-Options': ['nosniff'] } };
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: options.logLevel ?? 'error', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
    http,
  };

  let caPem: string | undefined;
  let caPath: string | undefined;
  let clientCertPem: string | undefined;
  let clientKeyPem: string | undefined;
  if (options.tls) {
    const ca = generateCa(dir);
    const server = generateServerCert(dir, ca);
    http.tls = { certificate: server.certPath, key: server.keyPath, ...(options.clientCertificates ? { clientcas: [ca.caCertPath] } : {}) };
    caPem = ca.caPem;
    caPath = ca.caCertPath;
    if (options.clientCertificates) {
      const client = generateServerCert(dir, ca, 'client', 'clientAuth');
      clientCertPem = client.certPem;
      clientKeyPem = readFileSync(client.keyPath, 'utf8');
    }
  }

  let username: string | undefined;
  let password: string | undefined;
  if (options.htpasswd) {
    const file = join(dir, 'htpasswd');
    const entries = Object.entries(options.htpasswd.users);
    writeFileSync(file, `${entries.map(([u, p]) => htpasswdLine(u, p)).join('\n')}\n`);
    config.auth = { htpasswd: { realm: options.htpasswd.realm ?? 'test-registry', path: file } };
    const first = entries[0];
    if (first) [username, password] = first;
  }
  if (options.token) {
    const t = options.token;
    const rootcertbundle = 'rootCertPath' in t ? t.rootCertPath : t.certPath;
    config.auth = { token: { realm: t.realm, service: t.service, issuer: t.issuer, rootcertbundle } };
  }
  if (options.notifications) {
    const list = Array.isArray(options.notifications) ? options.notifications : [options.notifications];
    config.notifications = { events: { includereferences: true }, endpoints: list.map(endpointConfig) };
  }
  Object.assign(config, options.extraConfig ?? {});

  // JSON is valid YAML, so the generated config needs no YAML serializer.
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  const proc: ManagedProcess = startProcess(REGISTRY_BINARY, ['serve', configPath], {
    cwd: dir,
    env,
    logFile: join(dir, 'registry.log'),
  });
  const dispatcher = new Agent(
    caPem ? { connect: { ca: caPem, ...(clientCertPem && clientKeyPem ? { cert: clientCertPem, key: clientKeyPem } : {}) } } : {},
  );
  const url = `${options.tls ? 'https' : 'http'}://${host}`;
  try {
    await waitForHttp(`${url}/v2/`, {
      dispatcher,
      proc,
      what: 'docker-registry',
      timeoutMs: options.readyTimeoutMs ?? 15_000,
    });
  } catch (err) {
    await proc.stop(500);
    await dispatcher.close().catch(() => undefined);
    removeDir(dir);
    throw err;
  }

  let stopped = false;
  return {
    url,
    host,
    port,
    pid: proc.pid,
    tls: options.tls === true,
    caPem,
    caPath,
    ...(clientCertPem ? { clientCertPem } : {}),
    ...(clientKeyPem ? { clientKeyPem } : {}),
    username,
    password,
    dir,
    dataDir,
    configPath,
    dispatcher,
    log: () => proc.log(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      await dispatcher.close().catch(() => undefined);
      removeDir(dir);
    },
  };
}
