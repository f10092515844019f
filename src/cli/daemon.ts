/**
 * `imagestreams run`: follow a Git repository and keep it reconciled. A pass (fetch → load → validate → due imports
 * → plan → render → commit → push) runs at startup, when the remote branch moves (a cheap ref check, and
 * `POST /hooks/git`), when scheduled tags come due (node-cron ticks; which tags are due comes from the core), and on
 * registry notifications (`POST /hooks/registry`, which re-import exactly the pushed tags). Bursts are debounced
 * into one pass with a maximum wait; passes never overlap.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { schedule } from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { GitRepo } from '../gitsource/repo.js';
import type { LoadCache } from '../render/repository.js';
import { scheduleKey } from '../reconcile/due.js';
import { dockerClientDefaults, parseOpenShiftReference } from '../reconcile/reference.js';
import type { PushedImage } from '../reconcile/registry-events.js';
import { hostMatcher, pushedSources } from '../reconcile/registry-events.js';
import { commitPass } from './commit-pass.js';
import type { DaemonMetrics } from './metrics.js';
import type { PassOptions } from './pipeline.js';
import { rfc3339 } from './clock.js';

export interface DaemonOptions {
  readonly repo: GitRepo;
  readonly local: boolean;
  readonly push: boolean;
  /** Everything a pass needs but the clock, memory and the repository directory. */
  readonly pass: Omit<PassOptions, 'now' | 'lastChecked' | 'forceSources' | 'repoDir' | 'displayBase'>;
  readonly pollIntervalMs: number;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly hostAliases: ReadonlyArray<readonly string[]>;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly clock?: () => number;
}

export class Daemon {
  private running: Promise<void> | undefined;
  private rerun = false;
  private timer: NodeJS.Timeout | undefined;
  private firstRequest: number | undefined;
  private reasons = new Set<string>();
  private pushes: PushedImage[] = [];
  private readonly lastChecked = new Map<string, string>();
  private readonly loadCache: LoadCache = new Map();
  private nextDueAt: number | undefined;
  private poller: NodeJS.Timeout | undefined;
  private cron: ScheduledTask | undefined;
  private watcher: FSWatcher | undefined;
  private readonly ownWrites = new Map<string, string>();
  private stopping = false;
  ready = false;
  lastError: string | undefined;
  passes = 0;
  private failures = 0;

  constructor(private readonly options: DaemonOptions) {}

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.options.repo.ensureCloned();
    this.requestPass('startup', undefined, true);
    if (!this.options.local) {
      this.poller = setInterval(() => void this.checkRemote(), this.options.pollIntervalMs);
    } else {
      // Edits are seen by the watcher; a person's commit changes no working file, so HEAD is checked too.
      this.watchTree();
      this.poller = setInterval(() => void this.checkLocalHead(), this.options.pollIntervalMs);
    }
    this.poller.unref();
    // node-cron drives the scheduler's tick; the core said when the next scheduled tag is due.
    this.cron = schedule('* * * * * *', () => {
      if (this.nextDueAt !== undefined && this.now() >= this.nextDueAt) {
        this.nextDueAt = undefined;
        this.requestPass('schedule');
      }
    });
  }

  private async checkRemote(): Promise<void> {
    if (this.running || this.stopping) return;
    try {
      const remote = await this.options.repo.remoteHead();
      if (remote && remote !== (await this.options.repo.head())) this.requestPass('remote moved');
    } catch (err) {
      this.options.logger.warn({ err: String(err) }, 'remote check failed');
    }
  }

  private seenHead: string | undefined;

  private async checkLocalHead(): Promise<void> {
    if (this.running || this.stopping) return;
    try {
      const head = await this.options.repo.head();
      if (this.seenHead !== undefined && head !== this.seenHead) this.requestPass('local commit');
      this.seenHead = head;
    } catch {
      // an empty repository has no HEAD yet
    }
  }

  private watchTree(): void {
    const dir = this.options.repo.dir;
    this.watcher = watch(dir, { ignoreInitial: true, ignored: (p: string) => /(^|[/\\])(\.git|node_modules)([/\\]|$)|\.imagestreams-[0-9a-f]+\.tmp$/.test(p) });
    const onChange = async (file: string): Promise<void> => {
      if (!/\.(ya?ml|json)$/.test(file)) return;
      const own = this.ownWrites.get(path.resolve(file));
      if (own !== undefined) {
        try {
          const { readFile } = await import('node:fs/promises');
          const text = await readFile(file, 'utf8');
          if (createHash('sha256').update(text).digest('hex') === own) return; // our own write: no loop
        } catch {
          // gone: treat as a change
        }
      }
      this.requestPass('working tree changed');
    };
    this.watcher.on('add', (f) => void onChange(f)).on('change', (f) => void onChange(f)).on('unlink', (f) => void onChange(f));
  }

  /** Ask for a pass: bursts within `debounceMs` collapse into one, but no request waits more than `maxWaitMs`. */
  requestPass(reason: string, pushes?: readonly PushedImage[], immediate = false): void {
    if (this.stopping) return;
    this.reasons.add(reason);
    if (pushes) this.pushes.push(...pushes);
    const now = this.now();
    this.firstRequest ??= now;
    if (this.timer) clearTimeout(this.timer);
    const wait = immediate ? 0 : Math.max(0, Math.min(this.options.debounceMs, this.firstRequest + this.options.maxWaitMs - now));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.timer = undefined;
    this.firstRequest = undefined;
    if (this.running) {
      this.rerun = true;
      return;
    }
    const reasons = [...this.reasons];
    const pushes = this.pushes;
    this.reasons = new Set();
    this.pushes = [];
    this.running = this.pass(reasons, pushes).finally(() => {
      this.running = undefined;
      if (this.rerun && !this.stopping) {
        this.rerun = false;
        this.fire();
      }
    });
  }

  private async pass(reasons: string[], pushes: PushedImage[]): Promise<void> {
    const started = this.now();
    const log = this.options.logger.child({ pass: ++this.passes });
    log.info({ reasons, pushes: pushes.length }, 'pass started');
    const end = this.options.metrics.passDuration.startTimer();
    try {
      const forceSources = pushes.length > 0 ? pushedSources(pushes, hostMatcher(this.options.hostAliases)) : undefined;
      const out = await commitPass(
        this.options.repo,
        () => ({ ...this.options.pass, now: rfc3339(this.now()), lastChecked: this.lastChecked, loadCache: this.loadCache, forceSources, repoDir: this.options.repo.dir, displayBase: this.options.repo.dir }),
        {
          push: this.options.push,
          localTree: this.options.local,
          beforeWrite: (changes) => {
            for (const c of changes) this.ownWrites.set(path.resolve(c.absolute), createHash('sha256').update(c.after).digest('hex'));
          },
          onRetry: (attempt, why) => {
            this.options.metrics.pushRetries.inc();
            log.warn({ attempt, why }, 'push rejected; fetching and planning again on the new head');
          },
        },
      );
      const r = out.result;
      const when = rfc3339(this.now());
      for (const i of r.imports) {
        const s = r.streams.find((x) => x.key === i.stream);
        if (s && i.tag) this.lastChecked.set(scheduleKey(s.namespace, s.name, i.tag), when);
        const parsed = parseOpenShiftReference(i.from);
        const registry = parsed.ok ? dockerClientDefaults(parsed.value).registry : 'invalid';
        this.options.metrics.imports.inc({ registry, result: i.result.ok ? 'success' : 'failure' });
      }
      this.nextDueAt = r.nextDueAt ? Date.parse(r.nextDueAt) : undefined;
      if (this.options.local) this.seenHead = await this.options.repo.head().catch(() => undefined);
      if (out.commit) this.options.metrics.commits.inc();
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      for (const d of errors) log.warn({ file: d.file, line: d.line, col: d.col, code: d.code }, d.message);
      for (const f of out.heldBack) log.warn({ file: f }, 'left alone: the file has uncommitted edits');
      log.info(
        { commit: out.commit, pushed: out.pushed, retries: out.retries, files: r.changes.length, imports: r.imports.length, failedImports: r.imports.filter((i) => !i.result.ok).length, invalidFiles: new Set(errors.map((d) => d.file)).size, ms: this.now() - started, nextDueAt: r.nextDueAt },
        out.commit ? 'pass committed' : 'pass found nothing to commit',
      );
      this.options.metrics.passes.inc({ result: 'success' });
      this.options.metrics.lastSuccess.set(this.now() / 1000);
      this.ready = true;
      this.lastError = undefined;
      this.failures = 0;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.options.metrics.passes.inc({ result: 'failure' });
      log.error({ err: this.lastError }, 'pass failed');
      // Try again later, backing off over consecutive failures: a transient Git or network failure heals, a
      // stalled one is reported each time, at most once a minute.
      this.failures += 1;
      if (!this.stopping) setTimeout(() => this.requestPass('retry after failure'), Math.min(60_000, 2_000 * 2 ** Math.min(5, this.failures - 1))).unref();
    } finally {
      end();
    }
  }

  /** SIGTERM: no new passes; let the current one finish (or fail cleanly), then stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    await this.cron?.stop();
    await this.watcher?.close();
    await this.running;
  }
}
