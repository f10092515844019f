/**
 * Single-flight pass scheduling, after controller-runtime's workqueue: `add(reason)` starts a pass at once when
 * idle (or after the debounce window, when one is configured); requests that arrive during a pass are collected
 * and run right after it, as one pass. `addAt(time)` is the one alarm for time-based work (the core's nextDueAt);
 * `addAfter(ms)` the one retry timer. Passes never overlap.
 */
import type { Timers } from './timers.js';
import { AlarmClock } from './timers.js';

export interface QueueOptions {
  /** Collect requests for this long before starting (0: start at once). */
  readonly debounceMs: number;
  /** No request waits longer than this while a burst continues. */
  readonly maxWaitMs: number;
  readonly timers: Timers;
}

export class PassQueue {
  private reasons = new Set<string>();
  private running: Promise<void> | undefined;
  private pending = false;
  private debounce: unknown;
  private firstRequest: number | undefined;
  private stopping = false;
  private readonly due: AlarmClock;
  private readonly retry: AlarmClock;

  constructor(
    private readonly run: (reasons: string[]) => Promise<void>,
    private readonly options: QueueOptions,
  ) {
    this.due = new AlarmClock(options.timers);
    this.retry = new AlarmClock(options.timers);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** When the time-based alarm will ring (ms since the epoch), if set. */
  get dueAt(): number | undefined {
    return this.due.armedAt;
  }

  add(reason: string): void {
    if (this.stopping) return;
    this.reasons.add(reason);
    if (this.running) {
      this.pending = true;
      return;
    }
    const now = this.options.timers.now();
    this.firstRequest ??= now;
    const wait = Math.max(0, Math.min(this.options.debounceMs, this.firstRequest + this.options.maxWaitMs - now));
    if (this.debounce !== undefined) this.options.timers.clearTimeout(this.debounce);
    this.debounce = this.options.timers.setTimeout(() => this.start(), wait);
  }

  /** Run a pass at `time` (replaces the previous time); undefined clears it. */
  addAt(time: number | undefined, reason: string): void {
    if (time === undefined || this.stopping) {
      this.due.disarm();
      return;
    }
    this.due.arm(time, () => this.add(reason));
  }

  /** Run a pass after `ms` (replaces the previous retry). */
  addAfter(ms: number, reason: string): void {
    if (this.stopping) return;
    this.retry.arm(this.options.timers.now() + ms, () => this.add(reason));
  }

  cancelRetry(): void {
    this.retry.disarm();
  }

  private start(): void {
    this.debounce = undefined;
    this.firstRequest = undefined;
    if (this.running || this.stopping) {
      if (this.running) this.pending = true;
      return;
    }
    const reasons = [...this.reasons];
    this.reasons = new Set();
    this.running = this.run(reasons)
      .catch(() => undefined) // the runner reports its own failures
      .finally(() => {
        this.running = undefined;
        if (this.pending && !this.stopping) {
          this.pending = false;
          this.start();
        }
      });
  }

  /** No new passes; resolves when the current one (if any) has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.debounce !== undefined) this.options.timers.clearTimeout(this.debounce);
    this.due.disarm();
    this.retry.disarm();
    await this.running;
  }
}
