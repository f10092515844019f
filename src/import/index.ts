/** The registry edge's way in: build an Importer from plain settings (the shell settles them). */
import { MetadataCache } from './cache.js';
import { CredentialStore } from './credentials.js';
import { Importer } from './importer.js';
import type { RegistryMirror } from './registry-policy.js';
import type { Clock } from './limits.js';
import { systemClock } from './limits.js';
import { RateBudgets } from './rate-budget.js';
import type { BudgetSnapshot, RateLimitSetting } from './rate-budget.js';
import type { RequestEvent } from './registry-client.js';
import { RegistryClient } from './registry-client.js';
import { Transport } from './transport.js';
import type { ProxySettings } from './transport.js';
import type { Platform } from './types.js';

export type {
  DockerImageMetadata,
  ImportDeferral,
  ImportFailure,
  ImportMode,
  ImportRequest,
  ImportedImage,
  CheckObservation,
  ConfirmedImage,
  FullImportRequest,
  Observation,
  Platform,
} from './types.js';
export type { BudgetCounts, BudgetSnapshot, RateLimitSetting } from './rate-budget.js';
export type { RequestEvent } from './registry-client.js';
export { Importer } from './importer.js';
export type { RegistryMirror } from './registry-policy.js';
export { CredentialError } from './credentials.js';

export interface ImporterSettings {
  readonly authFile: string | undefined;
  readonly pullSecrets: readonly string[];
  readonly dockerConfigDir: string | undefined;
  readonly homeDir: string | undefined;
  readonly cacheDir: string | undefined;
  readonly certsDirs: readonly string[] | undefined;
  readonly platform: Platform | undefined;
  readonly allowed: readonly string[];
  readonly blocked: readonly string[];
  readonly insecureForbidden: readonly string[];
  readonly concurrency: number;
  readonly retries: number;
  readonly maxRetryAfterMs: number;
  readonly timeoutMs: number | undefined;
  readonly maxConfigBytes: number;
  readonly proxy: ProxySettings;
  readonly mirrors?: readonly RegistryMirror[];
  /** registries.allowLinkLocal: allow link-local and cloud metadata addresses (default: refused). */
  readonly allowLinkLocal?: boolean;
  /** registries.rateLimits: a request budget per registry (docs/registries.md); none: what the headers say. */
  readonly rateLimits?: ReadonlyMap<string, RateLimitSetting>;
  /**
   * false: no budget at all, rate-limit headers ignored and a 429 past the retries failing the import (the client
   * as it was before budgets; benchmarks measure against it). Default true.
   */
  readonly pacing?: boolean;
  /** Imports under way at once per registry host (default 4 × concurrency; not a user setting). */
  readonly tasksPerRegistry?: number;
}

export interface RegistryImporter {
  readonly importer: Importer;
  /** What is left of each registry's request budget that is known to be limited (for the metrics). */
  budgets(): BudgetSnapshot[];
  close(): Promise<void>;
}

/** Reads the credential sources (a named file that cannot be read throws CredentialError) and wires the layers. */
export async function createRegistryImporter(
  settings: ImporterSettings,
  hooks: { clock?: Clock; onRequest?: (e: RequestEvent) => void; signal?: () => AbortSignal | undefined } = {},
): Promise<RegistryImporter> {
  const credentials = await CredentialStore.load({
    authFile: settings.authFile,
    pullSecrets: settings.pullSecrets,
    env: settings.dockerConfigDir ? { DOCKER_CONFIG: settings.dockerConfigDir } : {},
    homeDir: settings.homeDir,
  });
  const transport = new Transport({
    ...(settings.certsDirs ? { certsDirs: settings.certsDirs } : {}),
    ...(settings.timeoutMs ? { connectTimeoutMs: settings.timeoutMs, headersTimeoutMs: settings.timeoutMs } : {}),
    proxy: settings.proxy,
    connectionsPerHost: settings.concurrency,
    allowLinkLocal: settings.allowLinkLocal === true,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  const budgets = settings.pacing === false ? undefined : new RateBudgets(settings.rateLimits ?? new Map(), hooks.clock ?? systemClock);
  const client = new RegistryClient({
    transport,
    credentials,
    clock: hooks.clock ?? systemClock,
    concurrencyPerRegistry: settings.concurrency,
    retries: settings.retries,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    ...(hooks.onRequest ? { onRequest: hooks.onRequest } : {}),
    ...(budgets ? { budgets } : {}),
  });
  const importer = new Importer({
    client,
    cache: new MetadataCache(settings.cacheDir),
    ...(settings.platform ? { platform: settings.platform } : {}),
    maxConfigBytes: settings.maxConfigBytes,
    policy: { allowed: settings.allowed, blocked: settings.blocked, insecureForbidden: settings.insecureForbidden },
    ...(settings.mirrors ? { mirrors: settings.mirrors } : {}),
    tasksPerRegistry: settings.tasksPerRegistry ?? Math.max(1, settings.concurrency) * 4,
  });
  return { importer, budgets: () => budgets?.snapshots() ?? [], close: () => client.close() };
}
