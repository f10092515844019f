import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Daemon, SignalHolder } from '../../src/cli/daemon/daemon.js';
import type { RetryPolicy } from '../../src/cli/daemon/daemon.js';
import { WorkJournal } from '../../src/cli/daemon/journal.js';
import type { Timers } from '../../src/cli/daemon/timers.js';
import { DaemonMetrics } from '../../src/cli/metrics.js';
import { gitHttpClient } from '../../src/gitsource/http.js';
import { GitRepo } from '../../src/gitsource/repo.js';
import { createRegistryImporter } from '../../src/import/index.js';
import type { ImporterSettings } from '../../src/import/index.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { parseCronSchedule } from '../../src/render/cron.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { testSettings } from './importer.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

export interface InProcessDaemon {
  readonly daemon: Daemon;
  readonly repo: GitRepo;
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  readonly journal: WorkJournal;
  close(): Promise<void>;
}

/** The daemon in this process, following a remote repository, for tests and benchmarks that need its internals. */
export async function inProcessDaemon(options: {
  url: string;
  work: string;
  debounceMs: number;
  maxWaitMs: number;
  timers?: Timers;
  logLevel?: string;
  passTimeoutMs?: number;
  retry?: RetryPolicy;
  pollIntervalMs?: number;
  /** Importer settings over the tests' defaults (rate limits, retries). */
  importer?: Partial<ImporterSettings>;
  /** When changes may land (config commitWindows), as cron expressions. */
  commitWindows?: readonly string[];
}): Promise<InProcessDaemon> {
  const holder = new SignalHolder();
  const imp = await createRegistryImporter(testSettings({ cacheDir: path.join(options.work, 'cache'), ...options.importer }), {
    signal: () => holder.current,
  });
  const http = gitHttpClient({ signal: () => holder.current });
  const repo = new GitRepo({
    dir: path.join(options.work, 'wd'),
    url: options.url,
    branch: 'main',
    author: { name: 'bot', email: 'bot@example.com' },
    http,
    maintainIndex: false,
  });
  const logger = pino({ level: options.logLevel ?? 'silent' }, pino.destination(2));
  const metrics = new DaemonMetrics();
  metrics.watchBudgets(() => imp.budgets());
  const journal = WorkJournal.open(path.join(options.work, 'state', 'pending.json'));
  const daemon = new Daemon({
    repo,
    local: false,
    push: true,
    journal,
    pass: {
      walk: defaultWalkOptions,
      limits: defaultLoadLimits,
      settings: defaultReconcileSettings,
      offline: false,
      forceImport: false,
      importer: imp.importer,
    },
    commitWindows: (options.commitWindows ?? []).map((e) => {
      const parsed = parseCronSchedule(e);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.schedule;
    }),
    pollIntervalMs: options.pollIntervalMs ?? 3_600_000,
    debounceMs: options.debounceMs,
    maxWaitMs: options.maxWaitMs,
    passTimeoutMs: options.passTimeoutMs ?? 600_000,
    hostAliases: [],
    logger,
    metrics,
    signal: holder,
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  return {
    daemon,
    repo,
    metrics,
    logger,
    journal,
    close: async () => {
      await daemon.stop();
      await imp.close();
      await http.close();
    },
  };
}
