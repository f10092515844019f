/**
 * `imagestreams run`'s loop: follow a Git repository and keep it reconciled. A pass (make the clone equal to the
 * remote → load → validate → due imports → plan → render → commit → push) runs at startup, when the remote branch
 * moves (a cheap ref poll, and `POST /hooks/git`), when the core's nextDueAt comes (one alarm), and on registry
 * notifications (`POST /hooks/registry`, which force exactly the pushed tags). Accepted hooks are journaled until a
 * pass lands them. Passes never overlap, each has a deadline, and failures are retried with capped backoff:
 * quickly when transient, slowly (and reported as stalled) when a person has to act.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { GitRepo } from '../../gitsource/repo.js';
import type { LoadCache } from '../../render/repository.js';
import { ValidationMemo } from '../../render/validate.js';
import type { PushedImage } from '../../reconcile/registry-events.js';
import { hostMatcher, pushedSources } from '../../reconcile/registry-events.js';
import { rfc3339 } from '../clock.js';
import { commitPass } from '../commit-pass.js';
import { reconcilePass } from '../pipeline.js';
import type { Schedule } from '../../reconcile/due.js';
import { outsideWindow } from './window.js';
import { logPass } from './pass-log.js';
import type { CommitPassResult } from '../commit-pass.js';
import { describeFailure, PassTimeoutError, StoppedError } from '../failures.js';
import type { DaemonMetrics } from '../metrics.js';
import type { Publisher } from '../publish.js';
import { forcedSources } from '../publish.js';
import { coverage, pushName } from './journal.js';
import type { PassOptions } from '../pipeline.js';
import type { PendingWork, WorkJournal } from './journal.js';
import { PassQueue } from './queue.js';
import { DaemonStatus } from './status.js';
import type { DaemonSnapshot, PassOutcome } from './status.js';
import type { Timers } from './timers.js';
import { systemTimers } from './timers.js';

/** Where the running pass's AbortSignal is published for the edges that follow it (the Git HTTP client). */
export class SignalHolder {
  current: AbortSignal | undefined;
}

export interface RetryPolicy {
  readonly transientBaseMs: number;
  readonly transientMaxMs: number;
  readonly terminalBaseMs: number;
  readonly terminalMaxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  transientBaseMs: 1_000,
  transientMaxMs: 60_000,
  terminalBaseMs: 30_000,
  terminalMaxMs: 600_000,
};

export interface DaemonOptions {
  readonly repo: GitRepo;
  /** A local working tree (`--repo`) rather than the daemon's own clone (`--repo-url`). */
  readonly local: boolean;
  readonly push: boolean;
  /** How a commit is published (default: push to the branch; publish-pr.ts for pull requests). */
  readonly publisher?: Publisher | undefined;
  /** Everything a pass needs but the clock, memory and the repository directory. */
  readonly pass: Omit<PassOptions, 'now' | 'lastChecked' | 'firstSeen' | 'forceSources' | 'repoDir' | 'displayBase'>;
  /** When changes may land (config `commitWindows`); empty or absent: always. */
  readonly commitWindows?: readonly Schedule[];
  readonly journal: WorkJournal;
  readonly pollIntervalMs: number;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly passTimeoutMs: number;
  readonly hostAliases: ReadonlyArray<readonly string[]>;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly signal?: SignalHolder;
  readonly timers?: Timers;
  readonly retry?: RetryPolicy;
  /** Transient failures in a row before /readyz says not ready (default 3). */
  readonly unreadyAfter?: number;
  /** A notification whose import keeps failing in passes that land is dropped (with a warning) after this many. */
  readonly maxNotificationAttempts?: number;
  readonly random?: () => number;
}

const heartbeatMs = 1_000;

export class Daemon {
  private readonly timers: Timers;
  private readonly queue: PassQueue;
  readonly status: DaemonStatus;
  private readonly lastChecked = new Map<string, string>();
  /** When pending images were first seen: maturity's memory where the files do not carry it (pull-request mode). */
  private readonly firstSeen = new Map<string, string>();
  private readonly loadCache: LoadCache = new Map();
  private readonly validationMemo = new ValidationMemo();
  private readonly ownWrites = new Map<string, string>();
  /** Imports only a pull request's branch holds (publish.ts `carried`): imported again in the next pass. */
  private carried: ReadonlySet<string> = new Set();
  private readonly sameHost: (a: string, b: string) => boolean;
  private controller: AbortController | undefined;
  private poller: unknown;
  private heartbeat: unknown;
  private lastBeat: number;
  private watcher: FSWatcher | undefined;
  private seenHead: string | undefined;
  /** This process knows the clone's working tree equals HEAD, and HEAD is on the remote. */
  private clean = false;
  private stopping = false;

  constructor(private readonly options: DaemonOptions) {
    this.timers = options.timers ?? systemTimers;
    this.status = new DaemonStatus(() => this.timers.now(), options.unreadyAfter ?? 3);
    this.queue = new PassQueue((reasons) => this.runPass(reasons), {
      debounceMs: options.debounceMs,
      maxWaitMs: options.maxWaitMs,
      timers: this.timers,
    });
    this.sameHost = hostMatcher(options.hostAliases);
    this.lastBeat = this.timers.now();
  }

  get snapshot(): DaemonSnapshot {
    return this.status.snapshot;
  }

  /**
   * Start the loop: leftovers of an interrupted run are removed, the journal's accepted work is resumed, the first
   * pass (which clones when needed) is queued at once, and the poll (remote or local HEAD), the watcher (local
   * trees) and the heartbeat begin. Never throws for Git or registry trouble: every pass ends as landed, partial or
   * failed (transient: retried with backoff; terminal: stalled, retried slowly), reported through `snapshot`.
   */
  async start(): Promise<void> {
    const log = this.options.logger;
    if (this.options.journal.corruptFile)
      log.warn({ file: this.options.journal.corruptFile }, 'the pending-work journal could not be read; it was moved aside');
    const pending = this.options.journal.size;
    if (pending > 0) log.info({ pending }, 'resuming accepted work from before the restart');
    try {
      const removed = await this.options.repo.removeLeftovers();
      if (removed > 0) log.info({ removed }, 'removed temporary files left by an interrupted run');
    } catch (err) {
      log.warn({ err: String(err) }, 'could not remove temporary files');
    }
    this.updatePending();
    this.queue.add('startup');
    const beat = (): void => {
      this.lastBeat = this.timers.now();
      this.heartbeat = this.timers.setTimeout(beat, heartbeatMs);
    };
    beat();
    if (this.options.local) this.watchTree();
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.stopping) return;
    this.poller = this.timers.setTimeout(() => {
      void (this.options.local ? this.checkLocalHead() : this.checkRemote()).finally(() => this.schedulePoll());
    }, this.options.pollIntervalMs);
  }

  private async checkRemote(): Promise<void> {
    if (this.queue.busy || this.stopping || this.status.snapshot.lastPass === undefined) return;
    try {
      const remote = await this.options.repo.remoteHead();
      if (remote && remote !== (await this.options.repo.head().catch(() => undefined))) this.queue.add('remote moved');
    } catch (err) {
      const failure = describeFailure(err);
      this.options.logger.debug({ code: failure.code, err: failure.message }, 'remote check failed');
    }
  }

  private async checkLocalHead(): Promise<void> {
    if (this.queue.busy || this.stopping) return;
    try {
      const head = await this.options.repo.head();
      if (this.seenHead !== undefined && head !== this.seenHead) this.queue.add('local commit');
      this.seenHead = head;
    } catch {
      // an empty repository has no HEAD yet
    }
  }

  private watchTree(): void {
    const dir = this.options.repo.dir;
    this.watcher = watch(dir, {
      ignoreInitial: true,
      ignored: (p: string) => /(^|[/\\])(\.git|node_modules)([/\\]|$)|\.imagestreams-[0-9a-f]+\.tmp$/.test(p),
    });
    const onChange = async (file: string): Promise<void> => {
      if (!/\.(ya?ml|json)$/.test(file)) return;
      const own = this.ownWrites.get(path.resolve(file));
      if (own !== undefined) {
        try {
          const text = await readFile(file, 'utf8');
          if (createHash('sha256').update(text).digest('hex') === own) return; // our own write: no loop
        } catch {
          // gone: treat as a change
        }
      }
      this.queue.add('working tree changed');
    };
    this.watcher
      .on('add', (f) => void onChange(f))
      .on('change', (f) => void onChange(f))
      .on('unlink', (f) => void onChange(f));
  }

  /**
   * Take accepted work (a hook answered 202): journaled before this returns, then a pass is asked for. Throws when
   * the journal cannot be written; the hook then answers 503 and the sender retries.
   */
  accept(source: PendingWork['source'], pushes: readonly PushedImage[]): PendingWork {
    const item = this.options.journal.add(source, pushes, rfc3339(this.timers.now()));
    this.updatePending();
    this.queue.add(source === 'registry' ? 'registry notification' : 'git webhook');
    return item;
  }

  /** Ask for a pass (tests and the local watcher). */
  requestPass(reason: string): void {
    this.queue.add(reason);
  }

  /** Liveness: false when a pass has run far past its deadline (it ignored the abort) or the event loop stalled. */
  health(): { readonly ok: boolean; readonly reason?: string } {
    const now = this.timers.now();
    const started = this.status.snapshot.passStartedAt;
    if (started !== undefined && now - started > this.options.passTimeoutMs + 30_000)
      return { ok: false, reason: `a pass has been running for ${Math.round((now - started) / 1000)} s, past its deadline` };
    if (!this.stopping && now - this.lastBeat > 30 * heartbeatMs)
      return { ok: false, reason: `the event loop did not tick for ${Math.round((now - this.lastBeat) / 1000)} s` };
    return { ok: true };
  }

  private updatePending(): void {
    this.status.pending(this.options.journal.size, this.queue.dueAt);
    this.options.metrics.pendingWork.set(this.options.journal.size);
  }

  private passOptions(forceSources: ((from: string) => boolean) | undefined): PassOptions {
    const dir = this.options.repo.dir;
    return {
      ...this.options.pass,
      now: rfc3339(this.timers.now()),
      lastChecked: this.lastChecked,
      firstSeen: this.firstSeen,
      loadCache: this.loadCache,
      validationMemo: this.validationMemo,
      forceSources,
      repoDir: dir,
      displayBase: dir,
    };
  }

  private backoff(kind: 'transient' | 'terminal' | 'bug', failures: number): number {
    const p = this.options.retry ?? defaultRetryPolicy;
    const [base, max] = kind === 'terminal' ? [p.terminalBaseMs, p.terminalMaxMs] : [p.transientBaseMs, p.transientMaxMs];
    const ceiling = Math.min(max, base * 2 ** Math.min(20, failures - 1));
    // Jitter in the upper half: two daemons that failed together do not retry together.
    return Math.round(ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2));
  }

  /** One pass, start to finish; reports its own outcome and never throws. */
  private async runPass(reasons: string[]): Promise<void> {
    const batch = this.options.journal.pending();
    const id = this.status.passStarted();
    const started = this.timers.now();
    const log = this.options.logger.child({ pass: id });
    log.info({ reasons, pending: batch.length }, 'pass started');
    const controller = new AbortController();
    // Every Git and registry request of the pass listens on this one signal: many at once is expected, not a leak.
    setMaxListeners(0, controller.signal);
    this.controller = controller;
    if (this.options.signal) this.options.signal.current = controller.signal;
    const deadline = this.timers.setTimeout(
      () =>
        controller.abort(
          new PassTimeoutError(
            `the pass ran longer than its deadline (${Math.round(this.options.passTimeoutMs / 1000)} s, --pass-timeout)`,
          ),
        ),
      this.options.passTimeoutMs,
    );
    const endTimer = this.options.metrics.passDuration.startTimer();
    try {
      const pushes = batch.flatMap((b) => b.pushes);
      const force = forcedSources(pushes.length > 0 ? pushedSources(pushes, this.sameHost) : undefined, this.carried);
      const closed = await outsideWindow(this.options.commitWindows ?? [], this.timers.now(), () => reconcilePass(this.passOptions(force)));
      if (closed) {
        if (controller.signal.aborted) throw controller.signal.reason;
        log.info(closed.fields, closed.message);
        this.status.passLanded(id, 'nothing-to-do', started);
        this.options.metrics.passes.inc({ result: 'outside-window' });
        this.queue.addAt(closed.opensAt, 'commit window opens');
        return;
      }
      const out = await commitPass(this.options.repo, () => this.passOptions(force), {
        push: this.options.push,
        publisher: this.options.publisher,
        localTree: this.options.local,
        knownClean: this.clean,
        signal: controller.signal,
        beforeWrite: (changes) => {
          this.clean = false;
          for (const c of changes) this.ownWrites.set(path.resolve(c.absolute), createHash('sha256').update(c.after).digest('hex'));
        },
        onRetry: (attempt, why) => {
          this.options.metrics.pushRetries.inc();
          log.warn({ attempt, why }, 'push rejected; fetching and planning again on the new head');
        },
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      if (out.publication) this.status.published(out.publication);
      if (out.publishError) {
        const f = describeFailure(out.publishError);
        this.status.published({ outcome: 'failed', code: f.code, message: f.message });
        throw out.publishError;
      }
      this.clean = true;
      this.carried = this.options.publisher?.carried?.(out.result) ?? new Set();
      const outcome = this.report(out, log, started);
      this.settle(batch, out, log);
      this.status.passLanded(id, outcome, started);
      this.options.metrics.passes.inc({ result: outcome === 'partial' ? 'partial' : 'success' });
      this.options.metrics.lastSuccess.set(this.timers.now() / 1000);
      // Accepted work whose import failed stays in the journal; nothing else would ask for it again (the tag may not
      // be scheduled), so it is retried with the same backoff as a failed pass, counted by its attempts.
      const retrying = this.options.journal.pending().reduce((n, i) => Math.max(n, i.attempts), 0);
      if (retrying > 0) {
        const wait = this.backoff('transient', retrying);
        this.queue.addAfter(wait, 'retry notified imports that failed');
        this.status.retryScheduled(this.timers.now() + wait);
      } else this.queue.cancelRetry();
      const next = out.result.nextDueAt ? Date.parse(out.result.nextDueAt) : undefined;
      this.queue.addAt(next, 'scheduled tags due');
    } catch (caught) {
      this.clean = false;
      // After an abort, whatever failed failed because of it: report the deadline or the stop, not the symptom.
      const err: unknown = controller.signal.aborted ? controller.signal.reason : caught;
      const failure = describeFailure(err);
      const failures = this.status.snapshot.consecutiveFailures + 1;
      const retryIn = this.stopping ? undefined : this.backoff(failure.kind, failures);
      this.status.passFailed(
        id,
        started,
        { code: failure.code, message: failure.message, terminal: failure.kind === 'terminal' },
        retryIn === undefined ? undefined : this.timers.now() + retryIn,
      );
      this.options.metrics.passes.inc({ result: 'failure' });
      const fields = {
        code: failure.code,
        err: failure.message,
        consecutiveFailures: failures,
        retryInMs: retryIn,
        pending: batch.length,
        ms: this.timers.now() - started,
      };
      if (failure.kind === 'bug')
        log.error({ ...fields, stack: err instanceof Error ? err.stack : undefined }, 'pass failed: this is a bug in imagestreams');
      else if (failure.kind === 'terminal') log.error(fields, 'pass failed; stalled until this is fixed, retrying slowly');
      else log.warn(fields, 'pass failed; retrying');
      if (retryIn !== undefined) this.queue.addAfter(retryIn, 'retry after failure');
    } finally {
      this.timers.clearTimeout(deadline);
      if (this.options.signal) this.options.signal.current = undefined;
      this.controller = undefined;
      endTimer();
      void this.options.pass.parseStore?.saveIfDue(this.timers.now(), 10 * 60_000);
      this.updatePending();
      this.options.metrics.ready.set(this.status.ready ? 1 : 0);
    }
  }

  /** Log what a landed pass did (failed imports and unrenderable files at warn) and classify it. */
  private report(out: CommitPassResult, log: Logger, started: number): Exclude<PassOutcome, 'failed'> {
    const r = out.result;
    const when = rfc3339(this.timers.now());
    logPass(r, out.heldBack, log, this.options.metrics, (key) => this.lastChecked.set(key, when));
    for (const p of r.pending) if (!this.firstSeen.has(p.key)) this.firstSeen.set(p.key, p.since);
    for (const k of this.firstSeen.keys()) if (this.firstSeen.size > 10_000) this.firstSeen.delete(k); // oldest first
    if (out.commit) this.options.metrics.commits.inc();
    if (this.options.local)
      void this.options.repo.head().then(
        (h) => (this.seenHead = h),
        () => undefined,
      );
    const failedImports = r.imports.filter((i) => 'failure' in i.result).length;
    const outcome = r.renderErrors.length > 0 || failedImports > 0 ? 'partial' : out.commit ? 'landed' : 'nothing-to-do';
    log.info(
      {
        outcome,
        commit: out.commit,
        pushed: out.pushed,
        retries: out.retries,
        files: out.committed.length,
        imports: r.imports.length,
        failedImports,
        renderErrors: r.renderErrors.length,
        invalidFiles: new Set(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file)).size,
        ms: this.timers.now() - started,
        nextDueAt: r.nextDueAt,
      },
      out.commit ? 'pass committed' : 'pass found nothing to commit',
    );
    return outcome;
  }

  /** Settle the accepted work the landed pass covered (journal.ts `coverage`); log what is given up. */
  private settle(batch: readonly PendingWork[], out: CommitPassResult, log: Logger): void {
    const { landed, failed, givenUp } = coverage(batch, out.result.imports, this.sameHost, this.options.maxNotificationAttempts ?? 20);
    for (const item of givenUp)
      log.warn(
        { pushes: item.pushes.map((p) => pushName(p)), attempts: item.attempts + 1 },
        'giving up on a notification: its import kept failing',
      );
    this.options.journal.settle(landed, failed);
  }

  /**
   * Stop: no new passes; the running pass gets `graceMs` to finish, then it is aborted (Git requests end at once)
   * and given a few more seconds. Resolves true when nothing was left running.
   */
  async stop(graceMs = 30_000): Promise<boolean> {
    this.stopping = true;
    this.status.stopping();
    if (this.poller !== undefined) this.timers.clearTimeout(this.poller);
    if (this.heartbeat !== undefined) this.timers.clearTimeout(this.heartbeat);
    await this.watcher?.close();
    const stopped = this.queue.stop();
    const wait = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        void stopped.then(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    if (await wait(graceMs)) return true;
    this.controller?.abort(new StoppedError('the daemon is stopping and the grace period is over'));
    return wait(5_000);
  }
}
