/** The daemon's clock and timers, injected so that tests can move time (a fake clock) without waiting for it. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. Timers are unref'd: a pending retry or schedule never keeps a stopped process alive. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Node's limit for one timer (about 24.8 days); longer waits are re-armed. */
const maxTimerMs = 2 ** 31 - 1;

/**
 * One timer for "at time T", re-armed when it fires early (a long wait, or a clock that moved): `arm(at, fn)`
 * replaces any earlier time; `disarm()` clears it.
 */
export class AlarmClock {
  private handle: unknown;
  private at: number | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly capMs = 60_000,
  ) {}

  get armedAt(): number | undefined {
    return this.at;
  }

  arm(at: number, fn: () => void): void {
    this.disarm();
    this.at = at;
    const tick = (): void => {
      const left = at - this.timers.now();
      if (left <= 0) {
        this.handle = undefined;
        this.at = undefined;
        fn();
        return;
      }
      // Wake at least every capMs: a wall clock moved by NTP or a suspended machine is noticed within that.
      this.handle = this.timers.setTimeout(tick, Math.min(left, this.capMs, maxTimerMs));
    };
    tick();
  }

  disarm(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.at = undefined;
  }
}
