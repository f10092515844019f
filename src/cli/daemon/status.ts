import type { PublishReport } from '../publish.js';

/**
 * The daemon's state as one read-only snapshot: what /readyz, /healthz, /status, the metrics and the logs report.
 * The loop writes it through the few transitions below; nothing else reads the loop's fields.
 *
 * starting  no pass has landed yet (the first clone or pass is running, or failed transiently fewer than
 *           `unreadyAfter` times)
 * ready     the last pass landed (committed and pushed, or nothing to change), possibly partially
 * failing   the last `unreadyAfter` or more passes failed for a transient reason; retrying with backoff
 * stalled   a failure a person has to fix (refused credentials, a missing repository or branch); retried slowly
 * stopping  a stop signal was received
 */
export type DaemonState = 'starting' | 'ready' | 'failing' | 'stalled' | 'stopping';

export type PassOutcome = 'landed' | 'nothing-to-do' | 'partial' | 'failed';

/** What the last publish did (publish.ts PublishReport), or why it failed (its failure code and message). */
export interface PublishStatus {
  readonly outcome: PublishReport['outcome'] | 'failed';
  readonly message: string;
  readonly url?: string | undefined;
  readonly branch?: string | undefined;
  readonly code?: string | undefined;
  readonly at: number;
}

export interface DaemonSnapshot {
  readonly state: DaemonState;
  /** Why the state is what it is (failing, stalled): the failure's message and what to do. */
  readonly reason: string | undefined;
  /** The failure's code (describeFailure), for machines. */
  readonly code: string | undefined;
  readonly since: number;
  readonly consecutiveFailures: number;
  readonly passes: number;
  readonly lastPass: { readonly id: number; readonly outcome: PassOutcome; readonly finishedAt: number; readonly ms: number } | undefined;
  /** When the running pass started, if one is running. */
  readonly passStartedAt: number | undefined;
  readonly pendingWork: number;
  readonly nextDueAt: number | undefined;
  readonly nextRetryAt: number | undefined;
  /** The last pass's publishing: pushed, a pull request opened, updated, unchanged, closed, hands-off, or failed. */
  readonly lastPublish: PublishStatus | undefined;
}

export class DaemonStatus {
  private snap: DaemonSnapshot;

  constructor(
    private readonly now: () => number,
    /** Transient failures in a row before the daemon reports itself not ready. */
    private readonly unreadyAfter: number,
  ) {
    this.snap = {
      state: 'starting',
      reason: undefined,
      code: undefined,
      since: now(),
      consecutiveFailures: 0,
      passes: 0,
      lastPass: undefined,
      passStartedAt: undefined,
      pendingWork: 0,
      nextDueAt: undefined,
      nextRetryAt: undefined,
      lastPublish: undefined,
    };
  }

  get snapshot(): DaemonSnapshot {
    return this.snap;
  }

  /** Passes that have ended (landed or failed): the running one, if any, is not counted. */
  get finishedPasses(): number {
    return this.snap.passStartedAt === undefined ? this.snap.passes : this.snap.passes - 1;
  }

  get ready(): boolean {
    return this.snap.state === 'ready';
  }

  private set(patch: Partial<DaemonSnapshot>): void {
    const state = patch.state ?? this.snap.state;
    this.snap = { ...this.snap, ...patch, since: state !== this.snap.state ? this.now() : this.snap.since };
  }

  passStarted(): number {
    const id = this.snap.passes + 1;
    this.set({ passes: id, passStartedAt: this.now() });
    return id;
  }

  passLanded(id: number, outcome: Exclude<PassOutcome, 'failed'>, started: number): void {
    if (this.snap.state === 'stopping') {
      this.set({ passStartedAt: undefined, lastPass: { id, outcome, finishedAt: this.now(), ms: this.now() - started } });
      return;
    }
    this.set({
      state: 'ready',
      reason: undefined,
      code: undefined,
      consecutiveFailures: 0,
      passStartedAt: undefined,
      nextRetryAt: undefined,
      lastPass: { id, outcome, finishedAt: this.now(), ms: this.now() - started },
    });
  }

  passFailed(
    id: number,
    started: number,
    failure: { readonly code: string; readonly message: string; readonly terminal: boolean },
    retryAt: number | undefined,
  ): void {
    const failures = this.snap.consecutiveFailures + 1;
    const lastPass = { id, outcome: 'failed' as const, finishedAt: this.now(), ms: this.now() - started };
    const base = {
      consecutiveFailures: failures,
      passStartedAt: undefined,
      lastPass,
      nextRetryAt: retryAt,
      reason: failure.message,
      code: failure.code,
    };
    if (this.snap.state === 'stopping') {
      this.set(base);
      return;
    }
    if (failure.terminal) {
      this.set({ ...base, state: 'stalled' });
      return;
    }
    // A transient failure keeps a ready daemon ready until it repeats; before the first success it is still starting.
    if (failures >= this.unreadyAfter) {
      this.set({ ...base, state: 'failing' });
      return;
    }
    this.set(base);
  }

  /** A pass published (or failed to): shown until the next pass that gets as far. */
  published(p: Omit<PublishStatus, 'at'>): void {
    this.set({ lastPublish: { ...p, at: this.now() } });
  }

  /** A retry was scheduled outside a failed pass (accepted work whose import failed in a pass that landed). */
  retryScheduled(at: number | undefined): void {
    this.set({ nextRetryAt: at });
  }

  stopping(): void {
    this.set({ state: 'stopping', reason: 'a stop signal was received' });
  }

  pending(pendingWork: number, nextDueAt: number | undefined): void {
    this.set({ pendingWork, nextDueAt });
  }
}
