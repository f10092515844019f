/**
 * Registry credentials, from the places the container tools read them (docs/registries.md), in order:
 * `--auth-file` / `REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`, then `--pull-secret`
 * files (Kubernetes Secrets of type dockerconfigjson or legacy dockercfg). The first source with an entry for the
 * registry wins; inside a source the longest `host/path` prefix wins, `credHelpers` beat `auths`, `credsStore` is
 * the fallback. Secrets never reach a log: they live in `Secret` values that print as `[redacted]`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';

/** A string that does not print: `String(s)`, JSON and `util.inspect` all give `[redacted]`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export type Credential =
  | { readonly kind: 'basic'; readonly username: string; readonly password: Secret; readonly source: string }
  | { readonly kind: 'identity-token'; readonly token: Secret; readonly source: string };

interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

interface ConfigSource {
  /** Where it came from, for messages (a path, never a secret). */
  readonly name: string;
  readonly auths: ReadonlyMap<string, AuthEntry>;
  readonly credHelpers: ReadonlyMap<string, string>;
  readonly credsStore?: string | undefined;
}

export interface CredentialOptions {
  readonly authFile?: string | undefined;
  readonly pullSecrets?: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string | undefined;
  /** Runs `docker-credential-<helper> get`; injectable for tests of the protocol edge cases. */
  readonly runHelper?: (helper: string, serverUrl: string) => Promise<string | undefined>;
}

const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://index.docker.io/v1/` → `docker.io`; `quay.io/repository-main/` → `quay.io/repository-main`. */
export function normalizeAuthKey(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  k = k
    .replace(/\/+$/, '')
    .replace(/\/v[12]$/, '')
    .replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash === -1 ? k : k.slice(0, slash)).toLowerCase();
  const rest = slash === -1 ? '' : k.slice(slash);
  return (dockerHubAliases.has(host) ? 'docker.io' : host) + rest;
}

function decodeEntry(value: unknown): AuthEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const pick = (k: string): string | undefined => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
  const entry: { auth?: string; username?: string; password?: string; identitytoken?: string } = {};
  const auth = pick('auth');
  const username = pick('username');
  const password = pick('password');
  const identitytoken = pick('identitytoken');
  if (auth) entry.auth = auth;
  if (username) entry.username = username;
  if (password) entry.password = password;
  if (identitytoken) entry.identitytoken = identitytoken;
  return entry;
}

function sourceFromConfig(name: string, config: unknown, legacy = false): ConfigSource {
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const rawAuths = legacy ? c : ((c.auths ?? {}) as Record<string, unknown>);
  const auths = new Map<string, AuthEntry>();
  for (const [key, value] of Object.entries(rawAuths ?? {})) {
    const entry = decodeEntry(value);
    if (entry) auths.set(normalizeAuthKey(key), entry);
  }
  const credHelpers = new Map<string, string>();
  if (!legacy && typeof c.credHelpers === 'object' && c.credHelpers !== null) {
    for (const [key, helper] of Object.entries(c.credHelpers as Record<string, unknown>)) {
      if (typeof helper === 'string' && helper !== '') credHelpers.set(normalizeAuthKey(key), helper);
    }
  }
  const credsStore = !legacy && typeof c.credsStore === 'string' && c.credsStore !== '' ? c.credsStore : undefined;
  return { name, auths, credHelpers, credsStore };
}

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

async function readJsonFile(file: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialError(`cannot read credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CredentialError(`credentials file ${file} is not valid JSON`);
  }
}

/** A Kubernetes Secret of type kubernetes.io/dockerconfigjson (`.dockerconfigjson`) or dockercfg (`.dockercfg`). */
async function readPullSecret(file: string): Promise<ConfigSource> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CredentialError(
      `cannot read pull secret ${file}: ${(err as NodeJS.ErrnoException).code ?? 'it does not parse as YAML or JSON'}`,
    );
  }
  const secret = (typeof doc === 'object' && doc !== null ? doc : {}) as {
    kind?: unknown;
    type?: unknown;
    data?: Record<string, unknown>;
    stringData?: Record<string, unknown>;
  };
  const field = (key: string): string | undefined => {
    const s = secret.stringData?.[key];
    if (typeof s === 'string') return s;
    const d = secret.data?.[key];
    return typeof d === 'string' ? Buffer.from(d, 'base64').toString('utf8') : undefined;
  };
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new CredentialError(`pull secret ${file}: its docker configuration is not valid JSON`);
    }
  };
  if (secret.type === 'kubernetes.io/dockerconfigjson' || field('.dockerconfigjson') !== undefined) {
    const text = field('.dockerconfigjson');
    if (text === undefined) throw new CredentialError(`pull secret ${file}: no .dockerconfigjson data`);
    return sourceFromConfig(file, parse(text));
  }
  if (secret.type === 'kubernetes.io/dockercfg' || field('.dockercfg') !== undefined) {
    const text = field('.dockercfg');
    if (text === undefined) throw new CredentialError(`pull secret ${file}: no .dockercfg data`);
    return sourceFromConfig(file, parse(text), true);
  }
  throw new CredentialError(`pull secret ${file}: expected a Secret of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg`);
}

/** The standard credential-helper protocol: `docker-credential-<name> get`, server URL on stdin, JSON out. */
export function runCredentialHelper(helper: string, serverUrl: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        // "credentials not found" is an answer, not a failure.
        if (/not found/i.test(`${stdout}${stderr}`)) resolve(undefined);
        else
          reject(
            new CredentialError(
              `credential helper docker-credential-${helper} failed: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : (stderr.trim().split('\n')[0] ?? `exit status ${String(err.code)}`)}`,
            ),
          );
        return;
      }
      resolve(stdout);
    });
    child.stdin?.end(serverUrl);
  });
}

function entryCredential(entry: AuthEntry, source: string): Credential | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: new Secret(entry.identitytoken), source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { kind: 'basic', username: decoded.slice(0, colon), password: new Secret(decoded.slice(colon + 1)), source };
  }
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: new Secret(entry.password), source };
  return undefined;
}

/** Candidate keys for a registry and repository, longest first: `host/a/b`, `host/a`, `host`. */
function candidateKeys(registry: string, repository: string): string[] {
  const host = normalizeAuthKey(registry);
  const parts = repository.split('/').filter((p) => p !== '');
  const keys: string[] = [];
  for (let i = parts.length; i >= 1; i -= 1) keys.push(`${host}/${parts.slice(0, i).join('/')}`);
  keys.push(host);
  return keys;
}

export class CredentialStore {
  private constructor(
    private readonly sources: readonly ConfigSource[],
    private readonly runHelper: (helper: string, serverUrl: string) => Promise<string | undefined>,
  ) {}

  /** Reads every configured source once. A named file that cannot be read is an error; a default one may be absent. */
  static async load(options: CredentialOptions): Promise<CredentialStore> {
    const sources: ConfigSource[] = [];
    const authFile = options.authFile ?? options.env.REGISTRY_AUTH_FILE;
    if (authFile) {
      const cfg = await readJsonFile(authFile, true);
      sources.push(sourceFromConfig(authFile, cfg));
    }
    const home = options.homeDir ?? options.env.HOME ?? os.homedir();
    const dockerConfig = options.env.DOCKER_CONFIG ? path.join(options.env.DOCKER_CONFIG, 'config.json') : undefined;
    for (const file of [dockerConfig, path.join(home, '.docker', 'config.json')]) {
      if (file === undefined || sources.some((s) => s.name === file)) continue;
      const cfg = await readJsonFile(file, false);
      if (cfg !== undefined) sources.push(sourceFromConfig(file, cfg));
    }
    for (const file of options.pullSecrets ?? []) sources.push(await readPullSecret(file));
    return new CredentialStore(sources, options.runHelper ?? runCredentialHelper);
  }

  static empty(): CredentialStore {
    return new CredentialStore([], runCredentialHelper);
  }

  /** Where credentials are read from (paths only), for `--help`-style diagnostics. */
  get sourceNames(): readonly string[] {
    return this.sources.map((s) => s.name);
  }

  /** Credentials for `registry` (as written: `quay.io`, `localhost:5000`, `docker.io`) and a repository path. */
  async lookup(registry: string, repository: string): Promise<Credential | undefined> {
    if (this.sources.length === 0) return undefined; // asked before every request: nothing configured, nothing to find
    const keys = candidateKeys(registry, repository);
    const host = keys.at(-1) ?? registry;
    for (const source of this.sources) {
      const helper = source.credHelpers.get(host);
      if (helper) {
        const found = await this.fromHelper(helper, host, `${source.name} credHelpers`);
        if (found) return found;
      }
      for (const key of keys) {
        const entry = source.auths.get(key);
        const credential = entry ? entryCredential(entry, `${source.name} auths["${key}"]`) : undefined;
        if (credential) return credential;
      }
      if (source.credsStore) {
        const found = await this.fromHelper(source.credsStore, host, `${source.name} credsStore`);
        if (found) return found;
      }
    }
    return undefined;
  }

  private async fromHelper(helper: string, host: string, source: string): Promise<Credential | undefined> {
    const serverUrl = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
    const out = await this.runHelper(helper, serverUrl);
    if (out === undefined || out.trim() === '') return undefined;
    let parsed: { Username?: unknown; Secret?: unknown };
    try {
      parsed = JSON.parse(out) as typeof parsed;
    } catch {
      throw new CredentialError(`credential helper docker-credential-${helper} printed something that is not JSON`);
    }
    if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
    if (parsed.Username === '<token>') return { kind: 'identity-token', token: new Secret(parsed.Secret), source };
    return {
      kind: 'basic',
      username: typeof parsed.Username === 'string' ? parsed.Username : '',
      password: new Secret(parsed.Secret),
      source,
    };
  }
}
