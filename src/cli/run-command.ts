/**
 * `imagestreams run`: the daemon's lifecycle, owned here and nowhere else.
 *
 * 1. Stop signals are taken from the very start: SIGTERM/SIGINT at any moment ends the process within the grace
 *    period; a second signal ends it at once.
 * 2. Everything that can be checked without the network is checked before anything listens: flags, configuration,
 *    credentials files, hook secrets, the log level. A problem is a UsageError: exit 2 with what to fix.
 * 3. The listener is opened (an unusable address is exit 2), then the loop starts. From here on nothing is fatal:
 *    a remote that cannot be reached or refuses the credentials stalls the daemon (reported on /readyz and in the
 *    logs) and it retries with backoff.
 * 4. On stop: no new passes, the running one gets the grace period and is then aborted; the listener, the watcher
 *    and the registry connections are closed. Exit 0 when everything stopped cleanly; 128+signal when the grace
 *    period ran out or a second signal came.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { pino } from 'pino';
import { gitHttpClient } from '../gitsource/http.js';
import { GitRepo } from '../gitsource/repo.js';
import { createRegistryImporter } from '../import/index.js';
import { loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { parseDuration } from './clock.js';
import { Daemon, SignalHolder } from './daemon/daemon.js';
import { startHttp } from './daemon/http.js';
import { WorkJournal } from './daemon/journal.js';
import { ExitCode, UsageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { gitCredentials, parseAuthor, readSecret, splitUrlCredentials } from './git-settings.js';
import type { CliIo } from './io.js';
import { DaemonMetrics } from './metrics.js';
import type { PublishReport } from './publish.js';
import type { PullRequestFlags } from './publish-settings.js';
import { pullRequestConfig } from './publish-settings.js';
import { settleHeap } from './daemon/heap.js';
import { parseStoreFor } from './pipeline.js';

export interface RunOptions extends ConfigFlags, PullRequestFlags {
  readonly repoUrl?: string;
  readonly repo?: string;
  readonly branch: string;
  readonly pushBranch?: string;
  readonly workdir?: string;
  readonly stateDir?: string;
  readonly listen: string;
  readonly pollInterval: string;
  readonly debounce: string;
  readonly maxWait: string;
  readonly passTimeout: string;
  readonly gracePeriod: string;
  readonly logLevel?: string;
  readonly gitCredentials?: string;
  readonly gitHookSecretFile?: string;
  readonly registryHookSecretFile?: string;
  readonly hostAlias?: string[];
  readonly author: string;
  readonly localRegistry?: string;
  readonly push?: boolean;
}

const levels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const signalNumbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const [host, portText] = i >= 0 ? [listen.slice(0, i).replace(/^\[(.*)\]$/, '$1'), listen.slice(i + 1)] : ['127.0.0.1', listen];
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535 || host === '')
    throw new UsageError(`--listen: "${listen}" is not HOST:PORT (for example 0.0.0.0:8080)`);
  return { host, port };
}

/** Stop requests: the first resolves `first`; a second one calls `force` (exit at once). */
function stopSignals(signal: AbortSignal | undefined, force: (code: number) => void): { first: Promise<string>; dispose(): void } {
  let seen: string | undefined;
  let resolveFirst: (name: string) => void = () => undefined;
  const first = new Promise<string>((resolve) => (resolveFirst = resolve));
  const on = (name: string): void => {
    if (seen !== undefined) {
      force(128 + (signalNumbers[name] ?? 15));
      return;
    }
    seen = name;
    resolveFirst(name);
  };
  const onTerm = (): void => on('SIGTERM');
  const onInt = (): void => on('SIGINT');
  const onAbort = (): void => on('SIGTERM');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  signal?.addEventListener('abort', onAbort);
  return {
    first,
    dispose: () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

export async function runCommand(
  options: RunOptions,
  io: CliIo,
  signal?: AbortSignal,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<ExitCodeValue | number> {
  const signals = stopSignals(signal, exit);
  try {
    return await runDaemon(options, io, signals.first);
  } finally {
    signals.dispose();
  }
}

async function runDaemon(options: RunOptions, io: CliIo, stopRequested: Promise<string>): Promise<ExitCodeValue | number> {
  let stopSignal: string | undefined;
  void stopRequested.then((s) => (stopSignal = s));
  // 2. Everything that can be checked before listening.
  if ((options.repoUrl === undefined) === (options.repo === undefined))
    throw new UsageError('give exactly one of --repo-url URL (clone and push) or --repo DIR (a local working tree)');
  const config = await loadConfig(options, io.env, io.cwd);
  const { host, port } = parseListen(options.listen);
  const level = options.logLevel ?? io.env.IMAGESTREAMS_LOG_LEVEL ?? 'info';
  if (!levels.includes(level)) throw new UsageError(`--log-level: "${level}" is not one of ${levels.join(', ')}`, 'config');
  const pollIntervalMs = parseDuration(options.pollInterval, '--poll-interval');
  const debounceMs = parseDuration(options.debounce, '--debounce');
  const maxWaitMs = parseDuration(options.maxWait, '--max-wait');
  const passTimeoutMs = parseDuration(options.passTimeout, '--pass-timeout');
  const graceMs = parseDuration(options.gracePeriod, '--grace-period');
  if (pollIntervalMs < 1) throw new UsageError('--poll-interval must be more than 0', 'config');
  if (passTimeoutMs < 1000) throw new UsageError('--pass-timeout must be at least 1s', 'config');
  const author = parseAuthor(options.author);
  const local = options.repo !== undefined;
  const remote = options.repoUrl === undefined ? undefined : splitUrlCredentials(options.repoUrl, '--repo-url');
  // Publishing outcomes go to the log and the metrics, both made further down.
  let prReport: (r: PublishReport | { readonly outcome: 'failed'; readonly error: unknown }) => void = () => undefined;
  const prConfig = pullRequestConfig(options, config.pullRequest, io.env, { url: remote?.url, base: options.branch });
  if (prConfig && (local || options.pushBranch !== undefined || options.push === false))
    throw new UsageError(
      "--pull-request publishes from the daemon's own clone: use it with --repo-url, without --push-branch or --no-push",
    );
  const prSetup = prConfig
    ? await (await import('./publish-setup.js')).pullRequestSetup(prConfig, {
        resetAfter: true,
        signal: () => holder.current,
        onReport: (r) => prReport(r),
      })
    : undefined;
  const credentials = gitCredentials(options.gitCredentials, io.env) ?? remote?.credentials ?? prSetup?.gitCredentials;
  const gitHookSecret = readSecret(options.gitHookSecretFile, io.env.IMAGESTREAMS_GIT_HOOK_SECRET, 'Git hook secret');
  const registryHookSecret = readSecret(options.registryHookSecretFile, io.env.IMAGESTREAMS_REGISTRY_HOOK_SECRET, 'registry hook secret');
  const dir = local
    ? path.resolve(io.cwd, options.repo as string)
    : path.resolve(
        io.cwd,
        options.workdir ??
          path.join(
            config.registry.cacheDir ?? '.',
            'work',
            createHash('sha256')
              .update(`${remote?.url ?? ''}#${options.branch}`)
              .digest('hex')
              .slice(0, 16),
          ),
      );
  if (local && !existsSync(path.join(dir, '.git'))) throw new UsageError(`--repo ${dir} is not a Git working tree`);
  const stateDir = path.resolve(io.cwd, options.stateDir ?? (local ? path.join(dir, '.git', 'imagestreams') : `${dir}.state`));
  let journal: WorkJournal;
  try {
    journal = WorkJournal.open(path.join(stateDir, 'pending.json'));
  } catch (err) {
    throw new UsageError(
      `cannot use the state directory ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; choose another --state-dir`,
      'config',
    );
  }
  const logger = pino(
    {
      level,
      base: { app: 'imagestreams' },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
  const metrics = new DaemonMetrics();
  prReport = (r) => {
    metrics.publishes.inc({ publisher: 'pull-request', outcome: r.outcome });
    if ('error' in r) return; // the failed pass is logged with its code
    (r.outcome === 'hands-off' ? logger.warn.bind(logger) : logger.info.bind(logger))(
      { outcome: r.outcome, url: r.url, branch: r.branch },
      r.message,
    );
  };
  const holder = new SignalHolder();
  const registry = await createRegistryImporter(config.registry, {
    signal: () => holder.current,
    onRequest: (e) => {
      metrics.registryRequests.inc({ method: e.method, status: String(e.status ?? 'error') });
      if (e.status === 429) metrics.rateLimited.inc();
    },
  });
  metrics.watchBudgets(() => registry.budgets());
  const http = gitHttpClient({ signal: () => holder.current });
  const repo = new GitRepo({
    dir,
    url: remote?.url,
    branch: options.branch,
    pushBranch: options.pushBranch,
    credentials,
    author,
    http,
    maintainIndex: local,
  });
  const closeClients = async (): Promise<void> => {
    await registry.close();
    await http.close();
  };
  let push: boolean;
  let server: Server | undefined;
  const parseStore = parseStoreFor(config.registry.cacheDir, dir, dir);
  let daemon: Daemon;
  try {
    push = options.push !== false && (!local || (await repo.hasRemote()));
    daemon = new Daemon({
      repo,
      local,
      push,
      journal,
      publisher: prSetup?.publisher,
      commitWindows: config.commitWindows.map((w) => w.schedule),
      pass: {
        walk: config.walk,
        limits: config.limits,
        settings: config.settings,
        offline: false,
        forceImport: false,
        importer: registry.importer,
        parseStore,
      },
      pollIntervalMs,
      debounceMs,
      maxWaitMs,
      passTimeoutMs,
      hostAliases: (options.hostAlias ?? []).map((a) =>
        a
          .split(/[=,]/)
          .map((h) => h.trim())
          .filter(Boolean),
      ),
      logger,
      metrics,
      signal: holder,
    });
    // 3. Listen, then start the loop.
    if (stopSignal === undefined) server = await startHttp(daemon, metrics, { host, port, gitHookSecret, registryHookSecret }, logger);
  } catch (err) {
    await closeClients();
    throw err;
  }
  if (server === undefined || stopSignal !== undefined) {
    server?.close();
    await closeClients();
    return ExitCode.ok;
  }
  const address = server.address();
  logger.info(
    {
      listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : options.listen,
      repo: remote?.url ?? dir,
      branch: options.branch,
      push,
      workdir: dir,
      stateDir,
      logLevel: level,
    },
    'imagestreams daemon started',
  );
  const heap = settleHeap({ passesDone: () => daemon.status.finishedPasses });
  await daemon.start();
  const name = await stopRequested;
  heap.stop();
  // 4. Stop.
  logger.info({ signal: name, gracePeriodMs: graceMs }, 'stopping: finishing the current pass');
  const clean = await daemon.stop(graceMs);
  await parseStore?.save();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeClients();
  if (!clean) {
    logger.error({ gracePeriodMs: graceMs }, 'stopped with a pass still running: the grace period ran out');
    return 128 + (signalNumbers[name] ?? 15);
  }
  logger.info('stopped');
  return ExitCode.ok;
}
