import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import type { ImporterSettings } from '../import/index.js';
import { parseInterval } from '../reconcile/due.js';
import { parseGoDuration } from '../reconcile/duration.js';
import type { ReconcileSettings } from '../reconcile/settings.js';
import type { Schedule } from '../reconcile/due.js';
import { parseCronSchedule } from '../render/cron.js';
import { defaultReconcileSettings, settingRanges } from '../reconcile/settings.js';
import type { LoadLimits } from '../render/limits.js';
import { defaultLoadLimits } from '../render/limits.js';
import type { WalkOptions } from '../render/walk.js';
import { defaultWalkOptions } from '../render/walk.js';
import { UsageError } from './exit-codes.js';
import type { PullRequestFileSettings } from './publish-settings.js';

/**
 * The settled configuration: flags > environment (IMAGESTREAMS_*) > config file > defaults, parsed and validated
 * here and nowhere else, into the types the layers take (the core's ReconcileSettings, the text edge's walk and
 * limits, the registry edge's settings). Frozen.
 */
export interface Config {
  readonly walk: WalkOptions;
  readonly limits: LoadLimits;
  /** The file the settings came from, if any (for messages). */
  readonly source: string | undefined;
  readonly registry: RegistrySettings;
  /** What the core decides by (src/reconcile/settings.ts). */
  readonly settings: ReconcileSettings;
  /** The file's `pullRequest` section as validated; publish-settings.ts merges it with the flags and environment. */
  readonly pullRequest: PullRequestFileSettings | undefined;
  /** When the daemon may land changes (`commitWindows`, cron expressions); empty: always. */
  readonly commitWindows: ReadonlyArray<{ readonly expression: string; readonly schedule: Schedule }>;
}

/** Everything the import layer needs, settled here so that the edge never reads the environment. */
export type RegistrySettings = ImporterSettings;

interface ConfigFile {
  pullRequest?: PullRequestFileSettings;
  commitWindows?: string[];
  include?: string[];
  exclude?: string[];
  defaultNamespace?: string;
  limits?: Partial<LoadLimits>;
  cacheDir?: string;
  reconcile?: {
    localRegistry?: string;
    historyLimit?: number;
    scheduleInterval?: string;
    repositoryTagCap?: number;
    imagePullers?: Record<string, string[]>;
    workloadKinds?: Array<{ apiVersion: string; kind: string; podSpecPath: string }>;
    minAge?: string;
  };
  registries?: {
    allowed?: string[];
    blocked?: string[];
    insecureForbidden?: string[];
    allowLinkLocal?: boolean;
    certsDirs?: string[];
    platform?: string;
    concurrency?: number;
    retries?: number;
    maxRetryAfterSeconds?: number;
    timeoutSeconds?: number;
    maxConfigBytes?: number;
    mirrors?: Array<{ registry: string; mirror: string; insecure?: boolean }>;
    rateLimits?: Record<string, { limit?: number; windowSeconds?: number; counts?: 'pulls' | 'requests' }>;
  };
}

/** Flags a command passes in; undefined means "not given". */
export interface ConfigFlags {
  readonly config?: string | undefined;
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  readonly namespace?: string | undefined;
  readonly authFile?: string | undefined;
  readonly pullSecret?: readonly string[] | undefined;
  readonly cacheDir?: string | undefined;
  readonly certsDir?: readonly string[] | undefined;
  readonly platform?: string | undefined;
  /** `--local-registry` (reconcile, run). */
  readonly localRegistry?: string | undefined;
}

export const defaultConfigFileName = '.imagestreams.yaml';

const validateConfigFile = (() => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: true }).compile<ConfigFile>(schema);
})();

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => {
      const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
      if (e.keyword === 'additionalProperties')
        return `${where}: unknown setting "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
      return `${where}: ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

async function readConfigFile(file: string, required: boolean): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read configuration file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { version: '1.1' });
  } catch (err) {
    throw new UsageError(`configuration file ${file} does not parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (value === null || value === undefined) return {};
  if (!validateConfigFile(value))
    throw new UsageError(`configuration file ${file} is invalid: ${describe(validateConfigFile.errors ?? [])}`);
  return value;
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined || v === ''
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

/** Settle the configuration for one command run. */
export async function loadConfig(flags: ConfigFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<Config> {
  const explicit = flags.config ?? env.IMAGESTREAMS_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, defaultConfigFileName);
  const fromFile = (await readConfigFile(file, explicit !== undefined)) ?? {};
  const source = explicit !== undefined || Object.keys(fromFile).length > 0 ? file : undefined;
  const namespace = flags.namespace ?? env.IMAGESTREAMS_NAMESPACE ?? fromFile.defaultNamespace ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new UsageError(
      `invalid namespace "${namespace}": must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`,
    );
  }
  return Object.freeze({
    walk: Object.freeze({
      include: flags.include?.length
        ? [...flags.include]
        : (list(env.IMAGESTREAMS_INCLUDE) ?? fromFile.include ?? [...defaultWalkOptions.include]),
      exclude: [...(fromFile.exclude ?? []), ...(list(env.IMAGESTREAMS_EXCLUDE) ?? []), ...(flags.exclude ?? [])],
    }),
    limits: Object.freeze({ ...defaultLoadLimits, ...fromFile.limits }),
    source,
    registry: Object.freeze(registrySettings(flags, env, cwd, fromFile)),
    settings: Object.freeze(reconcileSettings(flags, env, fromFile, namespace, file)),
    pullRequest: fromFile.pullRequest,
    commitWindows: Object.freeze(
      (fromFile.commitWindows ?? []).map((expression, i) => {
        const parsed = parseCronSchedule(expression);
        if (!parsed.ok)
          throw new UsageError(`configuration file ${file} is invalid: commitWindows[${i}]: "${expression}": ${parsed.error}`, 'config');
        return { expression, schedule: parsed.schedule };
      }),
    ),
  });
}

/** `reconcile.*` and the namespace → the core's settings; a value that would be ignored or clamped is an error. */
function reconcileSettings(
  flags: ConfigFlags,
  env: Readonly<Record<string, string | undefined>>,
  file: ConfigFile,
  namespace: string,
  where: string,
): ReconcileSettings {
  const r = file.reconcile ?? {};
  let scheduleIntervalMs = defaultReconcileSettings.scheduleIntervalMs;
  if (r.scheduleInterval !== undefined) {
    const ms = parseInterval(r.scheduleInterval);
    if (ms === undefined || ms < settingRanges.scheduleIntervalMs.min) {
      throw new UsageError(
        `configuration file ${where} is invalid: reconcile.scheduleInterval: "${r.scheduleInterval}" is out of range: at least 1m (OpenShift's minimum), such as 15m or 1h`,
        'config',
      );
    }
    scheduleIntervalMs = ms;
  }
  let minAgeMs = defaultReconcileSettings.minAgeMs;
  if (r.minAge !== undefined) {
    const ms = parseGoDuration(r.minAge.trim());
    if (ms === undefined || ms < settingRanges.minAgeMs.min)
      throw new UsageError(
        `configuration file ${where} is invalid: reconcile.minAge: "${r.minAge}" is not a duration such as 30m, 1h or 24h`,
        'config',
      );
    minAgeMs = ms;
  }
  return {
    defaultNamespace: namespace,
    minAgeMs,
    localRegistry: flags.localRegistry ?? (env.IMAGESTREAMS_LOCAL_REGISTRY || r.localRegistry),
    historyLimit: r.historyLimit ?? defaultReconcileSettings.historyLimit,
    scheduleIntervalMs,
    repositoryTagCap: r.repositoryTagCap ?? defaultReconcileSettings.repositoryTagCap,
    imagePullers: r.imagePullers ? new Map(Object.entries(r.imagePullers)) : defaultReconcileSettings.imagePullers,
    workloadKinds: r.workloadKinds
      ? [...r.workloadKinds, ...defaultReconcileSettings.workloadKinds]
      : defaultReconcileSettings.workloadKinds,
  };
}

function parsePlatform(value: string | undefined, where: string): RegistrySettings['platform'] {
  if (value === undefined) return undefined;
  const m = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(value);
  if (!m) throw new UsageError(`${where}: invalid platform "${value}": expected os/architecture[/variant], e.g. linux/arm64/v8`);
  return { os: m[1] as string, architecture: m[2] as string, ...(m[3] ? { variant: m[3] } : {}) };
}

function registrySettings(
  flags: ConfigFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  file: ConfigFile,
): RegistrySettings {
  const r = file.registries ?? {};
  const resolve = (p: string | undefined): string | undefined => (p ? path.resolve(cwd, p) : undefined);
  const home = env.HOME;
  const cacheBase = env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : path.join(os.homedir(), '.cache'));
  const cacheDir = resolve(flags.cacheDir ?? env.IMAGESTREAMS_CACHE_DIR ?? file.cacheDir) ?? path.join(cacheBase, 'imagestreams');
  const pick = (...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY');
  const noProxy = pick('no_proxy', 'NO_PROXY');
  return {
    authFile: resolve(flags.authFile ?? env.REGISTRY_AUTH_FILE),
    pullSecrets: (flags.pullSecret ?? []).map((p) => path.resolve(cwd, p)),
    dockerConfigDir: env.DOCKER_CONFIG,
    homeDir: home,
    cacheDir,
    certsDirs: flags.certsDir?.length ? flags.certsDir.map((d) => path.resolve(cwd, d)) : r.certsDirs,
    platform: parsePlatform(flags.platform ?? env.IMAGESTREAMS_PLATFORM ?? r.platform, flags.platform ? '--platform' : 'platform'),
    allowed: r.allowed ?? [],
    blocked: r.blocked ?? [],
    insecureForbidden: r.insecureForbidden ?? [],
    allowLinkLocal: r.allowLinkLocal === true,
    concurrency: r.concurrency ?? 8,
    retries: r.retries ?? 3,
    maxRetryAfterMs: (r.maxRetryAfterSeconds ?? 60) * 1000,
    timeoutMs: r.timeoutSeconds !== undefined ? r.timeoutSeconds * 1000 : undefined,
    maxConfigBytes: r.maxConfigBytes ?? 8 * 1024 * 1024,
    proxy: { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) },
    mirrors: r.mirrors ?? [],
    rateLimits: new Map(
      Object.entries(r.rateLimits ?? {}).map(([registry, l]) => [
        registry,
        { limit: l.limit, windowMs: l.windowSeconds !== undefined ? l.windowSeconds * 1000 : undefined, counts: l.counts },
      ]),
    ),
  };
}
