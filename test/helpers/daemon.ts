import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Daemon } from '../../src/cli/daemon.js';
import { DaemonMetrics } from '../../src/cli/metrics.js';
import { GitRepo } from '../../src/gitsource/repo.js';
import { createRegistryImporter } from '../../src/import/index.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { testSettings } from './importer.js';

export interface InProcessDaemon {
  readonly daemon: Daemon;
  readonly repo: GitRepo;
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** The daemon in this process, following a remote repository, for tests and benchmarks that need its internals. */
export async function inProcessDaemon(options: { url: string; work: string; debounceMs: number; maxWaitMs: number; clock?: () => number; logLevel?: string }): Promise<InProcessDaemon> {
  const imp = await createRegistryImporter(testSettings({ cacheDir: path.join(options.work, 'cache') }));
  const repo = new GitRepo({ dir: path.join(options.work, 'wd'), url: options.url, branch: 'main', author: { name: 'bot', email: 'bot@example.com' } });
  const logger = pino({ level: options.logLevel ?? 'silent' }, pino.destination(2));
  const metrics = new DaemonMetrics();
  const daemon = new Daemon({
    repo,
    local: false,
    push: true,
    pass: { walk: defaultWalkOptions, limits: defaultLoadLimits, defaultNamespace: 'default', offline: false, forceImport: false, importer: imp.importer },
    pollIntervalMs: 3_600_000,
    debounceMs: options.debounceMs,
    maxWaitMs: options.maxWaitMs,
    hostAliases: [],
    logger,
    metrics,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    daemon,
    repo,
    metrics,
    logger,
    close: async () => {
      await daemon.stop();
      await imp.close();
    },
  };
}
