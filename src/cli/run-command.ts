/** `imagestreams run`: wire the daemon (Git source, importer, HTTP endpoints, logs, metrics) and run until stopped. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { GitRepo } from '../gitsource/repo.js';
import { CredentialError, createRegistryImporter } from '../import/index.js';
import { loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { parseDuration } from './clock.js';
import { Daemon } from './daemon.js';
import { gitCredentials, parseAuthor, readSecret } from './git-settings.js';
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

export async function runCommand(options: RunOptions, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  const config = await loadConfig(options, io.env, io.cwd);
  if ((options.repoUrl === undefined) === (options.repo === undefined)) throw new UsageError('give exactly one of --repo-url URL (clone and push) or --repo DIR (a local working tree)');
  const [host = '', portText = ''] = options.listen.includes(':') ? [options.listen.slice(0, options.listen.lastIndexOf(':')), options.listen.slice(options.listen.lastIndexOf(':') + 1)] : ['127.0.0.1', options.listen];
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: "${options.listen}" is not host:port`);
  const author = parseAuthor(options.author);
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
  const repo = new GitRepo({ dir, url: options.repoUrl, branch: options.branch, pushBranch: options.pushBranch, credentials: gitCredentials(options.gitCredentials, io.env), author });
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
