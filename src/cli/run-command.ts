/** `imagestreams run`: wire the daemon (Git source, importer, HTTP endpoints, logs, metrics) and run until stopped. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { GitRepo } from '../gitsource/repo.js';
import type { GitCredentials } from '../gitsource/repo.js';
import { CredentialError, createRegistryImporter } from '../import/index.js';
import { loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { Daemon } from './daemon.js';
import { startHttp } from './daemon-http.js';
import { ExitCode, UsageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { CliIo } from './io.js';
import { DaemonMetrics } from './metrics.js';

export interface RunOptions extends ConfigFlags {
  readonly repoUrl?: string;
  readonly repo?: string;
  readonly branch: string;
  readonly pushBranch?: string;
  readonly workdir?: string;
  readonly listen: string;
  readonly pollInterval: string;
  readonly debounce: string;
  readonly maxWait: string;
  readonly gitCredentials?: string;
  readonly gitHookSecretFile?: string;
  readonly registryHookSecretFile?: string;
  readonly hostAlias?: string[];
  readonly author: string;
  readonly localRegistry?: string;
  readonly push?: boolean;
}

export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a duration such as 500ms, 30s, 5m or 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function readSecret(file: string | undefined, env: string | undefined, what: string): string | undefined {
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return env || undefined;
}

/** Git credentials from a file (`{"username","password"}` JSON or `user:password`) or the environment, never the repo. */
export function gitCredentials(file: string | undefined, env: Readonly<Record<string, string | undefined>>): GitCredentials | undefined {
  if (file) {
    const text = readSecret(file, undefined, 'Git credentials') ?? '';
    try {
      const j = JSON.parse(text) as { username?: unknown; password?: unknown; token?: unknown };
      const password = typeof j.password === 'string' ? j.password : typeof j.token === 'string' ? j.token : '';
      return { username: typeof j.username === 'string' ? j.username : 'x-access-token', password };
    } catch {
      const i = text.indexOf(':');
      if (i < 1) throw new UsageError(`Git credentials file ${file}: expected JSON {"username","password"} or user:password`);
      return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
  }
  if (env.IMAGESTREAMS_GIT_PASSWORD) return { username: env.IMAGESTREAMS_GIT_USERNAME || 'x-access-token', password: env.IMAGESTREAMS_GIT_PASSWORD };
  return undefined;
}

export async function runCommand(options: RunOptions, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  const config = await loadConfig(options, io.env, io.cwd);
  if ((options.repoUrl === undefined) === (options.repo === undefined)) throw new UsageError('give exactly one of --repo-url URL (clone and push) or --repo DIR (a local working tree)');
  const [host = '', portText = ''] = options.listen.includes(':') ? [options.listen.slice(0, options.listen.lastIndexOf(':')), options.listen.slice(options.listen.lastIndexOf(':') + 1)] : ['127.0.0.1', options.listen];
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: "${options.listen}" is not host:port`);
  const author = /^(.+?)\s*<([^>]+)>$/.exec(options.author);
  if (!author) throw new UsageError(`--author: "${options.author}" is not "Name <email>"`);
  const local = options.repo !== undefined;
  const dir = local
    ? path.resolve(io.cwd, options.repo as string)
    : path.resolve(io.cwd, options.workdir ?? path.join(config.registry.cacheDir ?? '.', 'work', createHash('sha256').update(`${options.repoUrl}#${options.branch}`).digest('hex').slice(0, 16)));
  if (local && !existsSync(path.join(dir, '.git'))) throw new UsageError(`--repo ${dir} is not a Git working tree`);
  const logger = pino({ base: { app: 'imagestreams' }, redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' } }, pino.destination(2));
  const metrics = new DaemonMetrics();
  let registry;
  try {
    registry = await createRegistryImporter(config.registry, {
      onRequest: (e) => {
        metrics.registryRequests.inc({ method: e.method, status: String(e.status ?? 'error') });
        if (e.status === 429) metrics.rateLimited.inc();
      },
    });
  } catch (err) {
    if (err instanceof CredentialError) throw new UsageError(err.message);
    throw err;
  }
  const repo = new GitRepo({ dir, url: options.repoUrl, branch: options.branch, pushBranch: options.pushBranch, credentials: gitCredentials(options.gitCredentials, io.env), author: { name: author[1] as string, email: author[2] as string } });
  const push = options.push !== false && (!local || (await repo.hasRemote()));
  const daemon = new Daemon({
    repo,
    local,
    push,
    pass: {
      walk: config.walk,
      limits: config.limits,
      defaultNamespace: config.defaultNamespace,
      offline: false,
      forceImport: false,
      localRegistry: options.localRegistry ?? config.reconcile.localRegistry,
      historyLimit: config.reconcile.historyLimit,
      scheduleIntervalMs: config.reconcile.scheduleIntervalMs,
      repositoryTagCap: config.reconcile.repositoryTagCap,
      imagePullers: config.reconcile.imagePullers,
      importer: registry.importer,
    },
    pollIntervalMs: parseDuration(options.pollInterval, '--poll-interval'),
    debounceMs: parseDuration(options.debounce, '--debounce'),
    maxWaitMs: parseDuration(options.maxWait, '--max-wait'),
    hostAliases: (options.hostAlias ?? []).map((a) => a.split(/[=,]/).map((h) => h.trim()).filter(Boolean)),
    logger,
    metrics,
  });
  const server = await startHttp(daemon, metrics, { host, port, gitHookSecret: readSecret(options.gitHookSecretFile, io.env.IMAGESTREAMS_GIT_HOOK_SECRET, 'Git hook secret'), registryHookSecret: readSecret(options.registryHookSecretFile, io.env.IMAGESTREAMS_REGISTRY_HOOK_SECRET, 'registry hook secret') }, logger);
  const address = server.address();
  logger.info({ listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : options.listen, repo: options.repoUrl ?? dir, branch: options.branch, push, workdir: dir }, 'imagestreams daemon started');
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    signal?.addEventListener('abort', stop);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await daemon.start();
  await stopped;
  logger.info('stopping: finishing the current pass');
  await daemon.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await registry.close();
  logger.info('stopped');
  return ExitCode.ok;
}
